// linalg.hpp over the scipy-openblas32 wheel's LAPACK (32-bit integers, scipy_ prefix).
#include "weightinit/linalg.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "weightinit/blas.hpp"

// The wheel's lapack.h names its Fortran symbols through LAPACK_GLOBAL; its own default
// leaves out the prefix that the library's symbols carry (scipy_dgeqrf_), so set it here.
#define LAPACK_GLOBAL(lcname, UCNAME) scipy_##lcname##_
#include <lapack.h>

namespace weightinit::linalg {

namespace {

lapack_int dim(std::size_t n) {
    if (n > static_cast<std::size_t>(INT_MAX)) throw std::length_error("matrix dimension exceeds LAPACK's 32-bit range");
    return static_cast<lapack_int>(n);
}

void check(lapack_int info, const char* routine) {
    if (info != 0) throw std::runtime_error(std::string("LAPACK ") + routine + " failed, info = " + std::to_string(info));
}

// The four LAPACK routines of one precision, overloaded on the element type.
// QR of a column-major m x n (m >= n) matrix: geqrf, then orgqr forms its m x n Q.
void geqrf(lapack_int m, lapack_int n, double* a, lapack_int lda, double* tau, double* w, lapack_int lw, lapack_int* info) {
    LAPACK_dgeqrf(&m, &n, a, &lda, tau, w, &lw, info);
}
void geqrf(lapack_int m, lapack_int n, float* a, lapack_int lda, float* tau, float* w, lapack_int lw, lapack_int* info) {
    LAPACK_sgeqrf(&m, &n, a, &lda, tau, w, &lw, info);
}
void orgqr(lapack_int m, lapack_int n, lapack_int k, double* a, lapack_int lda, const double* tau, double* w,
           lapack_int lw, lapack_int* info) {
    LAPACK_dorgqr(&m, &n, &k, a, &lda, tau, w, &lw, info);
}
void orgqr(lapack_int m, lapack_int n, lapack_int k, float* a, lapack_int lda, const float* tau, float* w,
           lapack_int lw, lapack_int* info) {
    LAPACK_sorgqr(&m, &n, &k, a, &lda, tau, w, &lw, info);
}
// LQ of a column-major m x n (m <= n) matrix: gelqf, then orglq forms its m x n Q.
void gelqf(lapack_int m, lapack_int n, double* a, lapack_int lda, double* tau, double* w, lapack_int lw, lapack_int* info) {
    LAPACK_dgelqf(&m, &n, a, &lda, tau, w, &lw, info);
}
void gelqf(lapack_int m, lapack_int n, float* a, lapack_int lda, float* tau, float* w, lapack_int lw, lapack_int* info) {
    LAPACK_sgelqf(&m, &n, a, &lda, tau, w, &lw, info);
}
void orglq(lapack_int m, lapack_int n, lapack_int k, double* a, lapack_int lda, const double* tau, double* w,
           lapack_int lw, lapack_int* info) {
    LAPACK_dorglq(&m, &n, &k, a, &lda, tau, w, &lw, info);
}
void orglq(lapack_int m, lapack_int n, lapack_int k, float* a, lapack_int lda, const float* tau, float* w,
           lapack_int lw, lapack_int* info) {
    LAPACK_sorglq(&m, &n, &k, a, &lda, tau, w, &lw, info);
}

// The optimal workspace LAPACK reports through work[0] (a float holding an integer).
template <class T>
lapack_int queried(T w) {
    return static_cast<lapack_int>(std::ceil(static_cast<double>(w)));
}

template <class T>
void orthogonal_impl(T* a, std::size_t rows, std::size_t cols, T gain) {
    if (rows == 0 || cols == 0) return;
    // Column-major view of the buffer: the cols x rows matrix A = G^T, leading dimension cols.
    const bool wide = rows < cols;
    const lapack_int m = dim(cols), n = dim(rows), lda = m;
    const lapack_int k = wide ? n : m;  // min(m, n): reflectors, and the length of diag(R)
    dim(rows * cols);                   // LAPACK indexes the whole matrix with its integers

    blas::ThreadScope one_thread(1);  // see linalg.hpp: determinism over speed
    std::vector<T> tau(static_cast<std::size_t>(k));
    // One workspace query per routine, one allocation for both.
    lapack_int info = 0;
    T w_fact = 0, w_form = 0;
    if (wide) {
        geqrf(m, n, a, lda, tau.data(), &w_fact, -1, &info);
        check(info, "geqrf");
        orgqr(m, n, k, a, lda, tau.data(), &w_form, -1, &info);
        check(info, "orgqr");
    } else {
        gelqf(m, n, a, lda, tau.data(), &w_fact, -1, &info);
        check(info, "gelqf");
        orglq(m, n, k, a, lda, tau.data(), &w_form, -1, &info);
        check(info, "orglq");
    }
    const lapack_int lwork = std::max<lapack_int>({queried(w_fact), queried(w_form), 1});
    std::vector<T> work(static_cast<std::size_t>(lwork));

    if (wide)
        geqrf(m, n, a, lda, tau.data(), work.data(), lwork, &info);
    else
        gelqf(m, n, a, lda, tau.data(), work.data(), lwork, &info);
    check(info, wide ? "geqrf" : "gelqf");
    // diag(R) (wide) or diag(L) = diag(R) (tall) is A(j, j), overwritten by orgqr/orglq.
    std::vector<T> scale(static_cast<std::size_t>(k));
    for (std::size_t j = 0; j < scale.size(); ++j) scale[j] = a[j * (cols + 1)] < T(0) ? -gain : gain;
    if (wide)
        orgqr(m, n, k, a, lda, tau.data(), work.data(), lwork, &info);
    else
        orglq(m, n, k, a, lda, tau.data(), work.data(), lwork, &info);
    check(info, wide ? "orgqr" : "orglq");

    // Wide: A's column j (row j of row-major W) is Q's column j.
    // Tall: A's row j (column j of row-major W) is Q's column j.
    if (wide) {
        for (std::size_t j = 0; j < rows; ++j) {
            T* row = a + j * cols;
            const T s = scale[j];
            for (std::size_t i = 0; i < cols; ++i) row[i] *= s;
        }
    } else {
        for (std::size_t i = 0; i < rows; ++i) {
            T* row = a + i * cols;
            for (std::size_t j = 0; j < cols; ++j) row[j] *= scale[j];
        }
    }
}

}  // namespace

void orthogonal(double* a, std::size_t rows, std::size_t cols, double gain) {
    orthogonal_impl(a, rows, cols, gain);
}
void orthogonal(float* a, std::size_t rows, std::size_t cols, float gain) {
    orthogonal_impl(a, rows, cols, gain);
}

}  // namespace weightinit::linalg
