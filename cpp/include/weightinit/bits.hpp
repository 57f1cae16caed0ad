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

}  // namespace weightinit
