// Philox4x32-10 and stream spec v3 (DESIGN.md section 3's v1, with truncated normals at
// their cells' middles, and AS 241 for float32's under one std wide or 5 std out;
// docs/stream_spec.md is the full spec).
//
// Philox4x32-10 is the counter-based generator of Salmon, Moraes, Dror and Shaw,
// "Parallel random numbers: as easy as 1, 2, 3" (SC'11), as shipped in Random123.
// A stream is keyed by two 32-bit words; block j of the stream is the generator
// applied to the 128-bit little-endian counter (j mod 2^32, j >> 32, 0, 0).
// Element i of a tensor depends only on the key and i, which is what makes every
// fill independent of thread count and lets any region be generated alone.
#pragma once

#include "weightinit/bits.hpp"
#include "weightinit/config.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace weightinit {

struct Key {
    std::uint32_t k0;
    std::uint32_t k1;
};

using Block = std::array<std::uint32_t, 4>;

namespace philox_constants {
constexpr std::uint32_t M0 = 0xD2511F53u;
constexpr std::uint32_t M1 = 0xCD9E8D57u;
constexpr std::uint32_t W0 = 0x9E3779B9u;  // golden ratio
constexpr std::uint32_t W1 = 0xBB67AE85u;  // sqrt(3) - 1
constexpr int rounds = 10;
}  // namespace philox_constants

// One Philox4x32-10 evaluation of an arbitrary 128-bit counter.
WI_INLINE Block philox4x32_10(Block c, Key key) {
    using namespace philox_constants;
    std::uint32_t k0 = key.k0, k1 = key.k1;
    for (int r = 0; r < rounds; ++r) {
        if (r > 0) {
            k0 += W0;
            k1 += W1;
        }
        const std::uint64_t p0 = std::uint64_t(M0) * c[0];
        const std::uint64_t p1 = std::uint64_t(M1) * c[2];
        c = {std::uint32_t(p1 >> 32) ^ c[1] ^ k0, std::uint32_t(p1),
             std::uint32_t(p0 >> 32) ^ c[3] ^ k1, std::uint32_t(p0)};
    }
    return c;
}

// The most blocks one batch call computes.
constexpr std::size_t philox_batch = 64;

// philox_blocks' blocks (below) by the fastest version this CPU runs, picked once
// (philox.cpp): each x must have room for philox_batch words, and the words past n may be
// overwritten. n is at most philox_batch.
void philox_batch_blocks(Key key, std::uint64_t j0, std::size_t n, std::uint32_t* x0, std::uint32_t* x1,
                         std::uint32_t* x2, std::uint32_t* x3);

// The versions, by instruction set. The fills use philox_best_version(), the last of
// these the CPU runs (without runtime dispatch, config.hpp: that the build's flags allow); the
// tests run each one the CPU runs by name, and the named call throws
// std::invalid_argument for a version the CPU cannot run or n > philox_batch.
enum class PhiloxVersion { portable, avx2, avx512 };
bool philox_version_available(PhiloxVersion version);
PhiloxVersion philox_best_version();
// Whether philox_version_available asks the CPU (false without runtime dispatch, config.hpp, where
// the build's flags decide, and where no vector version exists).
bool philox_versions_from_cpu();
void philox_batch_blocks(PhiloxVersion version, Key key, std::uint64_t j0, std::size_t n, std::uint32_t* x0,
                         std::uint32_t* x1, std::uint32_t* x2, std::uint32_t* x3);

// Philox4x32-10 of n counters at once, structure of arrays: on entry x0[t] .. x3[t] hold
// counter t, on return its output block. Written as plain loops over t so that the
// compiler vectorizes across counters.
WI_INLINE void philox_rounds(Key key, std::size_t n, std::uint32_t* x0, std::uint32_t* x1, std::uint32_t* x2,
                             std::uint32_t* x3) {
    using namespace philox_constants;
    std::uint32_t k0 = key.k0, k1 = key.k1;
    for (int r = 0; r < rounds; ++r) {
        if (r > 0) {
            k0 += W0;
            k1 += W1;
        }
        for (std::size_t t = 0; t < n; ++t) {
            const std::uint64_t p0 = std::uint64_t(M0) * x0[t];
            const std::uint64_t p1 = std::uint64_t(M1) * x2[t];
            const std::uint32_t y0 = std::uint32_t(p1 >> 32) ^ x1[t] ^ k0;
            const std::uint32_t y2 = std::uint32_t(p0 >> 32) ^ x3[t] ^ k1;
            x1[t] = std::uint32_t(p1);
            x3[t] = std::uint32_t(p0);
            x0[t] = y0;
            x2[t] = y2;
        }
    }
}

// Blocks j0 .. j0+n-1 of the stream, structure of arrays (x0[t] is lane 0 of block
// j0+t); n is at most philox_batch.
WI_INLINE void philox_blocks(Key key, std::uint64_t j0, std::size_t n, std::uint32_t* x0,
                          std::uint32_t* x1, std::uint32_t* x2, std::uint32_t* x3) {
    for (std::size_t t = 0; t < n; ++t) {
        const std::uint64_t j = j0 + t;
        x0[t] = std::uint32_t(j);
        x1[t] = std::uint32_t(j >> 32);
        x2[t] = 0;
        x3[t] = 0;
    }
    philox_rounds(key, n, x0, x1, x2, x3);
}

// Bits -> floats: the only two conversions of stream spec v3.
// float64: a 64-bit word (lo | hi << 32), top 53 bits, times 2^-53: [0, 1).
// Computed as hi 2^-32 + (lo >> 11) 2^-53: both terms and their sum are exact (the sum
// is the 53-bit integer times 2^-53), and only 32-bit lanes are converted, which every
// x86-64 level does in one instruction for a whole vector.
WI_INLINE double u64_to_unit_double(std::uint32_t lo, std::uint32_t hi) {
    const double h = double(std::int32_t(hi ^ 0x80000000u)) + 0x1.0p31;  // hi, exactly
    return h * 0x1.0p-32 + double(std::int32_t(lo >> 11)) * 0x1.0p-53;
}

// float32: one 32-bit lane, top 24 bits, times 2^-24: [0, 1), exact as a float (and so
// as a double, for the float32 paths that do their arithmetic in double).
WI_INLINE float u32_to_unit_float(std::uint32_t lane) { return float(std::int32_t(lane >> 8)) * 0x1.0p-24f; }

}  // namespace weightinit
