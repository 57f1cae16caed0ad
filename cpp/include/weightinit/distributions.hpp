// The distributions of stream spec v3, each a block generator for fill_region.
//
// uniform(low, high)      element i: low + (high - low) * u_i, u_i the element's
//                         uniform (philox.hpp); results that round up to high are
//                         set to the largest value below it, so the range is [low, high).
// normal(mean, std)       Box-Muller on the pair's two uniforms:
//                         r = sqrt(-2 log(1 - u1)), z_2p = r cos(2 pi u2), z_2p+1 = r sin(2 pi u2).
// truncated_normal        inverse CDF at the middle of u_i's cell, h = 2^-54 (float32
//   (mean, std, a, b)     stream: 2^-25) from its ends, taken in the tail nearer zero: with
//                         alpha, beta the standardized bounds, p = Phi(alpha) + (u + h)
//                         (Phi(beta) - Phi(alpha)); where p <= 1/2 the quantile is ndtri(p),
//                         else -ndtri(Phi(-beta) + ((1 - u) - h)(Phi(-alpha) - Phi(-beta)))
//                         (not 1 - (u + h), 0 where float64's u + h rounds to 1), so both far
//                         tails keep full relative precision and hold the same cells (at
//                         the cells' lower edges the lower tail held one more at every
//                         threshold, and u = 0 gave alpha itself); p is at least DBL_MIN.
//                         Then the value mean + std z is clamped into [a, b]. ndtri is
//                         Wichura's AS 241 for float64 and Acklam's algorithm for float32.
//                         Narrow intervals, (b - a) / std < 1e-7 (float32 stream: 1e-4),
//                         too few bits of p left between Phi(alpha) and Phi(beta): the
//                         density there is exp(c s) (c = -alpha, s = z - alpha in [0, w],
//                         w = (b - a) / std) up to a factor within 5e-15 (5e-9) of 1,
//                         whose inverse CDF is s = log1p(v expm1(c w)) / c, v = u + h; the value is
//                         a + std s, clamped.
// float32 outputs use the 24-bit lane uniforms, compute in double and round once (uniform:
// or in one float32 FMA where that is the same rounding of the same exact value);
// their bounds are float32 values (the Python layer rounds them). Normals of mean 0 are
// the exception: Box-Muller in float32 arithmetic, r cos and r sin times std in double,
// within a few ulp (kernels.cpp). float16 outputs are the float32 values on float16 bounds,
// rounded again.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "weightinit/fill.hpp"
#include "weightinit/philox.hpp"

