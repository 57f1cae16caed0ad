// Block generators of stream spec v3 (see distributions.hpp for the rules).
// Each is a plain loop over a batch of Philox blocks, compiled once per instruction
// set (WI_DISPATCH); floating-point contraction is off, so every clone agrees bit
// for bit with the others (and with the reference for uniforms and float32 normals;
// docs/stream_spec.md says where the rest are a few ulp off).
#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "weightinit/distributions.hpp"
#include "weightinit/special.hpp"
#include "weightinit/vecmath.hpp"

namespace weightinit {

namespace {

constexpr std::size_t B = philox_batch;

struct Lanes {
    alignas(64) std::uint32_t x0[B], x1[B], x2[B], x3[B];
    WI_INLINE void generate(Key key, std::uint64_t j0, std::size_t n) { philox_batch_blocks(key, j0, n, x0, x1, x2, x3); }
};

// The element uniforms of n blocks, in element order.
WI_INLINE void unit_doubles(const Lanes& l, std::size_t n, double* u) {
    for (std::size_t t = 0; t < n; ++t) {
        u[2 * t] = u64_to_unit_double(l.x0[t], l.x1[t]);
        u[2 * t + 1] = u64_to_unit_double(l.x2[t], l.x3[t]);
    }
}

// The float32 stream's, as doubles or floats (the same values: 24-bit, exact in both).
template <class F>
WI_INLINE void unit_floats(const Lanes& l, std::size_t n, F* u) {
    for (std::size_t t = 0; t < n; ++t) {
        u[4 * t] = F(u32_to_unit_float(l.x0[t]));
        u[4 * t + 1] = F(u32_to_unit_float(l.x1[t]));
        u[4 * t + 2] = F(u32_to_unit_float(l.x2[t]));
        u[4 * t + 3] = F(u32_to_unit_float(l.x3[t]));
    }
}

// One Box-Muller pair from its two uniforms.
WI_INLINE void box_muller(double u1, double u2, double& z0, double& z1) {
    const double r = std::sqrt(-2.0 * vecmath::log_positive(1.0 - u1));
    double s, c;
    vecmath::sincos_2pi(u2, s, c);
    z0 = r * c;
    z1 = r * s;
}

// low + (high - low) u, rounded to T, and kept below high: a value that rounds to high (or
// to -0 for a high of +0) becomes top, the largest T below it. No T lies between top and
// high, so that is the minimum of the two, taken as top < v ? top : v (one minps/minpd):
// equal zeros give v, so a -0 below a high of the smallest subnormal (top +0) stays -0.
// Built only where high > low: equal bounds give every element low (fill_low), whatever the
// rounding mode (a span of -0 kept a low of -0 rounding to nearest, but turned +0 into -0
// rounding down, helper-168).
template <class T>
struct UniformMap {
    double low, span;
    T top;
    explicit UniformMap(const UniformParams& p)
        : low(p.low), span(p.high - p.low), top(std::nextafter(T(p.high), -std::numeric_limits<T>::infinity())) {}
    WI_INLINE T operator()(double u) const {
        const T v = T(low + span * u);
        return top < v ? top : v;
    }
};

// Keeps an indexed loop scalar: vector gather/scatter is microcoded and slower than
// scalar code on some CPUs (AMD Zen 4), and these loops touch only the tail elements.
#define WI_NO_VECTORIZE(var) __asm__("" : "+r"(var))

// Eight bytes as a word whose byte j (bits 8j .. 8j + 7) is p[j], and back: one load or
// store where bytes are little-endian (GCC merges the shifts only in some clones).
WI_INLINE std::uint64_t load_le64(const std::uint8_t* p) {
    std::uint64_t w = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    std::memcpy(&w, p, 8);
#else
    for (unsigned j = 0; j < 8; ++j) w |= std::uint64_t(p[j]) << (8 * j);
#endif
    return w;
}
WI_INLINE void store_le64(std::uint8_t* p, std::uint64_t w) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    std::memcpy(p, &w, 8);
#else
    for (unsigned j = 0; j < 8; ++j) p[j] = std::uint8_t(w >> (8 * j));
#endif
}

// set_positions[mask]: the positions of mask's set bits, ascending, one per byte from the
// lowest (the rest 0).
constexpr auto set_positions = [] {
    std::array<std::uint64_t, 256> t{};
    for (unsigned mask = 0; mask < 256; ++mask)
        for (unsigned bit = 0, n = 0; bit < 8; ++bit)
            if (mask >> bit & 1) t[mask] |= std::uint64_t(bit) << (8 * n++);
    return t;
}();

// mean + std z for a quantile z of the lower tail (or of the upper, negated), clamped to [lo, hi].
WI_INLINE double truncated_value(double z_lower_side, bool use_lower, const TruncatedNormalParams& p) {
    const double v = p.mean + (use_lower ? p.std : -p.std) * z_lower_side;  // the bits of std * (+-z)
    return std::min(std::max(v, p.lo), p.hi);
}

// log1p(y) / y for |y| <= 3.8e-3 (|c w| <= 37e-4 on the float32 stream, 37e-7 on float64's):
// the series to y^3, whose error y^4 / 5 is under 4e-11 and 4e-23 there.
WI_INLINE double log1p_ratio_small(double y) { return 1.0 - y * (0.5 - y * (1.0 / 3.0 - y * 0.25)); }

// p from the lower tail for an element uniform u: Phi(alpha) + (u + h)(Phi(beta) - Phi(alpha)),
// h half a cell of u; the element takes the lower tail where it is at most 1/2.
WI_INLINE double lower_p(double u, const TruncatedNormalParams& p) { return p.p_alpha + (u + p.half_cell) * p.p_span; }

// The quantile pass, with the quantile function Q: truncated-normal values of m element
// uniforms (m <= 4 B), the quantile taken in the tail nearer zero. The central formula
// serves every element in one vector pass; the ~10% beyond Q's central region are then
// packed, computed as whole vectors and written back.
template <class Q, class T>
WI_INLINE void truncated_by_quantile(const double* u, std::size_t m, const TruncatedNormalParams& p, T* dst) {
    alignas(64) double t[4 * B];
    for (std::size_t i = 0; i < m; ++i) {
        // The middle of u's cell from either end: 1 - u is exact, and (1 - u) - h >= h, where
        // 1 - (u + h) is 0 for float64's last cell (u + 2^-54 rounds to 1).
        const double lower = lower_p(u[i], p);
        const double upper = p.q_beta + ((1.0 - u[i]) - p.half_cell) * p.q_span;  // 1 - lower, from the other tail
        const bool use_lower = lower <= 0.5;
        const double ti = use_lower ? lower : upper;
        t[i] = ti;
        dst[i] = T(truncated_value(Q::central(std::min(ti, 0.5) - 0.5), use_lower, p));
    }
    // The tails' indices, in order, without a branch per element: a flag byte per element
    // (one vector pass), then eight flags at a time gathered into a bit mask whose table
    // row lists the set positions (tails are 0.3% of the values for bounds at 2 std on the
    // float32 stream, ~11% on float64's: too many for a branch to predict).
    alignas(8) std::uint8_t flag[4 * B + 8];
    for (std::size_t i = 0; i < m; ++i) flag[i] = t[i] < Q::central_limit;
    for (std::size_t i = m; i % 8; ++i) flag[i] = 0;
    static_assert(4 * B <= 256, "tail positions are bytes");
    alignas(8) std::uint8_t idx[4 * B + 8];
    std::size_t k = 0;
    for (std::size_t i = 0; i < m; i += 8) {
        const std::uint64_t w = load_le64(flag + i);
        const unsigned mask = unsigned((w * 0x0102040810204080ull) >> 56);  // bit j is flag[i + j]
        store_le64(idx + k, set_positions[mask] + i * 0x0101010101010101ull);  // no byte carries
        k += unsigned(__builtin_popcount(mask));
    }
    constexpr std::size_t V = 8;  // whole vectors: a scalar remainder would cost more than padding
    alignas(64) double tail[4 * B + V];
    for (std::size_t j = 0; j < k; ++j) {
        std::size_t i = idx[j];
        WI_NO_VECTORIZE(i);
        tail[j] = std::max(t[i], DBL_MIN);  // the spec's floor, here alone: min(t, 1/2) - 1/2 above is -1/2 for both
    }
    for (std::size_t j = k; j % V; ++j) tail[j] = 0.01;
    Q::lower_tail(tail, (k + V - 1) / V * V);
    for (std::size_t j = 0; j < k; ++j) {
        std::size_t i = idx[j];
        WI_NO_VECTORIZE(i);
        dst[i] = T(truncated_value(tail[j], lower_p(u[i], p) <= 0.5, p));
    }
}

template <class T>
WI_INLINE void truncated_from_units(const double* u, std::size_t m, const TruncatedNormalParams& p, T* dst) {
    if (p.narrow) {
        for (std::size_t i = 0; i < m; ++i) {
            const double v = u[i] + p.half_cell;
            const double s = v * p.E * log1p_ratio_small(v * p.G);
            dst[i] = T(std::min(std::max(p.a + p.std * s, p.lo), p.hi));
        }
    } else if constexpr (std::is_same_v<T, double>) {
        truncated_by_quantile<vecmath::Quantile<double>>(u, m, p, dst);
    } else if (p.precise_quantile) {
        truncated_by_quantile<vecmath::Quantile<double>>(u, m, p, dst);
    } else {
        truncated_by_quantile<vecmath::Quantile<float>>(u, m, p, dst);
    }
}

// The element uniforms of stream spec v3 for blocks j0 .. j0 + n - 1, in element
// order; returns how many (2 per block for float64, 4 for float32).
template <class T>
WI_INLINE std::size_t element_uniforms(Key key, std::uint64_t j0, std::size_t n, double* u) {
    Lanes l;
    l.generate(key, j0, n);
    if constexpr (sizeof(T) == 8)
        unit_doubles(l, n, u);
    else
        unit_floats(l, n, u);
    return n * elements_per_block<T>;
}

// Box-Muller on consecutive pairs: the pair (2p, 2p + 1) takes its own two uniforms.
template <class T>
WI_INLINE void normal_from_units(const double* u, std::size_t m, const NormalParams& p, T* dst) {
    for (std::size_t i = 0; i < m; i += 2) {
        double z0, z1;
        box_muller(u[i], u[i + 1], z0, z1);
        dst[i] = T(p.mean + p.std * z0);
        dst[i + 1] = T(p.mean + p.std * z1);
    }
}

// float32 normals with mean 0 (every initializer's): Box-Muller in float32 arithmetic
// (vecmath's log_positive_f, sincos_2pi_f), then r cos, r sin and the std in double,
// rounded once: in 82e6 samples 64% exact, 0.6% 2 ulp off and 10 values 3 ulp off (the
// error terms add up to at most about 3.3 ulp), where the double kernel is within 1 ulp,
// at about twice its speed. With a mean, values near zero
// would carry the float32 error of z at a much finer ulp: those take the double kernel.
WI_INLINE std::size_t float32_normals(Key key, std::uint64_t j0, std::size_t n, const NormalParams& p,
                                      float* dst) {
    Lanes l;
    l.generate(key, j0, n);
    const std::size_t m = n * 4;
    if (p.mean == 0.0) {
        alignas(64) float u[4 * B];
        unit_floats(l, n, u);
        for (std::size_t i = 0; i < m; i += 2) {
            const double r = std::sqrt(-2.0f * vecmath::log_positive_f(1.0f - u[i]));
            float s, c;
            vecmath::sincos_2pi_f(u[i + 1], s, c);
            dst[i] = float(p.mean + p.std * (r * double(c)));
            dst[i + 1] = float(p.mean + p.std * (r * double(s)));
        }
    } else {
        alignas(64) double u[4 * B];
        unit_floats(l, n, u);
        normal_from_units(u, m, p, dst);
    }
    return m;
}

}  // namespace

