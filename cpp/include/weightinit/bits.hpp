// Bit-level reinterpretation helpers used by the conversions and the math kernels.
#pragma once

#include <cstdint>
#include <cstring>

#include "weightinit/config.hpp"

namespace weightinit {

// The bits of x as a To of the same size (std::bit_cast, before C++20).
template <class To, class From>
WI_INLINE To bit_cast(From x) {
    static_assert(sizeof(To) == sizeof(From), "bit_cast needs types of one size");
    To y;
    std::memcpy(&y, &x, sizeof y);
    return y;
}

WI_INLINE std::uint64_t bits_of(double x) { return bit_cast<std::uint64_t>(x); }
WI_INLINE double from_bits(std::uint64_t b) { return bit_cast<double>(b); }
WI_INLINE std::uint32_t bits_of(float x) { return bit_cast<std::uint32_t>(x); }
WI_INLINE float float_from_bits(std::uint32_t b) { return bit_cast<float>(b); }

// The IEEE binary16 bits of x rounded to nearest, ties to even (as NumPy's astype):
// overflow gives inf, NaN a quiet NaN. Straight-line, so loops over it vectorize.
WI_INLINE std::uint16_t half_bits(float x) {
    const std::uint32_t b = bits_of(x);
    const std::uint32_t sign = (b >> 16) & 0x8000u;
    const std::uint32_t a = b & 0x7FFFFFFFu;  // |x|
    // Normal halves (|x| >= 2^-14): drop 13 mantissa bits, rounding to even, and rebias
    // the exponent from 127 to 15; a carry out of the mantissa bumps the exponent, up to inf.
    const std::uint32_t normal = (a + 0xFFFu + ((a >> 13) & 1u) - ((127u - 15u) << 23)) >> 13;
    // Subnormal halves and zero: adding 0.5 puts |x|'s bits in units of 2^-24 (the least
    // subnormal) at the bottom of the mantissa, the FPU rounding them to even.
    constexpr float half_point = 0.5f;
    const std::uint32_t sub = bits_of(float_from_bits(a) + half_point) - bits_of(half_point);
    std::uint32_t h = a < (113u << 23) ? sub : normal;
    h = a >= (143u << 23) ? 0x7C00u : h;      // |x| >= 2^16: inf (smaller overflows carry into it)
    h = a > 0x7F800000u ? 0x7E00u : h;         // NaN
    return static_cast<std::uint16_t>(h | sign);
}

}  // namespace weightinit
