// erfc and expm1 for the truncated normal's set-up (Phi at the bounds, and the narrow
// intervals' expm1), written here so that no value of a fill depends on the C library:
// the same bits under glibc 2.36 and 2.43, whose erfc(sqrt(2)) differ by an ulp, and
// under any other libm. Pure arithmetic in double with no contraction (CMakeLists.txt),
// like the rest of the core, so every CPU computes the same bits.
#pragma once

#include <cmath>

#include "weightinit/config.hpp"
#include "weightinit/erfc_tables.hpp"
#include "weightinit/vecmath.hpp"

namespace weightinit::special {

// x * x = hi + lo exactly (Dekker's product by Veltkamp's split; no FMA), for |x| < 2^500.
WI_INLINE void exact_square(double x, double& hi, double& lo) {
    const double big = x * 134217729.0;  // 2^27 + 1
    const double xh = big - (big - x), xl = x - xh;
    hi = x * x;
    lo = ((xh * xh - hi) + 2.0 * xh * xl) + xl * xl;
}

// erfc(x) for x >= 1/4: exp(-x^2) erfcx(x), erfcx from its piece of erfc_tables.hpp. x^2 is
// split exactly (hi + lo) and exp(-hi) kept as 2^k (1 + p) (vecmath::exp_parts): the value
// is 2^k (c0 + s)(1 - lo)(1 + p), s the polynomial's other terms, summed onto c0 last.
WI_INLINE double erfc_right(double x) {
    if (!(x < 27.5)) return 0.0;  // erfc(27.3) is below the smallest subnormal
    const auto* piece = special_tables::erfcx_pieces;
    while (x >= piece->hi) ++piece;
    const double t = x - piece->mid;
    double q = piece->c[piece->degree];
    for (int i = piece->degree - 1; i >= 1; --i) q = q * t + piece->c[i];
    double hi, lo;
    exact_square(x, hi, lo);
    const double c0 = piece->c0, s = piece->c0_rest + t * q;
    double k, p;
    vecmath::exp_parts(-hi, k, p);  // k in [-1091, 0]
    // (c0 + s)(1 - lo)(1 + p) = c0 + (c0 p + s (1 + p) - (c0 + s)(1 + p) lo), lo's term to
    // first order (|lo| < 2^-44)
    return vecmath::times_pow2(c0 + (c0 * p + s * (1.0 + p) - ((c0 + s) * (1.0 + p)) * lo), k);
}

// erf(x) / x for |x| < 1/4, by its Taylor series in x^2.
WI_INLINE double erf_over_x(double x) {
    const double u = x * x;
    constexpr int n = sizeof special_tables::erf_taylor / sizeof special_tables::erf_taylor[0];
    double e = special_tables::erf_taylor[n - 1];
    for (int i = n - 2; i >= 0; --i) e = e * u + special_tables::erf_taylor[i];
    return e;
}

// The complementary error function: within 1.4 ulp of the exact value for results above
// 2^-1022 (tests/test_random.py measures it against mpmath); 2 - erfc(-x) for x <= -1/4;
// NaN for NaN.
WI_INLINE double erfc(double x) {
    if (std::isnan(x)) return x;
    if (x >= 0.25) return erfc_right(x);
    if (x > -0.25) return 1.0 - x * erf_over_x(x);
    return 2.0 - erfc_right(-x);
}

// e^x - 1: within 1.4 ulp, from the reduction of vecmath::exp (x = k ln2 + r, e^r = 1 + p):
// p itself where k = 0 (|x| < ln2 / 2), else (2^k - 1) + 2^k p, whose terms are exact for
// k <= 53 and whose sum rounds once. -1 below -40, inf above ~709.78, NaN for NaN.
WI_INLINE double expm1(double x) {
    if (std::isnan(x)) return x;
    if (x < -40.0) return -1.0;
    if (x > 709.0) return vecmath::exp(x) - 1.0;
    double k, p;
    vecmath::exp_parts(x, k, p);
    if (k == 0.0) return p;
    const double s = vecmath::pow2(k);  // k in [-58, 1023]
    return (s - 1.0) + s * p;
}

}  // namespace weightinit::special
