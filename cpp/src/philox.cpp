// Philox blocks by instruction set. The plain loops of philox_blocks vectorize, but on
// AVX-512 GCC widens each 32x32 -> 64-bit product to a 64-bit multiply (vpmullq: three
// micro-ops on Intel cores) and reloads the state every round: 5.8 ns a block on a Xeon
// (Emerald Rapids) against 2.2 ns for the version below, which keeps 32 counters in
// registers for all ten rounds and multiplies even and odd lanes with vpmuludq.
// Every version computes the same words (tests/test_random.py against the reference).
#include "weightinit/philox.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace weightinit {

// The AVX-512 version is chosen at run time where the build does not assume AVX-512.
// Its target adds avx512f to the build's flags (an arch= target would replace them, and
// GCC then refuses to inline the intrinsics under, say, -march=haswell).
#if defined(__AVX512F__)
#define WI_AVX512
#elif defined(__x86_64__) && defined(__GNUC__) && !defined(WEIGHTINIT_NO_DISPATCH)
#define WI_PHILOX_RUNTIME_CHOICE 1
#define WI_AVX512 __attribute__((target("avx512f")))
#endif

#ifdef WI_AVX512
// GCC 12's avx512fintrin.h gives its intrinsics an unused operand initialized from
// itself (_mm512_undefined_epi32), which -Wmaybe-uninitialized reports when inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
namespace {

// hi and lo words of x * m (m in the low word of each 64-bit lane) for 16 lanes.
WI_AVX512 WI_INLINE void mulhilo(__m512i x, __m512i m, __m512i& hi, __m512i& lo) {
    const __m512i even = _mm512_mul_epu32(x, m);
    const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(x, 32), m);
    hi = _mm512_permutex2var_epi32(even, _mm512_setr_epi32(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31),
                                   odd);
    lo = _mm512_permutex2var_epi32(even, _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30),
                                   odd);
}

// Groups of 16 blocks, two at a time so that one group's multiplies overlap the other's.
WI_AVX512 void philox_avx512(Key key, std::uint64_t j0, std::size_t n, std::uint32_t* x0, std::uint32_t* x1,
                             std::uint32_t* x2, std::uint32_t* x3) {
    using namespace philox_constants;
    constexpr int G = 2;
    const __m512i m0 = _mm512_set1_epi64(M0), m1 = _mm512_set1_epi64(M1);
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (std::size_t g = 0; g < n; g += 16 * G) {
        __m512i a[G], b[G], c[G], d[G];
        for (int h = 0; h < G; ++h) {
            const std::uint64_t j = j0 + g + 16 * h;
            const __m512i base = _mm512_set1_epi32(int(std::uint32_t(j)));
            a[h] = _mm512_add_epi32(base, lane);
            // The high word, plus one in the lanes whose low word wrapped past 2^32.
            b[h] = _mm512_mask_add_epi32(_mm512_set1_epi32(int(std::uint32_t(j >> 32))),
                                         _mm512_cmplt_epu32_mask(a[h], base),
                                         _mm512_set1_epi32(int(std::uint32_t(j >> 32))), _mm512_set1_epi32(1));
            c[h] = _mm512_setzero_si512();
            d[h] = c[h];
        }
        std::uint32_t k0 = key.k0, k1 = key.k1;
        for (int r = 0; r < rounds; ++r) {
            if (r > 0) {
                k0 += W0;
                k1 += W1;
            }
            const __m512i K0 = _mm512_set1_epi32(int(k0)), K1 = _mm512_set1_epi32(int(k1));
            for (int h = 0; h < G; ++h) {
                __m512i hi0, lo0, hi1, lo1;
                mulhilo(a[h], m0, hi0, lo0);
                mulhilo(c[h], m1, hi1, lo1);
                a[h] = _mm512_ternarylogic_epi32(hi1, b[h], K0, 0x96);  // three-way xor
                c[h] = _mm512_ternarylogic_epi32(hi0, d[h], K1, 0x96);
                b[h] = lo1;
                d[h] = lo0;
            }
        }
        for (int h = 0; h < G; ++h) {
            const std::size_t o = g + 16 * h;
            _mm512_storeu_si512(x0 + o, a[h]);
            _mm512_storeu_si512(x1 + o, b[h]);
            _mm512_storeu_si512(x2 + o, c[h]);
            _mm512_storeu_si512(x3 + o, d[h]);
        }
    }
}

}  // namespace
#pragma GCC diagnostic pop
static_assert(philox_batch % 32 == 0, "philox_avx512 writes whole pairs of 16-block groups");
#endif

#ifdef WI_PHILOX_RUNTIME_CHOICE
namespace {
// The portable loops, vectorized per instruction set for CPUs without AVX-512.
WI_DISPATCH void philox_portable(Key key, std::uint64_t j0, std::size_t n, std::uint32_t* x0, std::uint32_t* x1,
                                 std::uint32_t* x2, std::uint32_t* x3) {
    philox_blocks(key, j0, n, x0, x1, x2, x3);
}

bool cpu_has_avx512f() {
    __builtin_cpu_init();  // also checks that the OS saves the AVX-512 registers
    return __builtin_cpu_supports("avx512f");
}
}  // namespace
#endif

void philox_batch_blocks(Key key, std::uint64_t j0, std::size_t n, std::uint32_t* x0, std::uint32_t* x1,
                         std::uint32_t* x2, std::uint32_t* x3) {
#if defined(WI_PHILOX_RUNTIME_CHOICE)
    static const bool avx512 = cpu_has_avx512f();
    if (avx512) return philox_avx512(key, j0, n, x0, x1, x2, x3);
    philox_portable(key, j0, n, x0, x1, x2, x3);
#elif defined(WI_AVX512)
    philox_avx512(key, j0, n, x0, x1, x2, x3);
#else
    philox_blocks(key, j0, n, x0, x1, x2, x3);
#endif
}

}  // namespace weightinit
