// Branch-free elementary functions for the sampling kernels.
//
// Each function is written as straight-line scalar code on doubles and 64-bit
// integers (floats and 32-bit integers for the float32 kernels) so that a loop calling it
// is vectorized by the compiler (SSE2, AVX2 or AVX-512, whichever the dispatcher picked).
// The sampling kernels compile them with floating-point contraction off (CMakeLists.txt),
// so every instruction set computes the same bits; the MLP (mlp.cpp) compiles them with
// contraction on, so its tanh and sigmoid use FMA where the instruction set has it.
//
// Coefficients: the double log, exp and sin/cos kernels are those of fdlibm (Sun
// Microsystems, 1993), the float32 ones Taylor's; the inverse normal CDF is Wichura's algorithm AS 241 (PPND16, Applied
// Statistics 37, 1988), accurate to about 1e-16; float32 outputs use Acklam's
// lighter approximation (2003, relative error below 1.2e-9, far under float32's
// half ulp of 3e-8 where the value is about std z), whose central region also covers more
// of the range, except on intervals under one std wide (distributions.hpp's
// truncated_acklam_width), where mean + std z may cancel and the error show, and on
// intervals beyond 5 std on one side of the mean (truncated_acklam_tail), where its
// error in z passes a cell of the stream.
#pragma once

#include "weightinit/bits.hpp"
#include "weightinit/config.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace weightinit::vecmath {

using weightinit::bits_of;
using weightinit::float_from_bits;
using weightinit::from_bits;

// Natural log of a positive normal double (fdlibm's e_log.c reduction to
// [sqrt(2)/2, sqrt(2)) and its degree-14 minimax polynomial in s = f / (2 + f)).
WI_INLINE double log_positive(double x) {
    constexpr double ln2_hi = 6.93147180369123816490e-01;
    constexpr double ln2_lo = 1.90821492927058770002e-10;
    constexpr double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01,
                     Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01,
                     Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
                     Lg7 = 1.479819860511658591e-01;
    constexpr std::uint64_t sqrt_half = 0x3FE6A09E667F3BCDull;
    // Shift so that mantissas above sqrt(2)/2 .. sqrt(2) share one exponent.
    std::uint64_t ix = bits_of(x) + (0x3FF0000000000000ull - sqrt_half);
    const std::uint64_t biased_k = ix >> 52;  // k + 1023, in [1, 2046]
    ix = (ix & 0x000FFFFFFFFFFFFFull) + sqrt_half;
    const double k = from_bits(0x4330000000000000ull | biased_k) - (0x1.0p52 + 1023.0);
    const double f = from_bits(ix) - 1.0;
    const double s = f / (2.0 + f);
    const double z = s * s;
    const double w = z * z;
    const double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
    const double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    const double R = t2 + t1;
    const double hfsq = 0.5 * f * f;
    return k * ln2_hi - ((hfsq - (s * (hfsq + R) + k * ln2_lo)) - f);
}

// log(1 + x) for x > -1 with 1 + x normal, to full relative precision for small |x|:
// u = 1 + x rounds, but x - (u - 1) is its exact rounding error (Fast2Sum, |x| < 1 or
// u - 1 exact), and log(1 + x) = log(u) + log(1 + (x - (u - 1)) / u) ~ log(u) + (x - (u - 1)) / u.
WI_INLINE double log1p(double x) {
    const double u = 1.0 + x;
    return log_positive(u) + (x - (u - 1.0)) / u;
}

