// linalg.hpp over the scipy-openblas32 wheel's LAPACK (32-bit integers, scipy_ prefix).
#include "weightinit/linalg.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "weightinit/blas.hpp"
#include "weightinit/buffer.hpp"
#include "weightinit/flat.hpp"
#include "weightinit/limits.hpp"
#include "weightinit/parallel.hpp"

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
// T (k x k, upper triangular) of the block reflector H = I - V T V^T of k forward,
// column-wise reflectors (V: n x k, unit lower trapezoidal, as geqrf leaves them).
void larft(lapack_int n, lapack_int k, const double* v, lapack_int ldv, const double* tau, double* t, lapack_int ldt) {
    LAPACK_dlarft_base("F", "C", &n, &k, v, &ldv, tau, t, &ldt, 1, 1);
}
void larft(lapack_int n, lapack_int k, const float* v, lapack_int ldv, const float* tau, float* t, lapack_int ldt) {
    LAPACK_slarft_base("F", "C", &n, &k, v, &ldv, tau, t, &ldt, 1, 1);
}
// C (m x n) := H C (trans "N") or H^T C (trans "T"), H as larft's; work: n x k.
void larfb(const char* trans, lapack_int m, lapack_int n, lapack_int k, const double* v, lapack_int ldv,
           const double* t, lapack_int ldt, double* c, lapack_int ldc, double* work) {
    LAPACK_dlarfb_base("L", trans, "F", "C", &m, &n, &k, v, &ldv, t, &ldt, c, &ldc, work, &n, 1, 1, 1, 1);
}
void larfb(const char* trans, lapack_int m, lapack_int n, lapack_int k, const float* v, lapack_int ldv,
           const float* t, lapack_int ldt, float* c, lapack_int ldc, float* work) {
    LAPACK_slarfb_base("L", trans, "F", "C", &m, &n, &k, v, &ldv, t, &ldt, c, &ldc, work, &n, 1, 1, 1, 1);
}
// The optimal workspace LAPACK reports through work[0] (a float holding an integer).
template <class T>
lapack_int queried(T w) {
    return static_cast<lapack_int>(std::ceil(static_cast<double>(w)));
}

// The layout conversions around the QR go through the matrix in stripes of `tile` rows,
// which threads share from as many elements as flat passes (flat.hpp: 2^16). With the
// scan of the input they took ~160 ms on one thread at 4096^2 float64, beside a QR that
// threads share. Each element is computed alike on any thread: no bit depends on the count.
constexpr std::size_t tile = 32;

template <class F>
void for_stripes(std::size_t rows, std::size_t cols, int nthreads, F&& body) {
    parallel_for((rows + tile - 1) / tile, flat_threads(rows * cols, nthreads),
                 [&](std::size_t s) { body(s * tile, std::min(rows, (s + 1) * tile)); });
}

// dst (column-major, leading dimension ld >= rows) := src (row-major rows x cols), in
// tiles so both sides stay in cache.
template <class T>
void to_column_major(const T* src, std::size_t rows, std::size_t cols, T* dst, std::size_t ld, int nthreads) {
    for_stripes(rows, cols, nthreads, [&](std::size_t i0, std::size_t i1) {
        for (std::size_t j0 = 0; j0 < cols; j0 += tile)
            for (std::size_t j = j0; j < std::min(cols, j0 + tile); ++j)
                for (std::size_t i = i0; i < i1; ++i) dst[i + j * ld] = src[i * cols + j];
    });
}

// GCC 12's -O3 vectorizes the inner loop below with strided loads: 94 ms at 4096^2 float64
// against 24 ms as scalar code (x86-64 baseline).
#if defined(__GNUC__) && !defined(__clang__)
#define WI_SCALAR_LOOPS __attribute__((optimize("no-tree-vectorize")))
#else
#define WI_SCALAR_LOOPS
#endif