namespace {

// float32 uniform values by UniformParams::f32_scale: fma(s, k, low) for each lane's k,
// kept below high as UniformMap does: an int-to-float conversion and one FMA a value, where
// the double path takes six operations (int to float, times 2^-24, to double, multiply, add,
// back to float) and took as long as the Philox rounds (Zen 4, benchmarks.md). Where the
// build has no FMA instruction, the CPU is asked (the default clone would call libm's fmaf
// once a value); false where it has none, for the double path.
WI_INLINE void fma_float_lanes(const Lanes& l, std::size_t n, float s, float low, float top, float* dst) {
    for (std::size_t t = 0; t < n; ++t) {
        const float v0 = std::fma(s, float(std::int32_t(l.x0[t] >> 8)), low);
        const float v1 = std::fma(s, float(std::int32_t(l.x1[t] >> 8)), low);
        const float v2 = std::fma(s, float(std::int32_t(l.x2[t] >> 8)), low);
        const float v3 = std::fma(s, float(std::int32_t(l.x3[t] >> 8)), low);
        dst[4 * t] = top < v0 ? top : v0;
        dst[4 * t + 1] = top < v1 ? top : v1;
        dst[4 * t + 2] = top < v2 ? top : v2;
        dst[4 * t + 3] = top < v3 ? top : v3;
    }
}
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
WI_INLINE bool fma_floats(const Lanes& l, std::size_t n, float s, float low, float top, float* dst) {
    fma_float_lanes(l, n, s, low, top, dst);
    return true;
}
#elif defined(WI_RUNTIME_DISPATCH)
__attribute__((target("avx512f,fma"))) void fma_floats_avx512(const Lanes& l, std::size_t n, float s, float low,
                                                              float top, float* dst) {
    fma_float_lanes(l, n, s, low, top, dst);
}
__attribute__((target("avx2,fma"))) void fma_floats_avx2(const Lanes& l, std::size_t n, float s, float low, float top,
                                                         float* dst) {
    fma_float_lanes(l, n, s, low, top, dst);
}
int fma_level() {
    static const int level = [] {
        __builtin_cpu_init();
        if (!__builtin_cpu_supports("fma")) return 0;
        return __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
    }();
    return level;
}
bool fma_floats(const Lanes& l, std::size_t n, float s, float low, float top, float* dst) {
    switch (fma_level()) {
        case 2:
            fma_floats_avx512(l, n, s, low, top, dst);
            return true;
        case 1:
            fma_floats_avx2(l, n, s, low, top, dst);
            return true;
        default:
            return false;
    }
}
#else
WI_INLINE bool fma_floats(const Lanes&, std::size_t, float, float, float, float*) { return false; }
#endif

}  // namespace

