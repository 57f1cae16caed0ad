// Philox blocks by instruction set. The plain loops of philox_blocks vectorize, but GCC
// widens each 32x32 -> 64-bit product to a 64-bit multiply (vpmullq on AVX-512: three
// micro-ops on Intel cores) and reloads the state every round: 5.8 ns a block on a Xeon
// (Emerald Rapids) against 1.9 ns, the same day, for the AVX-512 version below, which keeps
// its counters in registers for all ten rounds and multiplies even and odd lanes with
// vpmuludq (now 1.3 ns, with four registers in flight instead of two: see there). The
// AVX2 version does the same on 8-lane registers. Every version computes the same words:
// tests/test_random.py runs each one this CPU can run against the scalar generator.
#include "weightinit/philox.hpp"

#include <stdexcept>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define WI_PHILOX_X86 1
// Each version's target adds its instruction set to the build's flags (an arch= target
// would replace them, and GCC then refuses to inline the intrinsics under, say,
// -march=haswell); the CPU is checked at run time before a version runs.
#define WI_AVX2 __attribute__((target("avx2")))
#define WI_AVX512 __attribute__((target("avx512f")))
#ifdef WI_RUNTIME_DISPATCH
#define WI_PHILOX_FROM_CPU 1  // the vector versions the CPU runs, asked at run time (else the build's flags')
#endif
#endif

namespace weightinit {

#ifdef WI_PHILOX_X86
namespace {

using namespace philox_constants;

// ---- AVX2: 8 blocks a register, four registers in flight -----------------------------

// hi and lo words of x * m (m in the low word of each 64-bit lane) for 8 lanes.
WI_AVX2 WI_INLINE void mulhilo(__m256i x, __m256i m, __m256i& hi, __m256i& lo) {
    const __m256i even = _mm256_mul_epu32(x, m);
    const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), m);
    hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
    lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

// Blocks j0 + g .. j0 + g + 8 G - 1 into x0 + g ...: G registers in flight.
template <int G>
WI_AVX2 WI_INLINE void philox_avx2_group(Key key, std::uint64_t j0, std::size_t g, std::uint32_t* x0,
                                         std::uint32_t* x1, std::uint32_t* x2, std::uint32_t* x3) {
    const __m256i m0 = _mm256_set1_epi64x(M0), m1 = _mm256_set1_epi64x(M1);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i sign = _mm256_set1_epi32(int(0x80000000u));
    __m256i a[G], b[G], c[G], d[G];
    for (int h = 0; h < G; ++h) {
        const std::uint64_t j = j0 + g + 8 * h;
        const __m256i base = _mm256_set1_epi32(int(std::uint32_t(j)));
        a[h] = _mm256_add_epi32(base, lane);
        // A lane whose low word wrapped past 2^32 (a < base, compared unsigned by
        // flipping the sign bits) carries one into its high word: the mask is -1 there.
        const __m256i wrapped = _mm256_cmpgt_epi32(_mm256_xor_si256(base, sign), _mm256_xor_si256(a[h], sign));
        b[h] = _mm256_sub_epi32(_mm256_set1_epi32(int(std::uint32_t(j >> 32))), wrapped);
        c[h] = _mm256_setzero_si256();
        d[h] = c[h];
    }
    std::uint32_t k0 = key.k0, k1 = key.k1;
    for (int r = 0; r < rounds; ++r) {
        if (r > 0) {
            k0 += W0;
            k1 += W1;
        }
        const __m256i K0 = _mm256_set1_epi32(int(k0)), K1 = _mm256_set1_epi32(int(k1));
        for (int h = 0; h < G; ++h) {
            __m256i hi0, lo0, hi1, lo1;
            mulhilo(a[h], m0, hi0, lo0);
            mulhilo(c[h], m1, hi1, lo1);
            a[h] = _mm256_xor_si256(_mm256_xor_si256(hi1, b[h]), K0);
            c[h] = _mm256_xor_si256(_mm256_xor_si256(hi0, d[h]), K1);
            b[h] = lo1;
            d[h] = lo0;
        }
    }
    for (int h = 0; h < G; ++h) {
        const std::size_t o = g + 8 * h;
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(x0 + o), a[h]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(x1 + o), b[h]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(x2 + o), c[h]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(x3 + o), d[h]);
    }
}