// Rows [i0, i1) of dst (row-major rows x cols) := src (column-major, leading dimension
// ld) with column j multiplied by scale[j].
template <class T>
WI_SCALAR_LOOPS void to_row_major_scaled(const T* src, std::size_t i0, std::size_t i1, std::size_t cols,
                                         std::size_t ld, const T* scale, T* dst) {
    for (std::size_t j0 = 0; j0 < cols; j0 += tile) {
        const std::size_t j1 = std::min(cols, j0 + tile);
        for (std::size_t i = i0; i < i1; ++i)
            for (std::size_t j = j0; j < j1; ++j) dst[i * cols + j] = src[i + j * ld] * scale[j];
    }
}
#undef WI_SCALAR_LOOPS

// Columns per panel of the blocked QR, and per task of a panel's update of the columns
// right of it: functions of the matrix's width alone (never of the thread count), so the
// result is too. Narrower slices share a small matrix better between threads, wider ones
// keep the GEMMs of a large one efficient (measured at 1024^2 and 4096^2).
constexpr std::size_t panel = 64;
constexpr std::size_t narrow_update = 128, wide_update = 256;
std::size_t update_width(std::size_t n) { return n >= 2048 ? wide_update : narrow_update; }

// Q (m x n, m >= n, column-major with leading dimension lda) of the QR of the matrix in
// a, in place; returns gain * sign(diag(R)) (sign(0) = +1), read before Q overwrites R.
//
// LAPACK's geqrf/orgqr, blocked by hand so that threads can share the work without
// changing a bit: each panel of `panel` columns is factored (geqrf) and formed (orgqr) by
// one single-threaded call, and its block reflector is applied to the columns right of
// it in slices of update_width(n) columns, one larfb call per slice, the slices
// spread over threads. Every call sees the same data whatever thread runs it, and the
// panels' own calls overlap the updates (look-ahead, below).
template <class T>
std::vector<T> qr_q(T* a, lapack_int m, lapack_int n, lapack_int lda, T gain, int nthreads, const Cancel& cancel) {
    const std::size_t N = static_cast<std::size_t>(n), ld = static_cast<std::size_t>(lda);
    std::vector<T> tau(N);
    std::vector<T> tmat(panel * N);  // T of panel j at column j
    const std::size_t update_cols = update_width(N);
    const std::size_t slices_max = (N + update_cols - 1) / update_cols;
    std::vector<T> slice_work(slices_max * update_cols * panel);
    // One workspace query per routine, for the widest panel, one allocation for both.
    const lapack_int pb = static_cast<lapack_int>(std::min<std::size_t>(panel, N));
    lapack_int info = 0;
    T w_fact = 0, w_form = 0;
    geqrf(m, pb, a, lda, tau.data(), &w_fact, -1, &info);
    check(info, "geqrf");
    orgqr(m, pb, pb, a, lda, tau.data(), &w_form, -1, &info);
    check(info, "orgqr");
    const lapack_int lwork = std::max<lapack_int>({queried(w_fact), queried(w_form), 1});
    std::vector<T> work(static_cast<std::size_t>(lwork));
    auto at = [&](std::size_t i, std::size_t j) { return a + i + j * ld; };
    // Between panels: asks cancel (which may wait for the GIL) at most every 50 ms.
    CancelPoll poll(cancel);
    // Slices of columns right of a full panel j: rows [j, m) of columns [j + panel, n),
    // update_cols at a time.
    const auto slices_right_of = [&](std::size_t j) { return (N - j - panel + update_cols - 1) / update_cols; };
    // Slice s of them := H_j or H_j^T times it, with panel j's reflectors read from v
    // (leading dimension lda, as in a).
    const auto update = [&](const char* trans, std::size_t j, const T* v, std::size_t s) {
        const std::size_t s0 = j + panel + s * update_cols, w = std::min(update_cols, N - s0);
        larfb(trans, m - lapack_int(j), lapack_int(w), lapack_int(panel), v, lda, tmat.data() + j * panel,
              lapack_int(panel), at(j, s0), lda, slice_work.data() + s * update_cols * panel);
    };
    // Panel j factored, with T of its block reflector when columns lie right of it.
    const auto factor = [&](std::size_t j) {
        const std::size_t jb = std::min(panel, N - j);
        lapack_int status = 0;
        geqrf(m - lapack_int(j), lapack_int(jb), at(j, j), lda, tau.data() + j, work.data(), lwork, &status);
        check(status, "geqrf");
        if (j + jb < N)
            larft(m - lapack_int(j), lapack_int(jb), at(j, j), lda, tau.data() + j, tmat.data() + j * panel,
                  lapack_int(panel));
    };
    // Panel j's columns of Q formed from its reflectors, in place (rows above j: zeros).
    const auto form = [&](std::size_t j) {
        const std::size_t jb = std::min(panel, N - j);
        lapack_int status = 0;
        orgqr(m - lapack_int(j), lapack_int(jb), lapack_int(jb), at(j, j), lda, tau.data() + j, work.data(), lwork,
              &status);
        check(status, "orgqr");
        for (std::size_t c = j; c < j + jb; ++c) std::fill(at(0, c), at(j, c), T(0));
    };
    // Look-ahead: the one-thread panel work overlaps the parallel updates. Each LAPACK
    // call still sees the data it would see without the overlap, so no bit changes:
    // - Factoring: the next panel's columns lie in the first slice of this panel's update
    //   (update_width >= panel), whose task goes on to factor that panel.
    static_assert(panel <= narrow_update, "the next panel must lie in the first update slice");
    factor(0);
    for (std::size_t j = 0; j + panel < N; j += panel) {
        parallel_for(slices_right_of(j), nthreads, [&](std::size_t s) {
            update("T", j, at(j, j), s);
            if (s == 0) factor(j + panel);
        });
        poll();
    }
    std::vector<T> scale(N);
    for (std::size_t j = 0; j < N; ++j) scale[j] = *at(j, j) < T(0) ? -gain : gain;
    // Q = H_0 H_1 ... applied to the identity from the last panel back (orgqr's order):
    // when panel j's turn comes, columns left of it are still the identity's, which H_j
    // leaves alone, so only the columns from j on are touched.
    // - Forming: panel j's columns are formed (over its reflectors) while H_j is applied
    //   to the columns right of it, from a copy of the reflectors with a's leading
    //   dimension: 64/N of the matrix, so only from N = 256 (a quarter at most), and only
    //   where threads share the work (alone, H_j is applied first, then the panel formed).
    const std::size_t last = (N - 1) / panel * panel;
    form(last);
    if (last == 0) return scale;
    const bool overlap = detail::loop_threads(nthreads) > 1 && N >= 4 * panel;
    const Buffer<T> saved(overlap ? ld * panel : 0);
    for (std::size_t j = last - panel;; j -= panel) {
        if (overlap) {
            for (std::size_t c = j; c < j + panel; ++c)
                std::copy(at(j, c), at(std::size_t(m), c), saved.data() + j + (c - j) * ld);
            parallel_for(slices_right_of(j) + 1, nthreads, [&](std::size_t t) {
                if (t > 0) return update("N", j, saved.data() + j, t - 1);
                form(j);  // task 0, claimed first: the panel starts at once
            });
        } else {
            parallel_for(slices_right_of(j), nthreads, [&](std::size_t s) { update("N", j, at(j, j), s); });
            form(j);
        }
        if (j == 0) break;
        poll();
    }
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
bool fits(std::size_t rows, std::size_t cols) {
    const std::size_t ld = padded_ld<T>(std::max(rows, cols)), shorter = std::min(rows, cols);
    constexpr auto limit = static_cast<std::size_t>(INT_MAX);
    return shorter == 0 || (ld <= limit && shorter <= limit / ld);  // an empty matrix: nothing to index
}

template <class T>
void orthogonal_impl(T* a, std::size_t rows, std::size_t cols, double gain_given, int nthreads, const Cancel& cancel) {
    if (!std::isfinite(gain_given)) throw std::invalid_argument("orthogonal: gain must be finite");  // any sign
    // Checked before it is rounded to T: a float32 matrix's 1e300 became inf and was called
    // not finite (helper-151); one that rounds to T's largest value is taken (helper-152).
    if (rounds_to_inf<T>(gain_given))
        throw std::invalid_argument("orthogonal: gain is beyond the matrix type's largest value");
    const T gain = static_cast<T>(gain_given);
    if (rows == 0 || cols == 0) return;
    if (!fits<T>(rows, cols)) throw std::length_error("matrix dimension exceeds LAPACK's 32-bit range");
    T* const end = a + rows * cols;
    const Scanned<T> input = scan<true>(a, rows * cols, nthreads);
    if (!input.finite) throw std::invalid_argument("orthogonal: the matrix must be finite");
    const T top = input.largest;
    // Q is the same for any positive multiple of the matrix: entries far from 1 are brought
    // near it by a power of two (exact), so that the QR's norms neither overflow nor sink
    // into subnormals (a 2 x 2 of 1e308 gave [[inf, 0], [nan, 1]]). The Python layer's
    // Gaussian samples are never scaled.
    constexpr int reach = std::numeric_limits<T>::max_exponent / 4;  // 2^256 for double, 2^32 for float
    if (top > 0 && std::abs(std::ilogb(top)) > reach) {
        const int e = -std::ilogb(top);
        for (T* q = a; q < end; ++q) *q = std::ldexp(*q, e);
    }
    blas::use_one_thread();  // threads come from qr_q's slices (linalg.hpp)
    if (rows < cols) {
        // Wide: the row-major buffer is the column-major cols x rows G^T (leading
        // dimension cols), QR'd as it is; its Q (cols x rows, column-major) read row-major
        // is W's rows x cols Q^T, and Q's column j is W's row j. In place unless cols
        // needs padding, then through a padded copy (a row of a is a column there).
        const std::size_t ld = padded_ld<T>(cols);
        const Buffer<T> padded(ld == cols ? 0 : ld * rows);  // written before it is read: not zeroed
        T* const g = ld == cols ? a : padded.data();
        if (g != a)
            for_stripes(rows, cols, nthreads, [&](std::size_t j0, std::size_t j1) {
                for (std::size_t j = j0; j < j1; ++j) std::copy(a + j * cols, a + (j + 1) * cols, g + j * ld);
            });
        const std::vector<T> scale = qr_q(g, dim(cols), dim(rows), dim(ld), gain, nthreads, cancel);
        for_stripes(rows, cols, nthreads, [&](std::size_t j0, std::size_t j1) {
            for (std::size_t j = j0; j < j1; ++j) {
                const T* col = g + j * ld;
                T* row = a + j * cols;
                const T s = scale[j];
                for (std::size_t i = 0; i < cols; ++i) row[i] = col[i] * s;
            }
        });
    } else {
        // Tall or square: QR of G itself in a column-major copy, written back transposed.
        const std::size_t ld = padded_ld<T>(rows);
        const Buffer<T> g(ld * cols);  // written before it is read: not zeroed
        to_column_major(a, rows, cols, g.data(), ld, nthreads);
        const std::vector<T> scale = qr_q(g.data(), dim(rows), dim(cols), dim(ld), gain, nthreads, cancel);
        for_stripes(rows, cols, nthreads, [&](std::size_t i0, std::size_t i1) {
            to_row_major_scaled(g.data(), i0, i1, cols, ld, scale.data(), a);
        });
    }
}

}  // namespace

bool orthogonal_fits(std::size_t rows, std::size_t cols, std::size_t itemsize) {
    if (itemsize == sizeof(float)) return fits<float>(rows, cols);
    if (itemsize == sizeof(double)) return fits<double>(rows, cols);
    throw std::invalid_argument("orthogonal_fits: itemsize must be 4 or 8");
}

void orthogonal(double* a, std::size_t rows, std::size_t cols, double gain, int nthreads, const Cancel& cancel) {
    orthogonal_impl(a, rows, cols, gain, nthreads, cancel);
}
void orthogonal(float* a, std::size_t rows, std::size_t cols, double gain, int nthreads, const Cancel& cancel) {
    orthogonal_impl(a, rows, cols, gain, nthreads, cancel);
}

}  // namespace weightinit::linalg
