// Dense linear algebra of the core over the scipy-openblas32 wheel's LAPACK: the
// orthogonal factor of a Gaussian matrix for weightinit.orthogonal.
#pragma once

#include <cstddef>

#include "weightinit/cancel.hpp"

namespace weightinit::linalg {

// a: a row-major rows x cols matrix G (in practice Gaussian), overwritten in place by
// W = gain * Q * diag(s), where for rows >= cols G = Q R is the thin QR (Q: rows x cols,
// orthonormal columns) and for rows < cols G^T = Q R and W is the transpose of that
// (cols x rows) product; s = sign(diag(R)) with sign(0) = +1 (Mezzadri 2007), so the
// result does not depend on LAPACK's sign convention and is Haar-distributed for a
// Gaussian G. Computed in T's precision by LAPACK's QR blocked by hand (linalg.cpp:
// geqrf and orgqr on panels of 64 columns, each panel's block reflector applied to the
// columns right of it in fixed slices, larfb, shared by up to nthreads threads): a wide G
// in place (the row-major buffer is LAPACK's column-major G^T; through a copy when
// cols * sizeof(T) is a multiple of 512 bytes, padded against cache aliasing), a tall or
// square G in a padded column-major copy (about rows * cols more elements: the LQ of G^T
// in place, gelqf/orglq, measured 1.2-2x slower at 1024^2 for its strided row access).
// Every LAPACK call runs on one OpenBLAS thread (blas::use_one_thread): OpenBLAS's
// threaded QR gives other bits on other thread counts (measured:
// float32 300x200 differs by 2e-7 between 1 and 2 threads, float64 512^2 by 1e-15 between
// 1 and 3), while the slices here are the same calls whatever thread runs them, so the
// result does not depend on nthreads. Deterministic for a given OpenBLAS build and kernel
// set (OPENBLAS_CORETYPE).
// gain: finite and within T's range (std::invalid_argument otherwise), then rounded to T.
// Throws std::length_error beyond LAPACK's 32-bit dimensions, std::runtime_error if
// LAPACK reports an error, std::bad_alloc for the workspace.
// nthreads: threads to share the slices (the caller's included). cancel, when given, is
// called on the calling thread between panels, at most every 50 ms; if it returns true,
// orthogonal throws Cancelled and a is left partly overwritten.
void orthogonal(double* a, std::size_t rows, std::size_t cols, double gain, int nthreads, const Cancel& cancel = {});
void orthogonal(float* a, std::size_t rows, std::size_t cols, double gain, int nthreads, const Cancel& cancel = {});

// Whether orthogonal takes a rows x cols matrix of itemsize-byte elements (4: float, 8:
// double) within LAPACK's 32-bit indexing (its padded leading dimension times the shorter
// side below 2^31; an empty matrix always), the check orthogonal makes: for callers that
// would otherwise fill a large matrix before orthogonal refused it.
bool orthogonal_fits(std::size_t rows, std::size_t cols, std::size_t itemsize);

}  // namespace weightinit::linalg