// One dispatched entry point per (distribution, type): GCC's target_clones cannot
// apply to a template, so a macro stamps out the plain functions (both uniforms and the
// float32 normal are written out, between the macro's uses). The loops read a
// local copy of the parameters: dst may alias p for all the compiler knows, and
// reloading p's fields after every store kept the float64 loops scalar (uniform: 1.75 ns
// an element on a Xeon instead of ~0.5).
#define WI_GENERATE_BLOCKS(Params, T, from_units)                                                     \
    WI_DISPATCH void generate_blocks(Key key, std::uint64_t j0, std::size_t n, const Params& p, T* dst) { \
        double u[4 * B];                                                                              \
        const Params local = p;                                                                       \
        from_units(u, element_uniforms<T>(key, j0, n, u), local, dst);                                \
    }

// A uniform of low == high: every element low, bits and sign (the spec's value: low + 0 u
// rounds to low or to a zero of the other sign, and either is not below high).
template <class T>
WI_INLINE bool fill_low(const UniformParams& p, std::size_t count, T* dst) {
    if (p.high > p.low) return false;
    std::fill(dst, dst + count, T(p.low));
    return true;
}

// Uniforms straight from the lanes, each value mapped as it is read and stored in
// element order (through u[] they took one more pass, and float32's lanes were
// interleaved as doubles, eight to a register).
WI_DISPATCH void generate_blocks(Key key, std::uint64_t j0, std::size_t n, const UniformParams& p, double* dst) {
    if (fill_low(p, 2 * n, dst)) return;
    Lanes l;
    l.generate(key, j0, n);
    const UniformMap<double> f(p);
    for (std::size_t t = 0; t < n; ++t) {
        dst[2 * t] = f(u64_to_unit_double(l.x0[t], l.x1[t]));
        dst[2 * t + 1] = f(u64_to_unit_double(l.x2[t], l.x3[t]));
    }
}
WI_DISPATCH void generate_blocks(Key key, std::uint64_t j0, std::size_t n, const UniformParams& p, float* dst) {
    if (fill_low(p, 4 * n, dst)) return;
    Lanes l;
    l.generate(key, j0, n);
    const UniformMap<float> f(p);
    if (p.f32_scale != 0.0f && fma_floats(l, n, p.f32_scale, p.f32_low, f.top, dst)) return;
    for (std::size_t t = 0; t < n; ++t) {
        dst[4 * t] = f(u32_to_unit_float(l.x0[t]));
        dst[4 * t + 1] = f(u32_to_unit_float(l.x1[t]));
        dst[4 * t + 2] = f(u32_to_unit_float(l.x2[t]));
        dst[4 * t + 3] = f(u32_to_unit_float(l.x3[t]));
    }
}
WI_GENERATE_BLOCKS(NormalParams, double, normal_from_units)
WI_DISPATCH void generate_blocks(Key key, std::uint64_t j0, std::size_t n, const NormalParams& p, float* dst) {
    const NormalParams local = p;
    float32_normals(key, j0, n, local, dst);
}
WI_GENERATE_BLOCKS(TruncatedNormalParams, double, truncated_from_units)
WI_GENERATE_BLOCKS(TruncatedNormalParams, float, truncated_from_units)
#undef WI_GENERATE_BLOCKS

