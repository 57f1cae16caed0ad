// Filling an output array with elements of a stream: a flat run, or a rectangular
// region of a larger logical tensor (the basis of sharded and out-of-core init).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "weightinit/cancel.hpp"
#include "weightinit/parallel.hpp"
#include "weightinit/philox.hpp"

namespace weightinit {

// Elements of type T that one Philox block yields (stream spec v3).
template <class T>
constexpr std::size_t elements_per_block = sizeof(T) == 8 ? 2 : 4;

// Elements [i0, i0 + n) of a stream into out. gen(j0, nblocks, dst) writes the
// elements of blocks j0 .. j0 + nblocks - 1 (nblocks <= philox_batch) to dst.
template <class T, class Gen>
void fill_run(T* out, std::uint64_t i0, std::size_t n, const Gen& gen) {
    constexpr std::size_t E = elements_per_block<T>;
    constexpr std::size_t batch_elems = philox_batch * E;
    T tmp[batch_elems];
    while (n > 0) {
        const std::uint64_t j = i0 / E;
        const std::size_t offset = static_cast<std::size_t>(i0 % E);
        std::size_t taken;
        if (offset == 0 && n >= E) {  // whole blocks straight into the output
            const std::size_t nb = std::min(philox_batch, n / E);
            gen(j, nb, out);
            taken = nb * E;
        } else {  // a partial block at either end
            gen(j, 1, tmp);
            taken = std::min(n, E - offset);
            std::copy(tmp + offset, tmp + offset + taken, out);
        }
        out += taken;
        i0 += taken;
        n -= taken;
    }
}

// A batch of the stream's blocks, [j, j + philox_batch), generated once and served to
// several short runs (the rows of a region cut across a narrow last axis).
template <class T>
struct StreamWindow {
    static constexpr std::size_t E = elements_per_block<T>;
    std::uint64_t j = 0;
    bool filled = false;
    T v[philox_batch * E];

    // Elements [i0, i0 + n) of the stream into out, from this window or the next ones.
    template <class Gen>
    void serve(T* out, std::uint64_t i0, std::size_t n, const Gen& gen) {
        while (n > 0) {
            const std::uint64_t b = i0 / E;
            if (!filled || b < j || b - j >= philox_batch) {
                j = b;
                gen(j, philox_batch, v);
                filled = true;
            }
            const std::size_t off = static_cast<std::size_t>(i0 - j * E);
            const std::size_t taken = std::min(n, philox_batch * E - off);
            std::copy(v + off, v + off + taken, out);
            out += taken;
            i0 += taken;
            n -= taken;
        }
    }
};

// A region of a C-ordered logical tensor: start[k] .. start[k] + extent[k] along
// each axis of full_shape. The output holds the region in C order.
struct Region {
    std::vector<std::uint64_t> full_shape;
    std::vector<std::uint64_t> start;
    std::vector<std::uint64_t> extent;

    std::uint64_t size() const {
        std::uint64_t s = 1;
        for (auto e : extent) s *= e;
        return s;
    }

    // Throws unless the region lies inside full_shape and the full tensor's
    // flat indices fit in 64 bits (the counter space of stream spec v3).
    // The messages name the fields (the bindings' full_shape, start, and out's shape).
    void validate() const {
        if (full_shape.size() != start.size() || full_shape.size() != extent.size())
            throw std::invalid_argument("region: full_shape has " + std::to_string(full_shape.size()) +
                                        " axes, start " + std::to_string(start.size()) + " and the output " +
                                        std::to_string(extent.size()) + "; they must agree");
        unsigned __int128 total = 1;
        for (std::size_t k = 0; k < full_shape.size(); ++k) {
            if (start[k] > full_shape[k] || extent[k] > full_shape[k] - start[k])
                throw std::invalid_argument("region outside the tensor: on axis " + std::to_string(k) + ", start " +
                                            std::to_string(start[k]) + " plus the output's " +
                                            std::to_string(extent[k]) + " is beyond full_shape's " +
                                            std::to_string(full_shape[k]));
            total *= full_shape[k];
            if (total > (unsigned __int128)UINT64_MAX)
                throw std::length_error("region: full_shape has more than 2^64 elements");
        }
    }