// sin(2 pi u) and cos(2 pi u) for u in [0, 1]. The reduction is exact: u - q/4
// with q = round(4u) loses no bits, so only the kernels' own error remains.
WI_INLINE void sincos_2pi(double u, double& s, double& c) {
    constexpr double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03,
                     S3 = -1.98412698298579493134e-04, S4 = 2.75573137070700676789e-06,
                     S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
    constexpr double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03,
                     C3 = 2.48015872894767294178e-05, C4 = -2.75573143513906633035e-07,
                     C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;
    constexpr double two_pi = 6.28318530717958647693;
    constexpr double round_magic = 0x1.8p52;
    const double shifted = 4.0 * u + round_magic;  // round to nearest, exact for 0 <= 4u <= 4
    const std::uint64_t q = bits_of(shifted);      // low bits hold round(4u)
    const double r = u - (shifted - round_magic) * 0.25;  // in [-1/8, 1/8], exact
    const double x = r * two_pi;                          // in [-pi/4, pi/4]
    const double z = x * x;
    const double sr = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
    const double sin_x = x + (z * x) * (S1 + z * sr);
    const double cr = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
    const double hz = 0.5 * z;
    const double w = 1.0 - hz;
    const double cos_x = w + (((1.0 - w) - hz) + z * cr);
    // Quadrant q: (cos, sin) = (c, s), (-s, c), (-c, -s), (s, -c).
    const std::uint64_t swap = 0 - (q & 1);
    const std::uint64_t cos_sign = ((q + 1) & 2) << 62;
    const std::uint64_t sin_sign = (q & 2) << 62;
    const std::uint64_t sb = bits_of(sin_x), cb = bits_of(cos_x);
    c = from_bits(((cb & ~swap) | (sb & swap)) ^ cos_sign);
    s = from_bits(((sb & ~swap) | (cb & swap)) ^ sin_sign);
}

// float32 arithmetic for float32 normals (16 lanes of an AVX-512 register where the
// double kernels above have 8). Their coefficients are Taylor's, which suffice at float32's
// precision on these short ranges (truncation below 0.05 ulp).

// Natural log of a positive normal float (0.86 ulp at most on [2^-24, 1]): the reduction of
// log_positive to m in [sqrt(2)/2, sqrt(2)), f = m - 1 exactly, log(1 + f) = f - f^2/2 +
// s (f^2/2 + R(s^2)) with s = f / (2 + f) and R(z) = 2z/3 + 2z^2/5 + 2z^3/7 + 2z^4/9.
WI_INLINE float log_positive_f(float x) {
    constexpr std::uint32_t sqrt_half = 0x3F3504F3u;
    constexpr float ln2_hi = 6.9313812256e-01f;  // trailing zeros: k * ln2_hi is exact
    constexpr float ln2_lo = 9.0580006145e-06f;
    std::uint32_t ix = bits_of(x) + (0x3F800000u - sqrt_half);
    const float k = float(std::int32_t(ix >> 23) - 127);
    ix = (ix & 0x007FFFFFu) + sqrt_half;
    const float f = float_from_bits(ix) - 1.0f;
    const float s = f / (2.0f + f);
    const float z = s * s;
    const float R = z * (2.0f / 3 + z * (2.0f / 5 + z * (2.0f / 7 + z * (2.0f / 9))));
    const float hfsq = 0.5f * f * f;
    return k * ln2_hi - ((hfsq - (s * (hfsq + R) + k * ln2_lo)) - f);
}