namespace {

// float16 (as its bits): the float32 values of the same blocks, rounded. A uniform value
// that rounds up to high (a float16 value here) becomes the largest float16 below it; -0
// counts as equal to a high of +0.
template <class Params>
WI_INLINE void round_to_half(const float* f, std::size_t m, const Params&, std::uint16_t* dst) {
    for (std::size_t i = 0; i < m; ++i) dst[i] = half_bits(f[i]);
}

WI_INLINE void round_to_half(const float* f, std::size_t m, const UniformParams& p, std::uint16_t* dst) {
    if (!(p.high > p.low)) return round_to_half<NormalParams>(f, m, {}, dst);
    const std::uint32_t high = half_bits(float(p.high));
    const std::uint32_t high_zero = (high & 0x7FFFu) == 0 ? high ^ 0x8000u : high;  // the other zero
    // The float16 just below high: one step towards -inf from its bits.
    const std::uint32_t top = high == 0 || high == 0x8000u ? 0x8001u : (high & 0x8000u) ? high + 1 : high - 1;
    for (std::size_t i = 0; i < m; ++i) {
        const std::uint32_t h = half_bits(f[i]);
        dst[i] = static_cast<std::uint16_t>(h == high || h == high_zero ? top : h);
    }
}

}  // namespace

// The float32 fill's values, FMA path included, rounded (no second copy of its map).
WI_DISPATCH void generate_blocks(Key key, std::uint64_t j0, std::size_t n, const UniformParams& p,
                                 std::uint16_t* dst) {
    float f[4 * B];
    generate_blocks(key, j0, n, p, f);
    round_to_half(f, 4 * n, p, dst);
}
WI_DISPATCH void generate_blocks(Key key, std::uint64_t j0, std::size_t n, const NormalParams& p,
                                 std::uint16_t* dst) {
    float f[4 * B];
    const NormalParams local = p;
    round_to_half(f, float32_normals(key, j0, n, local, f), local, dst);
}
WI_DISPATCH void generate_blocks(Key key, std::uint64_t j0, std::size_t n, const TruncatedNormalParams& p,
                                 std::uint16_t* dst) {
    double u[4 * B];
    float f[4 * B];
    const std::size_t m = element_uniforms<float>(key, j0, n, u);
    truncated_from_units(u, m, p, f);
    round_to_half(f, m, p, dst);
}