    // The same elements with each axis merged into its outer neighbour wherever the inner
    // one is whole (start 0, full extent): those rows follow each other in the full tensor's
    // flat order. A whole tensor becomes one axis, so a (N, 4) or a conv kernel's (o, i, 3, 3)
    // is one run of the stream rather than a run per short row (a call per partial block,
    // 12.8 ns an element for (2^20, 4) against 0.29 flat). Needs validate()'s bounds.
    Region merged() const {
        Region r;
        for (std::size_t k = full_shape.size(); k-- > 0;) {
            if (!r.full_shape.empty() && r.start.back() == 0 && r.extent.back() == r.full_shape.back()) {
                const std::uint64_t inner = r.full_shape.back();  // start[k] * inner < full_shape[k] * inner
                r.full_shape.back() = full_shape[k] * inner;
                r.start.back() = start[k] * inner;
                r.extent.back() = extent[k] * inner;
            } else {
                r.full_shape.push_back(full_shape[k]);
                r.start.push_back(start[k]);
                r.extent.push_back(extent[k]);
            }
        }
        std::reverse(r.full_shape.begin(), r.full_shape.end());
        std::reverse(r.start.begin(), r.start.end());
        std::reverse(r.extent.begin(), r.extent.end());
        return r;
    }
};

// Fills out (given.size() elements) with the region given of the stream that gen
// generates, on up to nthreads threads. Small outputs stay on one thread. cancel,
// when given, is polled on the calling thread between chunks (CancelPoll); when it
// stops the fill, Cancelled is thrown and out is left partly written.
template <class T, class Gen>
void fill_region(T* out, const Region& given, const Gen& gen, int nthreads, const Cancel& cancel = {}) {
    given.validate();
    if (given.size() == 0) return;
    const Region region = given.merged();  // the same elements in fewer, longer runs
    const std::uint64_t total = region.size();
    const std::size_t ndim = region.full_shape.size();
    const std::uint64_t row = ndim ? region.extent[ndim - 1] : 1;
    const std::uint64_t col0 = ndim ? region.start[ndim - 1] : 0;
    // C-order strides of the full tensor.
    std::vector<std::uint64_t> stride(ndim, 1);
    for (std::size_t k = ndim; k-- > 1;) stride[k - 1] = stride[k] * region.full_shape[k];

    // The output's rows in order, each with the flat index in the full tensor of its first
    // element: the row's index along the outer axes, counted like an odometer (a row of one
    // element cost three divisions when each row's index was divided out afresh).
    struct Rows {
        const Region& region;
        const std::vector<std::uint64_t>& stride;
        std::vector<std::uint64_t> at;  // index along axes 0 .. ndim - 2, within the region
        std::uint64_t base;             // flat index of the current row's first element
        Rows(const Region& g, const std::vector<std::uint64_t>& st, std::uint64_t r, std::uint64_t col0)
            : region(g), stride(st), at(g.full_shape.size() ? g.full_shape.size() - 1 : 0), base(col0) {
            for (std::size_t k = at.size(); k-- > 0;) {
                at[k] = r % g.extent[k];
                r /= g.extent[k];
                base += (g.start[k] + at[k]) * stride[k];
            }
        }
        void next() {
            for (std::size_t k = at.size(); k-- > 0;) {
                base += stride[k];
                if (++at[k] < region.extent[k] || k == 0) return;
                base -= region.extent[k] * stride[k];  // back to the axis' start, carry to k - 1
                at[k] = 0;
            }
        }
    };

    // Below min_chunk threads cost more than they save; max_chunk (a few milliseconds of
    // work) bounds the time between two polls of cancel, and lets a thread that runs
    // ahead take more chunks.
    constexpr std::uint64_t min_chunk = 1u << 16, max_chunk = 1u << 20;
    const std::uint64_t threads = std::uint64_t(std::max(nthreads, 1));
    const std::uint64_t chunk_target = std::clamp((total + threads - 1) / threads, min_chunk, max_chunk);
    constexpr std::uint64_t align = philox_batch * 4;  // chunk edges on whole batches
    const std::uint64_t chunk = (chunk_target + align - 1) / align * align;
    const std::size_t nchunks = static_cast<std::size_t>((total + chunk - 1) / chunk);

    // Rows cut from a narrow last axis (a (o, i, 3, 3)[..., 1:2], a column of (N, 4)) lie
    // close together in the stream: a batch of it, generated once, holds many of them. A
    // run per row instead costs a Philox call each, ~33 ns however short the row (the
    // rounds of one register are a chain of dependent multiplies): float32 uniform
    // (512, 256, 3, 3)[..., 1:2] took 13 ms so (20 ms with a whole group of registers a
    // call), 1.9 ms from windows. Rows far apart (a column of a wide matrix) take their own
    // runs: a window holding one of them would cost more than the call. So do rows that
    // come one or a few at a time along the next axis out (a conv weight cut to one input
    // channel, (o, i, 9)[:, 0:1, 4:5]): their neighbours are a whole stride of that axis away
    // (2.5x slower windowed, helper-81), where four in a row share a window.
    constexpr std::size_t E = elements_per_block<T>;
    const bool windowed =
        ndim > 1 && region.full_shape[ndim - 1] <= philox_batch * E / 4 && region.extent[ndim - 2] >= 4;

    const std::thread::id caller = std::this_thread::get_id();
    CancelPoll poll(cancel);
    parallel_for(nchunks, nthreads, [&](std::size_t c) {
        if (std::this_thread::get_id() == caller) poll();
        StreamWindow<T> window;
        std::uint64_t o = std::uint64_t(c) * chunk;
        const std::uint64_t o_end = std::min(total, o + chunk);
        Rows rows(region, stride, o / row, col0);
        for (std::uint64_t col = o % row; o < o_end; col = 0, rows.next()) {
            const std::size_t len = static_cast<std::size_t>(std::min(row - col, o_end - o));
            if (windowed)
                window.serve(out + o, rows.base + col, len, gen);
            else
                fill_run(out + o, rows.base + col, len, gen);
            o += len;
        }
    });
}

}  // namespace weightinit