// sin(2 pi u) and cos(2 pi u) for a float u in [0, 1]: within 0.91 ulp on the float32
// stream's uniforms (the sine kernel 0.70, the cosine kernel 0.91; odd quadrants swap them). The reduction is sincos_2pi's: r = u - round(4u)/4 exactly,
// |r| <= 1/8, and u's 24-bit grid leaves r at most 22 significant bits. So the leading
// terms can be exact: sin = 6r + r (2 pi - 6 + w P(w)), 6r exact; cos = 1 - 19.75 h^2 +
// (small terms), h = r's top 8 bits, h^2 and 19.75 h^2 exact, w = r^2 = h^2 + (2h + l) l.
WI_INLINE void sincos_2pi_f(float u, float& s, float& c) {
    constexpr float round_magic = 0x1.8p23f;
    const float shifted = 4.0f * u + round_magic;    // round to nearest, exact for 0 <= 4u <= 4
    const std::uint32_t q = bits_of(shifted);         // low bits hold round(4u)
    const float r = u - (shifted - round_magic) * 0.25f;
    const float w = r * r;
    // (2 pi)^(2k+1) / (2k+1)! and (2 pi)^(2k) / (2k)!, signs alternating.
    const float sp = 0.28318530717958648f +
                     w * (-41.341702240399760f + w * (81.605249276075043f + w * (-76.705859753061390f +
                                                                                  w * 42.058693944897652f)));
    const float sin_x = r * 6.0f + r * sp;
    const float h = float_from_bits(bits_of(r) & 0xFFFF0000u);
    const float l = r - h;
    const float wl = (h + h + l) * l;  // w - h^2, rounded (a small term)
    const float tail = (-19.739208802178716f + 19.75f) * w +
                       (-19.75f * wl + (w * w) * (64.939394022668290f +
                                                  w * (-85.456817206693728f + w * (60.244641371876661f -
                                                                                   w * 26.426256783374400f))));
    const float cos_x = 1.0f + (-19.75f * (h * h) + tail);
    // Quadrant q: (cos, sin) = (c, s), (-s, c), (-c, -s), (s, -c).
    const std::uint32_t swap = 0u - (q & 1u);
    const std::uint32_t cos_sign = ((q + 1u) & 2u) << 30;
    const std::uint32_t sin_sign = (q & 2u) << 30;
    const std::uint32_t sb = bits_of(sin_x), cb = bits_of(cos_x);
    c = float_from_bits(((cb & ~swap) | (sb & swap)) ^ cos_sign);
    s = float_from_bits(((sb & ~swap) | (cb & swap)) ^ sin_sign);
}

// Inverse standard normal CDF, central region of AS 241: p = 0.5 + q, |q| <= 0.425.
WI_INLINE double ndtri_central(double q) {
    const double r = 0.180625 - q * q;
    const double num =
        (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r +
             45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r +
          133.14166789178437745) * r + 3.387132872796366608);
    const double den =
        (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r +
             21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r +
          42.313330701600911252) * r + 1.0);
    return q * num / den;
}

// Inverse standard normal CDF in the lower tail, AS 241's outer regions: p in
// (0, 0.075), r = sqrt(-log p); the "near" rational serves r <= 5 (p > 1.4e-11),
// the "far" one beyond. Both return the (negative) quantile.
WI_INLINE double ndtri_tail_near(double r) {
    const double a = r - 1.6;
    const double num =
        (((((((7.7454501427834140764e-4 * a + 0.0227238449892691845833) * a + 0.24178072517745061177) * a +
             1.27045825245236838258) * a + 3.64784832476320460504) * a + 5.7694972214606914055) * a +
          4.6303378461565452959) * a + 1.42343711074968357734);
    const double den =
        (((((((1.05075007164441684324e-9 * a + 5.475938084995344946e-4) * a + 0.0151986665636164571966) * a +
             0.14810397642748007459) * a + 0.68976733498510000455) * a + 1.6763848301838038494) * a +
          2.05319162663775882187) * a + 1.0);
    return -(num / den);
}

WI_INLINE double ndtri_tail_far(double r) {
    const double b = r - 5.0;
    const double num =
        (((((((2.01033439929228813265e-7 * b + 2.71155556874348757815e-5) * b + 0.0012426609473880784386) * b +
             0.026532189526576123093) * b + 0.29656057182850489123) * b + 1.7848265399172913358) * b +
          5.4637849111641143699) * b + 6.6579046435011037772);
    const double den =
        (((((((2.04426310338993978564e-15 * b + 1.4215117583164458887e-7) * b + 1.8463183175100546818e-5) * b +
             7.868691311456132591e-4) * b + 0.0148753612908506148525) * b + 0.13692988092273580531) * b +
          0.59983220655588793769) * b + 1.0);
    return -(num / den);
}