template <class T>
void truncated_of_units(const double* u, std::size_t m, const TruncatedNormalParams& p, T* dst) {
    constexpr int grid = sizeof(T) == 4 ? 24 : 53;  // the stream's cells, 2^-24 or 2^-53 apart
    for (std::size_t i = 0; i < m; ++i) {
        const double cells = std::ldexp(u[i], grid);
        if (!(u[i] >= 0.0 && u[i] < 1.0) || cells != std::floor(cells))
            throw std::invalid_argument("truncated_normal_of_units: u must lie in [0, 1), on its stream's grid "
                                        "(multiples of 2^-" + std::to_string(grid) + ")");
    }
    for (std::size_t i = 0; i < m; i += 4 * B) truncated_from_units(u + i, std::min(m - i, 4 * B), p, dst + i);
}
void truncated_normal_of_units(const double* u, std::size_t m, const TruncatedNormalParams& p, double* dst) {
    truncated_of_units(u, m, p, dst);
}
void truncated_normal_of_units(const double* u, std::size_t m, const TruncatedNormalParams& p, float* dst) {
    truncated_of_units(u, m, p, dst);
}

void erfc(const double* x, std::size_t n, double* out) {
    for (std::size_t i = 0; i < n; ++i) out[i] = special::erfc(x[i]);
}