// Whole groups of 32 blocks, then the last part by as few registers as cover it: each row
// of a column block of a wide matrix asks for a block or two, and paid for a whole group
// (AVX-512, float32 normal (4096, 4096)[:, 5:6]: 75 ns a row, 63 ns with one register).
WI_AVX2 void philox_avx2(Key key, std::uint64_t j0, std::size_t n, std::uint32_t* x0, std::uint32_t* x1,
                         std::uint32_t* x2, std::uint32_t* x3) {
    std::size_t g = 0;
    for (; g + 32 <= n; g += 32) philox_avx2_group<4>(key, j0, g, x0, x1, x2, x3);
    const std::size_t left = n - g;
    if (left == 0) return;
    if (left <= 8) return philox_avx2_group<1>(key, j0, g, x0, x1, x2, x3);
    if (left <= 16) return philox_avx2_group<2>(key, j0, g, x0, x1, x2, x3);
    philox_avx2_group<4>(key, j0, g, x0, x1, x2, x3);
}

// ---- AVX-512: 16 blocks a register, four registers in flight -------------------------

// GCC 12's avx512fintrin.h gives its intrinsics an unused operand initialized from
// itself (_mm512_undefined_epi32), which -Wmaybe-uninitialized reports when inlined.
// (Clang has no -Wmaybe-uninitialized and warns of the unknown name.)
#pragma GCC diagnostic push
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#pragma GCC diagnostic ignored "-Wuninitialized"

WI_AVX512 WI_INLINE void mulhilo(__m512i x, __m512i m, __m512i& hi, __m512i& lo) {
    const __m512i even = _mm512_mul_epu32(x, m);
    const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(x, 32), m);
    hi = _mm512_permutex2var_epi32(even, _mm512_setr_epi32(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31),
                                   odd);
    lo = _mm512_permutex2var_epi32(even, _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30),
                                   odd);
}