WI_INLINE double ndtri_tail_r(double p) { return std::sqrt(-log_positive(p)); }

WI_INLINE double ndtri_lower_tail(double p) {
    const double r = ndtri_tail_r(p);
    return r <= 5.0 ? ndtri_tail_near(r) : ndtri_tail_far(r);
}

// Acklam's inverse normal CDF for float32 outputs: central region p in
// [0.02425, 0.97575] (q = p - 1/2), lower tail below it.
WI_INLINE double ndtri_central_f32(double q) {
    const double r = q * q;
    const double num = (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r +
                          1.383577518672690e+02) * r - 3.066479806614716e+01) * r + 2.506628277459239e+00);
    const double den = (((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r +
                          6.680131188771972e+01) * r - 1.328068155288572e+01) * r + 1.0);
    return q * num / den;
}

WI_INLINE double ndtri_lower_tail_f32(double p) {
    const double q = std::sqrt(-2.0 * log_positive(p));
    const double num = (((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q -
                          2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00);
    const double den = ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q +
                         3.754408661907416e+00) * q + 1.0);
    return num / den;
}

// The quantile function each output type uses, with the edge of its central region.
template <class T>
struct Quantile;

template <>
struct Quantile<double> {
    static constexpr double central_limit = 0.075;  // AS 241: |p - 1/2| <= 0.425
    WI_INLINE static double central(double q) { return ndtri_central(q); }
    // In place on n values (n a multiple of 8); the far rational is computed only
    // when some value needs it, which for most truncation intervals none does.
    WI_INLINE static void lower_tail(double* v, std::size_t n) {
        for (std::size_t j = 0; j < n; ++j) v[j] = ndtri_tail_r(v[j]);
        int far = 0;
        for (std::size_t j = 0; j < n; ++j) far |= v[j] > 5.0;
        if (far)
            for (std::size_t j = 0; j < n; ++j) v[j] = v[j] <= 5.0 ? ndtri_tail_near(v[j]) : ndtri_tail_far(v[j]);
        else
            for (std::size_t j = 0; j < n; ++j) v[j] = ndtri_tail_near(v[j]);
    }
};

template <>
struct Quantile<float> {
    static constexpr double central_limit = 0.02425;
    WI_INLINE static double central(double q) { return ndtri_central_f32(q); }
    WI_INLINE static void lower_tail(double* v, std::size_t n) {
        for (std::size_t j = 0; j < n; ++j) v[j] = ndtri_lower_tail_f32(v[j]);
    }
};

// fdlibm's reduction for e^x (e_exp.c), |x| <= 1000: x = k ln2 + r with k an integer (as
// a double), |r| <= ln2/2, r = hi - lo; and its Remez approximation c = r - r^2 P(r^2), with
// which e^r = 1 + r + r c / (2 - c) = (2 - c + 2r) / (2 - c).
// Pure arithmetic, so V is double or an explicit vector of doubles (vec8.hpp): each lane
// then computes the bits the scalar code computes.
//
// shifted = x / ln2 + (0x1.8p52 + bias) before the rounding constant is taken off again:
// with an even bias k rounds as with none (ties to even), and shifted's low bits are
// k + bias (vec8::tanh reads 2^(k + 1) from them with bias 1024).
template <class V>
WI_INLINE void exp_reduce(V x, V& k, V& hi, V& lo, V& r, V& c, V& shifted, double bias) {
    constexpr double ln2_hi = 6.93147180369123816490e-01;  // trailing zeros: k * ln2_hi is exact
    constexpr double ln2_lo = 1.90821492927058770002e-10;
    constexpr double inv_ln2 = 1.44269504088896338700e+00;
    constexpr double P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03,
                     P3 = 6.61375632143793436117e-05, P4 = -1.65339022054652515390e-06,
                     P5 = 4.13813679705723846039e-08;
    constexpr double round_magic = 0x1.8p52;
    shifted = x * inv_ln2 + (round_magic + bias);  // round to nearest
    k = shifted - (round_magic + bias);
    hi = x - k * ln2_hi;
    lo = k * ln2_lo;
    r = hi - lo;
    const V t = r * r;
    c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
}