void expm1(const double* x, std::size_t n, double* out) {
    for (std::size_t i = 0; i < n; ++i) out[i] = special::expm1(x[i]);
}

void ndtri(const double* p, std::size_t n, double* out) {
    for (std::size_t i = 0; i < n; ++i) {
        const bool lower = p[i] <= 0.5;
        const double t = lower ? p[i] : 1.0 - p[i];
        double x;
        if (std::isnan(p[i]) || p[i] < 0.0 || p[i] > 1.0)
            x = std::numeric_limits<double>::quiet_NaN();
        else if (!(t > 0.0))
            x = -std::numeric_limits<double>::infinity();
        else if (t < vecmath::Quantile<double>::central_limit)
            x = vecmath::ndtri_lower_tail(std::max(t, DBL_MIN));
        else
            x = vecmath::ndtri_central(t - 0.5);
        out[i] = lower ? x : -x;
    }
}

namespace {
double normal_cdf(double x) { return 0.5 * special::erfc(-x / std::sqrt(2.0)); }  // as the reference

// The float32 value nearest x on the inside of [a, b].
double round_inward_f32(double x, bool up) {
    float f = float(x);
    if (up && double(f) < x) f = std::nextafter(f, std::numeric_limits<float>::infinity());
    if (!up && double(f) > x) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
    return f;
}
}  // namespace

namespace {

// The lowest set bit of a finite x, as a power of two; 0 for 0, which has none.
double lowest_bit(double x) {
    if (x == 0.0 || !std::isfinite(x)) return 0.0;  // the loop below would not end
    int e = 0;
    auto m = std::uint64_t(std::ldexp(std::frexp(std::fabs(x), &e), 53));  // x = m 2^(e - 53), exact
    int zeros = 0;
    for (; !(m & 1); m >>= 1) ++zeros;
    return std::ldexp(1.0, e - 53 + zeros);
}

// Whether x is a float32 value that is zero or normal (no flush-to-zero can change it).
bool normal_float(double x) {
    const double a = std::fabs(x);
    return x == 0.0 || (a >= double(FLT_MIN) && a <= double(FLT_MAX) && double(float(x)) == x);
}

// UniformParams::f32_scale and f32_low. Every value low + s k (s = (high - low) 2^-24, k an
// integer below 2^24) is a multiple of q, the lower of the lowest set bits of low and s, and
// below |low| + (high - low) in magnitude: exact in double where that is under 2^53 q (2^52:
// the sum's own rounding), a normal float32 or zero where q >= FLT_MIN. And fma(s, k, low)
// with float32 s and low rounds that exact value once, as float32(low + (high - low) u) does.
// With float32 bounds the bound fails only where high - low is itself rounded (low = -1,
// high = 2^-60: not rounding up), which depends on the rounding mode: the fills run under
// the control make_uniform ran under, the caller's (helper-168).
void set_float32_fma(UniformParams& p) {
    const double span = p.high - p.low;
    const double s = std::ldexp(span, -24);
    // s == 0: a span under 2^-1050, whose scale underflows (a high of 1e-320 above 0).
    if (!(span > 0.0) || s == 0.0 || !normal_float(s) || !normal_float(p.low)) return;
    const double q = p.low == 0.0 ? lowest_bit(s) : std::min(lowest_bit(s), lowest_bit(p.low));
    if (q < double(FLT_MIN) || !(std::fabs(p.low) + span <= std::ldexp(q, 52))) return;
    p.f32_scale = float(s);
    p.f32_low = float(p.low);
}

}  // namespace

