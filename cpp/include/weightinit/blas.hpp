// The one GEMM of the core: C = alpha op(A) op(B) + beta C, row-major, through the
// CBLAS of the scipy-openblas32 wheel (its symbols carry a scipy_ prefix). Only the
// MLP's wide layers use it; narrow layers run through the fused loops of mlp.cpp.
#pragma once

#include <cstddef>

namespace weightinit::blas {

void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, double alpha,
          const double* a, std::size_t lda, const double* b, std::size_t ldb, double beta, double* c,
          std::size_t ldc);
void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
          const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta, float* c,
          std::size_t ldc);

// Threads OpenBLAS may use for the calls above and for LAPACK (its own pool, separate
// from NumPy's). The setting is process-wide: the MLP engine sets 1 (it threads its
// GEMMs itself); linalg sets its own count for one call through ThreadScope.
void set_num_threads(int n);

// Sets OpenBLAS's thread count for the scope's lifetime and restores the count that was
// in effect before. Not a lock: concurrent scopes on other threads may interleave.
class ThreadScope {
public:
    explicit ThreadScope(int n);
    ~ThreadScope();
    ThreadScope(const ThreadScope&) = delete;
    ThreadScope& operator=(const ThreadScope&) = delete;

private:
    int saved_;
};

}  // namespace weightinit::blas
