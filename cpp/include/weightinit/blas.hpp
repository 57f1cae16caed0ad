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

// Puts OpenBLAS (the wheel's copy, which weightinit alone links; NumPy has its own) on one
// thread unless it already is. weightinit threads its BLAS and LAPACK work itself, in fixed
// chunks so that no result depends on the thread count; OpenBLAS's own threads would
// change bits (its QR's do) and compete with ours. Every entry point that reaches OpenBLAS
// calls this first: it reads OpenBLAS's actual count, since anything in the process
// (threadpoolctl, a direct call) may have changed it since. Serialized, so concurrent
// callers never resize OpenBLAS's pool at once.
void use_one_thread();

}  // namespace weightinit::blas