UniformParams make_uniform(double low, double high) {
    if (!(low <= high) || !std::isfinite(high - low))
        throw std::invalid_argument("uniform: need low <= high, both finite, with a finite high - low");
    UniformParams p{low, high};
    set_float32_fma(p);
    return p;
}

NormalParams make_normal(double mean, double std) {
    if (!std::isfinite(mean) || !(std >= 0.0) || !std::isfinite(std))
        throw std::invalid_argument("normal: mean must be finite and std finite and >= 0");
    // -0.0 is +0: a zero z gives +0 (the spec's float32 path adds 0), std 0 the mean everywhere.
    return {mean + 0.0, std};
}

TruncatedNormalParams make_truncated_normal(double mean, double std, double a, double b, bool float32) {
    if (!std::isfinite(mean)) throw std::invalid_argument("truncated_normal: mean must be finite");
    if (!(std > 0.0) || !std::isfinite(std)) throw std::invalid_argument("truncated_normal: std must be positive");
    if (std::isnan(a) || std::isnan(b) || !(a < b)) throw std::invalid_argument("truncated_normal: need a < b");
    TruncatedNormalParams p{};
    p.mean = mean + 0.0;  // -0.0 is +0, as for normal
    p.std = std;
    p.lo = float32 ? round_inward_f32(a, true) : a;
    p.hi = float32 ? round_inward_f32(b, false) : b;
    if (!(p.lo <= p.hi)) throw std::invalid_argument("truncated_normal: no float32 value lies in [a, b]");
    const double alpha = (a - mean) / std, beta = (b - mean) / std;
    if (std > DBL_MAX / 64 || (std::isfinite(a) && std::isinf(alpha)) || (std::isfinite(b) && std::isinf(beta)))
        throw std::invalid_argument("truncated_normal: std or the bounds' distance from mean overflows");
    // Beyond 37 std Phi underflows: every value would land on one bound.
    if (alpha > 37.0 || beta < -37.0)
        throw std::invalid_argument("truncated_normal: [a, b] lies more than 37 std from the mean");
    // The width from b - a: far from the mean, alpha and beta round to the same or nearby
    // doubles though [a, b] holds many (mean 1, std 1, [-1e-17, 1e-17] gave one value).
    const double w = (b - a) / std, c = -alpha;
    // Below 2^-1022 std, w is subnormal and has lost its bits: std 1e305 on [0, 1e-20] gave
    // all zeros. (u w below that only rounds to 2^-1074, at most w's own ulp.)
    if (!(w >= DBL_MIN)) throw std::invalid_argument("truncated_normal: [a, b] is too narrow (under 2^-1022 std)");
    p.narrow = w < (float32 ? truncated_narrow_width_f32 : truncated_narrow_width);
    p.precise_quantile = !float32 || w < truncated_acklam_width || alpha >= truncated_acklam_tail ||
                         beta <= -truncated_acklam_tail;
    p.a = a;
    p.b = b;
    p.G = special::expm1(c * w);
    // E = expm1(c w) / c, by its series where c w is too small for the quotient's bits.
    p.E = std::fabs(c * w) < 1e-10 ? w * (1.0 + 0.5 * c * w) : p.G / c;
    p.p_alpha = normal_cdf(alpha);
    p.p_span = normal_cdf(beta) - p.p_alpha;
    p.q_beta = normal_cdf(-beta);
    p.q_span = normal_cdf(-alpha) - p.q_beta;
    p.half_cell = float32 ? 0x1p-25 : 0x1p-54;
    return p;
}

}  // namespace weightinit