template <class V>
WI_INLINE void exp_reduce(V x, V& k, V& hi, V& lo, V& r, V& c) {
    V shifted;
    exp_reduce(x, k, hi, lo, r, c, shifted, 0.0);
}

// e^x = 2^k (1 + p), p = e^r - 1 to ~1 ulp (fdlibm's evaluation, keeping hi and lo apart).
// NaN propagates into p.
WI_INLINE void exp_parts(double x, double& k, double& p) {
    double hi, lo, r, c;
    exp_reduce(x, k, hi, lo, r, c);
    p = hi - (lo - (r * c) / (2.0 - c));
}

// e^x = 2^k (d + 2r) / d with d = 2 - c (about 2): the same reduction as one fraction,
// for callers that divide by an expression in e^x anyway and so need no division of
// their own (~2 ulp instead of 1).
WI_INLINE void exp_fraction(double x, double& k, double& r, double& d) {
    double hi, lo, c;
    exp_reduce(x, k, hi, lo, r, c);
    d = 2.0 - c;
}

// 2^k for an integer-valued double k in [-1022, 1023].
WI_INLINE double pow2(double k) {
    constexpr double round_magic = 0x1.8p52;
    return from_bits((bits_of(k + (round_magic + 1023.0)) & 0x7FFull) << 52);
}

// v 2^k for an integer-valued double k in [-2044, 2046]: two powers of two, k1 = round(k / 2)
// and k - k1, so that neither leaves the normal exponent range (the product may still
// underflow or overflow).
WI_INLINE double times_pow2(double v, double k) {
    constexpr double round_magic = 0x1.8p52;
    const double k1 = (k * 0.5 + round_magic) - round_magic;
    return v * pow2(k1) * pow2(k - k1);
}

// e^x for any double, < 1 ulp for normal results (fdlibm's e_exp.c). Overflows to inf
// above ~709.78, flushes to 0 below ~-745, propagates NaN.
WI_INLINE double exp(double x) {
    // Clamp so that k fits the two-step scaling; comparisons written so NaN passes through.
    x = x < -1000.0 ? -1000.0 : x;
    x = x > 1000.0 ? 1000.0 : x;
    double k, p;
    exp_parts(x, k, p);
    return times_pow2(1.0 + p, k);  // k in [-1443, 1443]
}

// tanh(x) within 4 ulp of libm (3.4 ulp of the correctly rounded value, measured on 4e6
// inputs), as (e^{2|x|} - 1) / (e^{2|x|} + 1) with the sign of x.
// With e^{2|x|} = s (d + 2r) / d (exp_fraction, s = 2^k) this is
// (2 r s + (s - 1) d) / (2 r s + (s + 1) d): no cancellation for small |x| (k = 0 gives
// r / (r + d)), and a single division. The quotient is never negative (k >= 0, and for
// k >= 1 the term (s - 1) d > 2 r s), so x's sign is set by an OR: tanh(-0) = -0.
WI_INLINE double tanh(double x) {
    const double ax = std::fabs(x);
    double k, r, d;
    exp_fraction(2.0 * (ax > 20.0 ? 20.0 : ax), k, r, d);  // tanh(20) rounds to 1; NaN passes
    const double s = pow2(k);                                // k in [0, 58]
    const double rs2 = 2.0 * r * s;                          // exact: powers of two
    const double q = (rs2 + (s - 1.0) * d) / (rs2 + (s + 1.0) * d);
    return from_bits(bits_of(q) | (bits_of(x) & 0x8000000000000000ull));
}

}  // namespace weightinit::vecmath
