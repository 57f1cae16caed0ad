// Whether a double survives rounding to a narrower float type.
#pragma once

#include <cmath>
#include <limits>

namespace weightinit {

// Whether |x| rounds to inf as a T: at least T's largest value plus half its last place
// (the tie rounds to even, which is inf). Never for a finite x when T is double.
template <class T>
inline bool rounds_to_inf(double x) {
    using limits = std::numeric_limits<T>;
    return std::fabs(x) >= double(limits::max()) + std::ldexp(1.0, limits::max_exponent - limits::digits - 1);
}

}  // namespace weightinit
