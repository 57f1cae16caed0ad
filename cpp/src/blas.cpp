// blas.hpp over the scipy-openblas32 wheel's CBLAS (32-bit integers, scipy_ prefix).
#include "weightinit/blas.hpp"

#include <cblas.h>

#include <mutex>
#include <climits>
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

void use_one_thread() {
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    if (scipy_openblas_get_num_threads() != 1) scipy_openblas_set_num_threads(1);
}

}  // namespace weightinit::blas
