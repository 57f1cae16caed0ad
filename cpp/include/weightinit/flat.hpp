// Element-wise passes over one flat array, in chunks that threads share: the MLP's
// update and finiteness checks, and orthogonal's scan of its input.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "weightinit/parallel.hpp"

namespace weightinit {

// Chunks of 2^14 values (128 KiB of doubles), on nthreads threads from four chunks on.
// Such chunks put the 200k values of a [784, 128, 10] fit's X on 256 examples (31 us on
// one thread) and its 100k weights (~45 us) on two, and the scan of X wakes the pool's
// sleeping threads before the step needs them (a wake costs 40-70 us on the development
// host): one-step fits 1.36 -> 1.29 ms (chunks of 2^18 left X on one thread).
constexpr std::size_t flat_chunk = std::size_t(1) << 14;

inline std::size_t flat_chunks(std::size_t n) { return (n + flat_chunk - 1) / flat_chunk; }

// The threads for a pass over n values: nthreads from four chunks on, else one.
inline int flat_threads(std::size_t n, int nthreads) { return n >= 4 * flat_chunk ? nthreads : 1; }

// body(c, j0, j1) for each chunk c, values [j0, j1) of [0, n).
template <class Body>
void for_chunks(std::size_t n, int nthreads, Body&& body) {
    parallel_for(flat_chunks(n), flat_threads(n, nthreads),
                 [&](std::size_t c) { body(c, c * flat_chunk, std::min(n, (c + 1) * flat_chunk)); });
}

template <class T>
struct Scanned {
    bool finite = true;  // every value
    T largest = 0;       // the largest |x| (with Largest; of the finite values when not all are)
};

// a[0, n) scanned on nthreads threads. x - x is 0 for finite x and NaN otherwise, and NaN
// survives the sum; unlike a comparison, the loop has no early exit, so it vectorizes,
// as does the running maximum of |x| (a NaN never replaces it), in 16 lanes.
template <bool Largest, class T>
Scanned<T> scan(const T* a, std::size_t n, int nthreads) {
    std::vector<Scanned<T>> parts(flat_chunks(n));
    for_chunks(n, nthreads, [&](std::size_t c, std::size_t j0, std::size_t j1) {
        constexpr std::size_t lanes = 16;
        T bad[lanes] = {}, most[lanes] = {};
        const T* p = a + j0;
        const std::size_t len = j1 - j0;
        std::size_t i = 0;
        for (; i + lanes <= len; i += lanes)
            for (std::size_t l = 0; l < lanes; ++l) {
                const T x = p[i + l];
                bad[l] += x - x;
                if constexpr (Largest) most[l] = most[l] < std::fabs(x) ? std::fabs(x) : most[l];
            }
        for (; i < len; ++i) {
            const T x = p[i];
            bad[0] += x - x;
            if constexpr (Largest) most[0] = most[0] < std::fabs(x) ? std::fabs(x) : most[0];
        }
        T sum = 0;
        for (std::size_t l = 0; l < lanes; ++l) {
            sum += bad[l];
            parts[c].largest = parts[c].largest < most[l] ? most[l] : parts[c].largest;
        }
        parts[c].finite = sum == T(0);
    });
    Scanned<T> all;
    for (const Scanned<T>& part : parts) {
        all.finite = all.finite && part.finite;
        all.largest = all.largest < part.largest ? part.largest : all.largest;
    }
    return all;
}

}  // namespace weightinit
