// Bit-level reinterpretation helpers used by the conversions and the math kernels.
#pragma once

#include <cstdint>
#include <cstring>

#include "weightinit/config.hpp"

namespace weightinit {

WI_INLINE std::uint64_t bits_of(double x) {
    std::uint64_t b;
    std::memcpy(&b, &x, sizeof b);
    return b;
}

WI_INLINE double from_bits(std::uint64_t b) {
    double x;
    std::memcpy(&x, &b, sizeof x);
    return x;
}

// Exact conversion of an integer below 2^53 to double using only bit operations,
// which vectorize on every x86-64 level (cvtsi2sd for 64-bit lanes needs AVX-512).
WI_INLINE double u53_to_double(std::uint64_t x) {
    constexpr std::uint64_t two52_bits = 0x4330000000000000ull;  // 2^52
    const double low52 = from_bits(two52_bits | (x & 0xFFFFFFFFFFFFFull)) - 0x1.0p52;
    const double top = from_bits((0 - (x >> 52)) & two52_bits);  // 0 or 2^52
    return low52 + top;
}

}  // namespace weightinit