namespace weightinit {

struct UniformParams {
    double low, high;
    // float32 outputs as one fused multiply-add, fma(f32_scale, k, f32_low) for the lane's
    // integer k (u = k 2^-24), where make_uniform finds every low + (high - low) u exact in
    // double and a normal float32 or zero: the double's one rounding to float32 is then
    // the FMA's, in every rounding mode and under flush-to-zero. f32_scale 0: not so. Valid
    // under the floating-point control make_uniform ran under (high - low may round).
    float f32_scale = 0.0f, f32_low = 0.0f;
};

struct NormalParams {
    double mean, std;
};

// Precomputed per call; make_truncated_normal checks the preconditions.
struct TruncatedNormalParams {
    double mean, std;
    double lo, hi;                   // clamp bounds, representable in the output type
    double p_alpha, p_span;          // Phi(alpha), Phi(beta) - Phi(alpha)
    double q_beta, q_span;           // Phi(-beta), Phi(-alpha) - Phi(-beta)
    double half_cell;                // half the spacing of u: 2^-54, or 2^-25 on the float32 stream
    // Narrow intervals: s = v E L(v G), v = u + half_cell, E = expm1(c w) / c, G = expm1(c w), L(y) = log1p(y) / y.
    bool narrow;
    // The float64 stream's quantile (AS 241) on the float32 stream too: (b - a) / std below
    // truncated_acklam_width, or a tail beyond truncated_acklam_tail. Always on float64's.
    bool precise_quantile;
    double a, E, G;
    double b;                        // the upper bound as given (a is the lower)
};

// (b - a) / std below which truncated_normal samples the narrow interval's own density:
// where the float64 stream's quantile (AS 241, ~1e-16) or the float32 stream's (Acklam,
// ~1e-9) has too few bits left across the interval, and the density's neglected factor
// exp(-s^2 / 2) is still within the output's precision (5e-15, 5e-9).
constexpr double truncated_narrow_width = 1e-7, truncated_narrow_width_f32 = 1e-4;

// Where the float32 stream takes AS 241 as the float64 stream does: (b - a) / std below
// truncated_acklam_width, or both bounds beyond truncated_acklam_tail std on one side of
// the mean. Acklam's quantile is off by up to 3.5e-8 in z (at 35 std; 9e-10 at 1), and
// every value moves by that: the mass within that of a bound is clamped onto it, leaving a
// gap at the other, about dz / w of it on a narrow interval (4e-4 on [0, 1.1e-4] at mean
// -35 std; helper-186) and about |alpha| dz, some 1.2e-9 alpha^2, in a tail (17 cells of
// 2^24 on [0, 1] at mean -35; helper-187). Elsewhere that is under one cell of the 24-bit
// uniform (2^-24 of the mass).
constexpr double truncated_acklam_width = 1.0, truncated_acklam_tail = 5.0;

TruncatedNormalParams make_truncated_normal(double mean, double std, double a, double b,
                                            bool float32);
// The other distributions' parameters, checked (std::invalid_argument): low <= high with a
// finite span; a finite mean and a finite std >= 0.
UniformParams make_uniform(double low, double high);
NormalParams make_normal(double mean, double std);

// Block generators: the elements of blocks j0 .. j0 + n - 1 (n <= philox_batch) of
// the distribution's stream into dst. Defined in kernels.cpp, compiled for several
// instruction sets and chosen at run time; all of them compute the same bits.
void generate_blocks(Key key, std::uint64_t j0, std::size_t n, const UniformParams& p, double* dst);
void generate_blocks(Key key, std::uint64_t j0, std::size_t n, const UniformParams& p, float* dst);
void generate_blocks(Key key, std::uint64_t j0, std::size_t n, const NormalParams& p, double* dst);
void generate_blocks(Key key, std::uint64_t j0, std::size_t n, const NormalParams& p, float* dst);
void generate_blocks(Key key, std::uint64_t j0, std::size_t n, const TruncatedNormalParams& p, double* dst);
void generate_blocks(Key key, std::uint64_t j0, std::size_t n, const TruncatedNormalParams& p, float* dst);
// float16 outputs, as IEEE binary16 bits: the float32 values rounded to nearest even
// (bits.hpp's half_bits); uniform values that round up to high become the float16 below it.
void generate_blocks(Key key, std::uint64_t j0, std::size_t n, const UniformParams& p, std::uint16_t* dst);
void generate_blocks(Key key, std::uint64_t j0, std::size_t n, const NormalParams& p, std::uint16_t* dst);
void generate_blocks(Key key, std::uint64_t j0, std::size_t n, const TruncatedNormalParams& p, std::uint16_t* dst);

// The truncated-normal values of m chosen element uniforms, each in [0, 1) on its stream's
// grid (std::invalid_argument otherwise), as the fills compute them: so that tests reach
// the cells no short stream holds (u = 0, 1 - 2^-53).
void truncated_normal_of_units(const double* u, std::size_t m, const TruncatedNormalParams& p, double* dst);
void truncated_normal_of_units(const double* u, std::size_t m, const TruncatedNormalParams& p, float* dst);

// The inverse standard normal CDF on an array (the kernel truncated_normal uses),
// exposed so that tests can measure its accuracy; so are the erfc and expm1 of its
// set-up (special.hpp).
void ndtri(const double* p, std::size_t n, double* out);
void erfc(const double* x, std::size_t n, double* out);
void expm1(const double* x, std::size_t n, double* out);

// The largest finite value of an output type (float16 outputs are their bits, uint16).
// inline: an explicit specialization is not, and each includer defined it again (clang's
// linker refused the module: "multiple definition of largest_finite<unsigned short>").
template <class T>
inline constexpr double largest_finite = std::numeric_limits<T>::max();
template <>
inline constexpr double largest_finite<std::uint16_t> = 65504.0;

// Bounds on |z| of the stream's standard normals: Box-Muller's radius from 53-bit
// uniforms, sqrt(-2 log 2^-53) = 8.5717, or from the 24-bit ones of float32 and float16,
// sqrt(48 ln 2) = 5.768; and a truncated normal's quantile, whose p stays at or above
// DBL_MIN (ndtri(DBL_MIN) = -37.5). The Python layer refuses normals beyond the first two
// first (random.py's _MAX_Z, _MAX_Z_F32), and truncated intervals beyond 37 std (_MAX_TAIL,
// kernels.cpp's own check).
constexpr double max_normal_z = 8.572, max_normal_z_f32 = 5.77, max_truncated_z = 40.0;

// Whether x is a value of the output type T, or infinite: float16 outputs (their bits,
// uint16) hold 11 significant bits from 2^-14 up to 65504 and multiples of 2^-24 below.
template <class T>
bool of_output_type(double x) {
    if constexpr (sizeof(T) == 8) {
        return true;
    } else {
        const float f = float(x);
        if (!(double(f) == x)) return false;  // NaN too
        if (sizeof(T) == 4 || std::isinf(f)) return true;
        const float a = std::fabs(f);
        if (a > 65504.0f) return false;
        const double cells = std::ldexp(double(a), a < 0x1p-14f ? 24 : 10 - std::ilogb(a));
        return cells == std::floor(cells);
    }
}

// std::invalid_argument unless every value p can give is finite in the output type T:
// bounds within its range, and |mean| + (largest |z|) std within it where nothing clamps.
// A uniform's bounds are values of T (the Python layer rounds them; a value below a high
// that shared low's T value, or an unrounded low, gave values outside [low, high)).
template <class T>
void check_output(const UniformParams& p) {
    if (!(std::fabs(p.low) <= largest_finite<T> && std::fabs(p.high) <= largest_finite<T>))
        throw std::invalid_argument("uniform: low and high must be finite in the output type");
    if (!of_output_type<T>(p.low) || !of_output_type<T>(p.high))
        throw std::invalid_argument("uniform: low and high must be values of the output type (round them first)");
}
template <class T>
void check_output(const NormalParams& p) {
    const double z = sizeof(T) == 8 ? max_normal_z : max_normal_z_f32;
    if (!(std::fabs(p.mean) + z * p.std <= largest_finite<T>))
        throw std::invalid_argument("normal: mean and std give values beyond the output type's largest");
}
template <class T>
void check_output(const TruncatedNormalParams& p) {
    // float32 outputs have [a, b] rounded inward to float32 (make_truncated_normal); float16
    // ones must bring float16 bounds, which that rounding keeps.
    if (sizeof(T) == 2 && !(of_output_type<T>(p.a) && of_output_type<T>(p.b)))
        throw std::invalid_argument("truncated_normal: a and b must be values of the output type, float16, or "
                                    "infinite (round them inward first)");
    // Values are clamped into [a, b]; an infinite bound leaves its side to the quantile.
    const double reach = std::fabs(p.mean) + max_truncated_z * p.std;
    auto holds = [&](double bound) { return (std::isinf(bound) ? reach : std::fabs(bound)) <= largest_finite<T>; };
    if (!holds(p.a) || !holds(p.b))
        throw std::invalid_argument("truncated_normal: [a, b] reaches beyond the output type's largest");
}

// Fills out with a region of the stream of distribution p (any *Params above); cancel
// as fill_region. Throws std::invalid_argument, before writing, if p's values do not
// fit T (check_output).
template <class T, class Params>
void fill(T* out, const Region& region, Key key, const Params& p, int nthreads, const Cancel& cancel = {}) {
    check_output<T>(p);
    fill_region(
        out, region, [&](std::uint64_t j0, std::size_t n, T* dst) { generate_blocks(key, j0, n, p, dst); },
        nthreads, cancel);
}

}  // namespace weightinit
