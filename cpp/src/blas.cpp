// blas.hpp over the scipy-openblas32 wheel's CBLAS (32-bit integers, scipy_ prefix).
#include "weightinit/blas.hpp"

#include <cblas.h>

#include <pthread.h>

#include <climits>
#include <mutex>
#include <stdexcept>

namespace weightinit::blas {

namespace {

blasint dim(std::size_t n) {
    if (n > static_cast<std::size_t>(INT_MAX)) throw std::length_error("matrix dimension exceeds the BLAS's 32-bit range");
    return static_cast<blasint>(n);
}

CBLAS_TRANSPOSE op(bool trans) { return trans ? CblasTrans : CblasNoTrans; }

}  // namespace

void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, double alpha,
          const double* a, std::size_t lda, const double* b, std::size_t ldb, double beta, double* c,
          std::size_t ldc) {
    scipy_cblas_dgemm(CblasRowMajor, op(trans_a), op(trans_b), dim(m), dim(n), dim(k), alpha, a, dim(lda), b,
                      dim(ldb), beta, c, dim(ldc));
}

void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
          std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc) {
    scipy_cblas_sgemm(CblasRowMajor, op(trans_a), op(trans_b), dim(m), dim(n), dim(k), alpha, a, dim(lda), b,
                      dim(ldb), beta, c, dim(ldc));
}

namespace {

// Serializes use_one_thread's read and set. Held across fork() (taken before it, released
// after it in parent and child), so that a child never starts with it held by a thread of
// the parent that the child does not have: its next call would wait for ever (helper-174).
std::mutex thread_setting;
void lock_thread_setting() { thread_setting.lock(); }
void unlock_thread_setting() { thread_setting.unlock(); }
[[maybe_unused]] const int atfork_registered =
    pthread_atfork(lock_thread_setting, unlock_thread_setting, unlock_thread_setting);

}  // namespace

void use_one_thread() {
    std::lock_guard<std::mutex> lock(thread_setting);
    if (scipy_openblas_get_num_threads() != 1) scipy_openblas_set_num_threads(1);
}

}  // namespace weightinit::blas