// Blocks j0 + g .. j0 + g + 16 G - 1 into x0 + g ...: G registers in flight.
template <int G>
WI_AVX512 WI_INLINE void philox_avx512_group(Key key, std::uint64_t j0, std::size_t g, std::uint32_t* x0,
                                             std::uint32_t* x1, std::uint32_t* x2, std::uint32_t* x3) {
    const __m512i m0 = _mm512_set1_epi64(M0), m1 = _mm512_set1_epi64(M1);
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m512i a[G], b[G], c[G], d[G];
    for (int h = 0; h < G; ++h) {
        const std::uint64_t j = j0 + g + 16 * h;
        const __m512i base = _mm512_set1_epi32(int(std::uint32_t(j)));
        a[h] = _mm512_add_epi32(base, lane);
        // The high word, plus one in the lanes whose low word wrapped past 2^32.
        const __m512i high = _mm512_set1_epi32(int(std::uint32_t(j >> 32)));
        b[h] = _mm512_mask_add_epi32(high, _mm512_cmplt_epu32_mask(a[h], base), high, _mm512_set1_epi32(1));
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

// A round is a chain of multiply (5 cycles), permute and xor: with two registers the
// chains left the ports idle (1.54 ns a block on the Xeon, in a loop of 64-block
// batches on another day than the figures above), with four 1.32 ns. The last part of
// a batch by as few registers as cover it, as philox_avx2.
WI_AVX512 void philox_avx512(Key key, std::uint64_t j0, std::size_t n, std::uint32_t* x0, std::uint32_t* x1,
                             std::uint32_t* x2, std::uint32_t* x3) {
    std::size_t g = 0;
    for (; g + 64 <= n; g += 64) philox_avx512_group<4>(key, j0, g, x0, x1, x2, x3);
    const std::size_t left = n - g;
    if (left == 0) return;
    if (left <= 16) return philox_avx512_group<1>(key, j0, g, x0, x1, x2, x3);
    if (left <= 32) return philox_avx512_group<2>(key, j0, g, x0, x1, x2, x3);
    philox_avx512_group<4>(key, j0, g, x0, x1, x2, x3);
}

#pragma GCC diagnostic pop

}  // namespace
static_assert(philox_batch % 64 == 0, "the vector versions write whole registers, up to a group of 64 blocks past the whole ones");
#endif

namespace {

// The portable loops, vectorized per instruction set (WI_DISPATCH) for other CPUs.
WI_DISPATCH void philox_portable(Key key, std::uint64_t j0, std::size_t n, std::uint32_t* x0, std::uint32_t* x1,
                                 std::uint32_t* x2, std::uint32_t* x3) {
    philox_blocks(key, j0, n, x0, x1, x2, x3);
}

PhiloxVersion best_version() {
    for (PhiloxVersion v : {PhiloxVersion::avx512, PhiloxVersion::avx2})
        if (philox_version_available(v)) return v;
    return PhiloxVersion::portable;
}

// The blocks by `version`, which the caller has checked the CPU runs.
void run(PhiloxVersion version, Key key, std::uint64_t j0, std::size_t n, std::uint32_t* x0, std::uint32_t* x1,
         std::uint32_t* x2, std::uint32_t* x3) {
    switch (version) {
#ifdef WI_PHILOX_X86
        case PhiloxVersion::avx512:
            return philox_avx512(key, j0, n, x0, x1, x2, x3);
        case PhiloxVersion::avx2:
            return philox_avx2(key, j0, n, x0, x1, x2, x3);
#endif
        default:
            return philox_portable(key, j0, n, x0, x1, x2, x3);
    }
}

}  // namespace

bool philox_version_available(PhiloxVersion version) {
    switch (version) {
        case PhiloxVersion::portable:
            return true;
#if defined(WI_PHILOX_X86) && !defined(WI_PHILOX_FROM_CPU)
        // No run-time CPU checks: the versions the build's own flags allow.
        case PhiloxVersion::avx2:
#ifdef __AVX2__
            return true;
#else
            return false;
#endif
        case PhiloxVersion::avx512:
#ifdef __AVX512F__
            return true;
#else
            return false;
#endif
#elif defined(WI_PHILOX_FROM_CPU)
        case PhiloxVersion::avx2:
            __builtin_cpu_init();  // __builtin_cpu_supports also checks that the OS saves the registers
            return __builtin_cpu_supports("avx2");
        case PhiloxVersion::avx512:
            __builtin_cpu_init();
            return __builtin_cpu_supports("avx512f");
#endif
        default:
            return false;
    }
}

bool philox_versions_from_cpu() {
#ifdef WI_PHILOX_FROM_CPU
    return true;
#else
    return false;
#endif
}

PhiloxVersion philox_best_version() {
    static const PhiloxVersion best = best_version();
    return best;
}

void philox_batch_blocks(PhiloxVersion version, Key key, std::uint64_t j0, std::size_t n, std::uint32_t* x0,
                         std::uint32_t* x1, std::uint32_t* x2, std::uint32_t* x3) {
    if (n > philox_batch) throw std::invalid_argument("philox_batch_blocks: n > philox_batch");
    if (!philox_version_available(version))
        throw std::invalid_argument("philox_batch_blocks: this CPU cannot run that version");
    run(version, key, j0, n, x0, x1, x2, x3);
}

void philox_batch_blocks(Key key, std::uint64_t j0, std::size_t n, std::uint32_t* x0, std::uint32_t* x1,
                         std::uint32_t* x2, std::uint32_t* x3) {
    run(philox_best_version(), key, j0, n, x0, x1, x2, x3);
}

}  // namespace weightinit
