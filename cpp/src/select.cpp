// select.hpp: each column's k smallest keys, found among a few candidate rows.
#include "weightinit/select.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <stdexcept>
#include <vector>

#include "weightinit/parallel.hpp"
#include "weightinit/spans.hpp"

namespace weightinit {

namespace {

// A column's element by (order's bits, row): distinct for distinct rows, so the k smallest
// are one set whatever the algorithm.
struct Key {
    std::uint64_t order;
    std::uint64_t row;
    bool operator<(const Key& o) const { return order < o.order || (order == o.order && row < o.row); }
    bool operator>(const Key& o) const { return o < *this; }
};

std::uint64_t bits(double x) {
    std::uint64_t u;
    std::memcpy(&u, &x, sizeof u);
    return u;
}

// How every column of a call selects. Its cut is its (k + 1)-th smallest key (k < rows),
// ranked from whichever end of the column is nearer. Candidates are the rows whose order
// lies on that end's side of a threshold: a uniform column holds about q * rows values below
// q, and the threshold expects six standard deviations and a few more than the rank needs,
// so the fallback to all of a column's rows is all but never taken.
struct Plan {
    bool low;           // ranked from the low end
    std::size_t need;   // the cut's rank from that end
    std::uint64_t limit;  // candidates: order's bits below it (low), or not below it
    std::size_t cap;    // room for a column's candidates: six standard deviations more again

    Plan(std::size_t rows, std::size_t k) : low(k < rows / 2), need(low ? k + 1 : rows - k) {
        const double expect = static_cast<double>(need) + 6.0 * std::sqrt(static_cast<double>(need)) + 8.0;
        const double q = expect / static_cast<double>(rows);
        limit = bits(low ? std::min(1.0, q) : std::max(0.0, 1.0 - q));
        cap = std::min(rows, static_cast<std::size_t>(expect + 6.0 * std::sqrt(expect) + 16.0));
    }
    bool candidate(std::uint64_t u) const { return low ? u < limit : u >= limit; }
};

// Zeroes a's columns [c0, c1) (k < rows). One pass along the rows gathers the candidates of
// every column of the range, reading order in row-major order (a first version, a column at
// a time down its strided rows, took about twice as long at 1024^2); then each column
// selects among its own. From the low end the k smallest are zeroed where they
// lie; from the high end a second pass zeroes the keys below the cuts.
template <class T>
void zero_columns(T* a, const double* order, std::size_t rows, std::size_t cols, const Plan& plan, std::size_t c0,
                  std::size_t c1) {
    const std::size_t width = c1 - c0, need = plan.need, cap = plan.cap;
    const bool low = plan.low;
    // cap slots a column and one to spare: every element is written to its column's next
    // slot, which only a candidate keeps (a branch there, taken at random, made a standalone
    // loop of this selection about 20% slower at 1024^2, medians of 12 alternated runs;
    // leaving this buffer uninitialized gained nothing). A column that fills its cap may have left some out, and falls back.
    const std::size_t stride = cap + 1;
    std::vector<Key> cands(width * stride);
    std::vector<std::size_t> count(width, 0);
    for (std::size_t r = 0; r < rows; ++r) {
        const double* row = order + r * cols + c0;
        for (std::size_t c = 0; c < width; ++c) {
            const std::uint64_t u = bits(row[c]);
            std::size_t& n = count[c];
            cands[c * stride + n] = {u, r};
            n += static_cast<std::size_t>(plan.candidate(u) & (n < cap));
        }
    }
    std::vector<Key> cut(width), all;
    for (std::size_t c = 0; c < width; ++c) {
        Key* first = &cands[c * stride];
        Key* last = first + count[c];
        if (count[c] < need || (count[c] == cap && cap < rows)) {  // too few, or perhaps some left out
            all.clear();
            all.reserve(rows);  // once: no regrowth at twice a column's size
            for (std::size_t r = 0; r < rows; ++r) all.push_back({bits(order[r * cols + c0 + c]), r});
            first = all.data();
            last = first + rows;
        }
        Key* nth = first + (need - 1);
        if (low) {
            std::nth_element(first, nth, last, std::less<Key>());
            for (const Key* z = first; z != nth; ++z) a[z->row * cols + c0 + c] = T(0);
        } else {
            std::nth_element(first, nth, last, std::greater<Key>());
            cut[c] = *nth;
        }
    }
    if (low) return;
    for (std::size_t r = 0; r < rows; ++r) {
        const double* row = order + r * cols + c0;
        T* out = a + r * cols + c0;
        for (std::size_t c = 0; c < width; ++c)
            if (Key{bits(row[c]), r} < cut[c]) out[c] = T(0);
    }
}

template <class T>
void zero_typed(T* a, const double* order, std::size_t rows, std::size_t cols, std::size_t k, int nthreads) {
    if (k == rows) {
        std::fill(a, a + rows * cols, T(0));
        return;
    }
    const Plan plan(rows, k);
    // Columns a task: candidates of about 256 KB (the cache that takes their scattered stores;
    // 4 MB took twice as long at 1024^2), at most 128 and at least 8 (a cache line of order),
    // and a task a thread. Which rows are zeroed does not depend on the split.
    const std::size_t threads = detail::loop_threads(nthreads);
    std::size_t width = std::clamp<std::size_t>((std::size_t(256) << 10) / ((plan.cap + 1) * sizeof(Key)), 8, 128);
    width = std::min(width, (cols + threads - 1) / threads);
    width = std::max<std::size_t>(8, (width + 7) / 8 * 8);
    parallel_for((cols + width - 1) / width, nthreads, [&](std::size_t t) {
        const std::size_t c0 = t * width;
        zero_columns(a, order, rows, cols, plan, c0, std::min(cols, c0 + width));
    });
}

}  // namespace

void zero_smallest(void* a, std::size_t itemsize, const double* order, std::size_t rows, std::size_t cols,
                   std::size_t k, int nthreads) {
    if (itemsize != 2 && itemsize != 4 && itemsize != 8)
        throw std::invalid_argument("zero_smallest: itemsize must be 2, 4 or 8");
    if (k > rows) throw std::invalid_argument("zero_smallest: k must not exceed rows");
    check_disjoint({{a, rows * cols * itemsize, true, "a"}, {order, rows * cols * sizeof(double), false, "order"}});
    if (k == 0 || rows == 0 || cols == 0) return;
    if (itemsize == 2)
        zero_typed(static_cast<std::uint16_t*>(a), order, rows, cols, k, nthreads);
    else if (itemsize == 4)
        zero_typed(static_cast<std::uint32_t*>(a), order, rows, cols, k, nthreads);
    else
        zero_typed(static_cast<std::uint64_t*>(a), order, rows, cols, k, nthreads);
}

}  // namespace weightinit
