// Eight doubles as one GCC/Clang vector, and the MLP's element functions written on it.
//
// The scalar functions of vecmath.hpp and mlp.cpp are written so that loops calling them
// vectorize, but whether they do depends on the loop around them: in the MLP's kernels
// the AVX2 clone ran tanh scalar, and small loops paid more in set-up than in work. A V
// makes the lanes explicit: the AVX-512 clone (WI_DISPATCH) keeps a V in one zmm
// register, the others split it into ymm or xmm halves. Every function repeats its
// scalar counterpart's operations in the same order (comparisons and selects written
// on whole lanes; tanh and sigmoid_parts take the same powers of two by a shorter
// route), so each lane computes the bits the scalar function computes. With
// mlp.cpp's FMA contraction (CMakeLists.txt) that still held for tanh over 2^20 inputs,
// AVX2 and AVX-512, with GCC 12: both forms fuse the same products into the same sums.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "weightinit/config.hpp"
#include "weightinit/vecmath.hpp"

#if !defined(__GNUC__)
#error "weightinit's core needs GCC or Clang (vector extensions, __int128, __builtin_* calls)"
#endif

// Only inline functions take or return a V, so no call crosses an ABI that depends on
// the clone's instruction set; GCC notes the parameters' ABI regardless, after inlining,
// where no pragma reaches: CMakeLists.txt compiles the includer (mlp.cpp) with -Wno-psabi.

namespace weightinit::vec8 {

constexpr std::size_t width = 8;

typedef double V __attribute__((vector_size(64)));
typedef std::int64_t I __attribute__((vector_size(64)));

WI_INLINE V load(const double* p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
WI_INLINE void store(double* p, V v) { std::memcpy(p, &v, sizeof v); }
WI_INLINE V splat(double x) { return V{x, x, x, x, x, x, x, x}; }
WI_INLINE I bits(V v) { return (I)v; }  // vector casts reinterpret the bits
WI_INLINE V from_bits(I i) { return (V)i; }
// mask ? a : b, for masks from comparisons (lanes all ones or all zeros).
WI_INLINE V select(I mask, V a, V b) { return mask ? a : b; }

constexpr std::int64_t sign_bit = std::int64_t(0x8000000000000000ull);

WI_INLINE V fabs(V x) { return from_bits(bits(x) & ~sign_bit); }

// 2^(e - 1023) for a double that holds an integer plus 0x1.8p52 + bias (the rounding
// constant of exp_reduce), e = bias + that integer in [1, 2046]: its low 11 bits are e,
// which the shift makes the exponent field. vecmath::pow2's add and mask, saved where
// the value rounded with the constant is at hand.
WI_INLINE V pow2_of_rounded(V shifted) { return from_bits(bits(shifted) << 52); }

// vecmath::exp_fraction, on the same reduction.
WI_INLINE void exp_fraction(V x, V& k, V& r, V& d) {
    V hi, lo, c;
    vecmath::exp_reduce(x, k, hi, lo, r, c);
    d = 2.0 - c;
}

// vecmath::tanh, the same values with fewer operations (pow2's add and mask, and the
// doubling of r): 2^(k + 1) = 2s straight from the reduction's rounding (k in [0, 58]),
// so 2 r s = r 2^(k + 1), and s -+ 1 = 2^(k + 1) / 2 -+ 1, all exact as there.
WI_INLINE V tanh(V x) {
    V ax = fabs(x);
    ax = select(ax > 20.0, splat(20.0), ax);
    V k, hi, lo, r, c, shifted;
    vecmath::exp_reduce(2.0 * ax, k, hi, lo, r, c, shifted, 1024.0);
    const V d = 2.0 - c;
    const V s2 = pow2_of_rounded(shifted);  // e = 1024 + k
    const V rs2 = r * s2;
    const V q = (rs2 + (0.5 * s2 - 1.0) * d) / (rs2 + (0.5 * s2 + 1.0) * d);
    return from_bits(bits(q) | (bits(x) & sign_bit));
}

// mlp.cpp's sigmoid_parts: sigmoid(z), and tail = sigmoid(-|z|).
WI_INLINE V sigmoid_parts(V z, V& tail) {
    const V az = fabs(z);
    V k, r, d;
    exp_fraction(-select(az > 1000.0, splat(1000.0), az), k, r, d);
    // mlp.cpp's k1 = round(k / 2), rounded with an even bias (ties as without) whose bits
    // give 2^(k1 + 1), and 2^(k - k1 - 1) from k - k1 plus a bias: the same product with
    // fewer operations than two pow2.
    const V shifted = k * 0.5 + (0x1.8p52 + 1024.0);
    const V k1 = shifted - (0x1.8p52 + 1024.0);
    const V p1 = pow2_of_rounded(shifted), p2 = pow2_of_rounded((k - k1) + (0x1.8p52 + 1022.0));
    const V sn = (d + 2.0 * r) * p1 * p2;
    tail = sn / (d + sn);
    return select(z >= 0.0, 1.0 - tail, tail);
}

// Sum of the lanes, combined pairwise (a fixed order).
WI_INLINE double sum_lanes(V v) {
    double s[width];
    store(s, v);
    for (std::size_t w = width / 2; w > 0; w /= 2)
        for (std::size_t l = 0; l < w; ++l) s[l] += s[l + w];
    return s[0];
}

}  // namespace weightinit::vec8
