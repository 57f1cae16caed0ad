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

// LAPACK's QR, overloaded on the element type: geqrf factors a column-major m x n
// (m >= n) matrix, orgqr then forms its m x n Q from the reflectors.
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
// The optimal workspace LAPACK reports through work[0] (a float holding an integer).
template <class T>
lapack_int queried(T w) {
    return static_cast<lapack_int>(std::ceil(static_cast<double>(w)));
}

// dst (column-major, leading dimension ld >= rows) := src (row-major rows x cols), in
// tiles so both sides stay in cache.
template <class T>
void to_column_major(const T* src, std::size_t rows, std::size_t cols, T* dst, std::size_t ld) {
    constexpr std::size_t tile = 32;
    for (std::size_t i0 = 0; i0 < rows; i0 += tile)
        for (std::size_t j0 = 0; j0 < cols; j0 += tile) {
            const std::size_t i1 = std::min(rows, i0 + tile), j1 = std::min(cols, j0 + tile);
            for (std::size_t j = j0; j < j1; ++j)
                for (std::size_t i = i0; i < i1; ++i) dst[i + j * ld] = src[i * cols + j];
        }
}

// dst (row-major rows x cols) := src (column-major, leading dimension ld) with column j
// multiplied by scale[j].
template <class T>
void to_row_major_scaled(const T* src, std::size_t rows, std::size_t cols, std::size_t ld, const T* scale, T* dst) {
    constexpr std::size_t tile = 32;
    for (std::size_t i0 = 0; i0 < rows; i0 += tile)
        for (std::size_t j0 = 0; j0 < cols; j0 += tile) {
            const std::size_t i1 = std::min(rows, i0 + tile), j1 = std::min(cols, j0 + tile);
            for (std::size_t i = i0; i < i1; ++i)
                for (std::size_t j = j0; j < j1; ++j) dst[i * cols + j] = src[i + j * ld] * scale[j];
        }
}

// Q (m x n, m >= n, column-major with leading dimension lda) of the QR of the matrix in
// a, in place; returns gain * sign(diag(R)) (sign(0) = +1), read before orgqr overwrites R.
template <class T>
std::vector<T> qr_q(T* a, lapack_int m, lapack_int n, lapack_int lda, T gain) {
    std::vector<T> tau(static_cast<std::size_t>(n));
    // One workspace query per routine, one allocation for both.
    lapack_int info = 0;
    T w_fact = 0, w_form = 0;
    geqrf(m, n, a, lda, tau.data(), &w_fact, -1, &info);
    check(info, "geqrf");
    orgqr(m, n, n, a, lda, tau.data(), &w_form, -1, &info);
    check(info, "orgqr");
    const lapack_int lwork = std::max<lapack_int>({queried(w_fact), queried(w_form), 1});
    std::vector<T> work(static_cast<std::size_t>(lwork));
    geqrf(m, n, a, lda, tau.data(), work.data(), lwork, &info);
    check(info, "geqrf");
    std::vector<T> scale(static_cast<std::size_t>(n));
    const std::size_t ld = static_cast<std::size_t>(lda);
    for (std::size_t j = 0; j < scale.size(); ++j) scale[j] = a[j * (ld + 1)] < T(0) ? -gain : gain;
    orgqr(m, n, n, a, lda, tau.data(), work.data(), lwork, &info);
    check(info, "orgqr");
    return scale;
}

// A leading dimension of a multiple of 512 bytes maps a column tile onto few cache sets
// and slows LAPACK's blocked QR (1024x2048 wide in place: 1.3x; 1024^2: 2x); one cache
// line of padding avoids it. Returns m itself when it is not such a multiple.
template <class T>
std::size_t padded_ld(std::size_t m) {
    return m * sizeof(T) % 512 == 0 ? m + 64 / sizeof(T) : m;
}

template <class T>
void orthogonal_impl(T* a, std::size_t rows, std::size_t cols, T gain) {
    if (rows == 0 || cols == 0) return;
    dim(padded_ld<T>(std::max(rows, cols)) * std::min(rows, cols));  // LAPACK's 32-bit indexing
    blas::ThreadScope one_thread(1);  // see linalg.hpp: determinism over speed
    if (rows < cols) {
        // Wide: the row-major buffer is the column-major cols x rows G^T (leading
        // dimension cols), QR'd as it is; its Q (cols x rows, column-major) read row-major
        // is W's rows x cols Q^T, and Q's column j is W's row j. In place unless cols
        // needs padding, then through a padded copy (a row of a is a column there).
        const std::size_t ld = padded_ld<T>(cols);
        if (ld == cols) {
            const std::vector<T> scale = qr_q(a, dim(cols), dim(rows), dim(cols), gain);
            for (std::size_t j = 0; j < rows; ++j) {
                T* row = a + j * cols;
                const T s = scale[j];
                for (std::size_t i = 0; i < cols; ++i) row[i] *= s;
            }
        } else {
            std::vector<T> g(ld * rows);
            for (std::size_t j = 0; j < rows; ++j) std::copy(a + j * cols, a + (j + 1) * cols, g.data() + j * ld);
            const std::vector<T> scale = qr_q(g.data(), dim(cols), dim(rows), dim(ld), gain);
            for (std::size_t j = 0; j < rows; ++j) {
                const T* col = g.data() + j * ld;
                T* row = a + j * cols;
                const T s = scale[j];
                for (std::size_t i = 0; i < cols; ++i) row[i] = col[i] * s;
            }
        }
    } else {
        // Tall or square: QR of G itself in a column-major copy, written back transposed.
        const std::size_t ld = padded_ld<T>(rows);
        std::vector<T> g(ld * cols);
        to_column_major(a, rows, cols, g.data(), ld);
        const std::vector<T> scale = qr_q(g.data(), dim(rows), dim(cols), dim(ld), gain);
        to_row_major_scaled(g.data(), rows, cols, ld, scale.data(), a);
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
