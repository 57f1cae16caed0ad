// The MLP engine of mlp.hpp: kernels over blocks of examples, and the drivers that
// run forward, loss, backward and update with them or with GEMM.
//
// Kernels work on a block of columns [c0, c1) (at most block_cols examples) of
// row-major matrices whose rows hold one unit over all examples (row stride ld).
// They are compiled once per instruction set (WI_DISPATCH), with FMA contraction where
// the instruction set has it (CMakeLists.txt); element-wise maths is done in double
// (vecmath.hpp) for both float32 and float64 data.
#include "weightinit/mlp.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>

#include "weightinit/blas.hpp"
#include "weightinit/buffer.hpp"
#include "weightinit/cancel.hpp"
#include "weightinit/config.hpp"
#include "weightinit/flat.hpp"
#include "weightinit/parallel.hpp"
#include "weightinit/vec8.hpp"
#include "weightinit/vecmath.hpp"

namespace weightinit::mlp {

Activation parse_activation(const std::string& name) {
    if (name == "identity") return Activation::identity;
    if (name == "sigmoid") return Activation::sigmoid;
    if (name == "tanh") return Activation::tanh;
    if (name == "relu") return Activation::relu;
    if (name == "leaky_relu") return Activation::leaky_relu;
    if (name == "softmax") return Activation::softmax;
    throw std::invalid_argument("unknown activation '" + name + "'");
}

Loss parse_loss(const std::string& name) {
    if (name == "binary_cross_entropy") return Loss::binary_cross_entropy;
    if (name == "softmax_cross_entropy") return Loss::softmax_cross_entropy;
    if (name == "mse") return Loss::mse;
    throw std::invalid_argument("unknown loss '" + name + "'");
}

namespace {

Activation output_activation(Loss loss) {
    switch (loss) {
        case Loss::binary_cross_entropy: return Activation::sigmoid;
        case Loss::softmax_cross_entropy: return Activation::softmax;
        case Loss::mse: return Activation::identity;
    }
    throw std::invalid_argument("unknown loss");
}

}  // namespace

void Architecture::validate() const {
    if (sizes.size() < 2) throw std::invalid_argument("an MLP needs at least an input and an output size");
    for (auto n : sizes)
        if (n < 1) throw std::invalid_argument("layer sizes must be >= 1");
    // Every buffer of a layer is a multiple of n_out * n_in or n_out * m elements; the
    // former must at least be addressable (the latter is checked where m is known).
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
        std::size_t bytes = 0;
        if (__builtin_mul_overflow(sizes[l + 1], sizes[l], &bytes) ||
            __builtin_mul_overflow(bytes, sizeof(double), &bytes) || bytes > std::size_t(PTRDIFF_MAX))
            throw std::length_error("a layer has more weights than can be addressed");
    }
    if (activations.size() != sizes.size() - 1)
        throw std::invalid_argument("one activation per layer is needed");
    for (std::size_t l = 0; l + 1 < activations.size(); ++l)
        if (activations[l] == Activation::softmax) throw std::invalid_argument("softmax is an output activation only");
    if (activations.back() != output_activation(loss))
        throw std::invalid_argument("the output activation does not match the loss");
    if (!(alpha >= 0.0) || !std::isfinite(alpha)) throw std::invalid_argument("alpha must be finite and >= 0");
}

namespace kernels {

// Examples per block: a block of a few dozen rows stays in L1/L2 while all rows are visited.
constexpr std::size_t block_cols = 256;
// Partial sums kept by sums over examples: four AVX-512 registers of doubles, so that
// the adds' latency overlaps (one register made the backward pass latency-bound).
constexpr std::size_t lanes = 32;

// ---- element functions (double) ---------------------------------------------------

// sigmoid(z) = 1 / (1 + e^{-z}) and tail = sigmoid(-|z|) = e^{-|z|} / (1 + e^{-|z|}) with one
// division: writing e^{-|z|} = s n / d (vecmath::exp_fraction, n = d + 2r), the tail is
// s n / (d + s n), and sigmoid(z) is 1 - tail for z >= 0 and the tail otherwise, both to full
// relative precision (the tail is at most 1/2) and never overflowing.
// The loss's log(1 + e^{-|z|}) = -log1p(-tail) keeps that precision when e^{-|z|} < 2^-53.
WI_INLINE double sigmoid_parts(double z, double& tail) {
    double k, r, d;
    const double az = std::fabs(z);
    vecmath::exp_fraction(-(az > 1000.0 ? 1000.0 : az), k, r, d);
    const double sn = vecmath::times_pow2(d + 2.0 * r, k);  // k reaches -1443
    tail = sn / (d + sn);
    // 1 - tail, not d / (d + sn) from the same reciprocal: d * (1 / (d + sn)) rounded to
    // 1 - 2^-53 for ~13% of z in [37.5, 1000], where the value rounds to 1 (and NumPy's
    // 1 / (1 + e^-z) gives 1, so a right, saturated example's dZ = A - Y is 0). tail <= 1/2,
    // so the subtraction adds at most half an ulp of the result.
    return z >= 0.0 ? 1.0 - tail : tail;
}

WI_INLINE double sigmoid(double z) {
    double tail;
    return sigmoid_parts(z, tail);
}

template <Activation A>
WI_INLINE double activate(double z, double alpha) {
    if constexpr (A == Activation::identity) {
        return z;
    } else if constexpr (A == Activation::sigmoid) {
        return sigmoid(z);
    } else if constexpr (A == Activation::tanh) {
        return vecmath::tanh(z);
    } else if constexpr (A == Activation::relu) {
        return z < 0.0 ? 0.0 : z;  // NaN passes through
    } else {
        return z < 0.0 ? alpha * z : z;
    }
}

// g'(z) written in terms of a = g(z) (so hidden Z need not be kept): sigmoid a(1 - a),
// tanh 1 - a^2 (the prototype's form), relu and leaky_relu by the sign of a (alpha >= 0).
template <Activation A>
WI_INLINE double derivative(double a, double alpha) {
    if constexpr (A == Activation::identity) {
        return 1.0;
    } else if constexpr (A == Activation::sigmoid) {
        return a * (1.0 - a);
    } else if constexpr (A == Activation::tanh) {
        return 1.0 - a * a;
    } else if constexpr (A == Activation::relu) {
        return a > 0.0 ? 1.0 : 0.0;
    } else {
        return a > 0.0 ? 1.0 : alpha;
    }
}

template <Activation A>
using Tag = std::integral_constant<Activation, A>;

// Calls f(Tag<A>{}) for the hidden activation act, so loops are compiled per activation.
template <class F>
WI_INLINE void with_hidden(Activation act, F&& f) {
    switch (act) {
        case Activation::identity: f(Tag<Activation::identity>{}); return;
        case Activation::sigmoid: f(Tag<Activation::sigmoid>{}); return;
        case Activation::tanh: f(Tag<Activation::tanh>{}); return;
        case Activation::relu: f(Tag<Activation::relu>{}); return;
        case Activation::leaky_relu: f(Tag<Activation::leaky_relu>{}); return;
        case Activation::softmax: break;
    }
    throw std::logic_error("softmax is not a hidden activation");
}

// Sum of a[c] * b[c] (or of a[c] when b is null) over c < n, in `lanes` partial sums
// combined pairwise: a fixed order that vectorizes.
template <class T>
WI_INLINE T sum_products(const T* a, const T* b, std::size_t n) {
    T s[lanes] = {};
    std::size_t c = 0;
    if (b) {
        for (; c + lanes <= n; c += lanes)
            for (std::size_t l = 0; l < lanes; ++l) s[l] += a[c + l] * b[c + l];
        for (std::size_t l = 0; c < n; ++c, ++l) s[l] += a[c] * b[c];
    } else {
        for (; c + lanes <= n; c += lanes)
            for (std::size_t l = 0; l < lanes; ++l) s[l] += a[c + l];
        for (std::size_t l = 0; c < n; ++c, ++l) s[l] += a[c];
    }
    for (std::size_t w = lanes / 2; w > 0; w /= 2)
        for (std::size_t l = 0; l < w; ++l) s[l] += s[l + w];
    return s[0];
}

// ---- kernel bodies -----------------------------------------------------------------

// Z = W A_prev + b over the block (sum over k ascending, bias after, as NumPy's
// np.dot(W, A) + b); writes Z to z_out and g(Z) to a_out where they are non-null.
template <class T>
WI_INLINE void dense_forward_body(const T* W, const T* b, std::size_t n_out, std::size_t n_in, const T* a_prev,
                                  std::size_t ld, std::size_t c0, std::size_t c1, Activation act, double alpha,
                                  T* z_out, T* a_out) {
    const std::size_t n = c1 - c0;
    T acc[block_cols];
    for (std::size_t i = 0; i < n_out; ++i) {
        const T* w = W + i * n_in;
        const T* x = a_prev + c0;
        const T w0 = w[0];
        for (std::size_t c = 0; c < n; ++c) acc[c] = w0 * x[c];
        for (std::size_t k = 1; k < n_in; ++k) {
            const T wk = w[k];
            x = a_prev + k * ld + c0;
            for (std::size_t c = 0; c < n; ++c) acc[c] += wk * x[c];
        }
        const T bi = b[i];
        for (std::size_t c = 0; c < n; ++c) acc[c] += bi;
        if (z_out) std::memcpy(z_out + i * ld + c0, acc, n * sizeof(T));
        if (a_out) {
            T* a = a_out + i * ld + c0;
            with_hidden(act, [&](auto tag) __attribute__((always_inline)) {
                constexpr Activation A = decltype(tag)::value;
                for (std::size_t c = 0; c < n; ++c) a[c] = T(activate<A>(double(acc[c]), alpha));
            });
        }
    }
}

// In place: Z = Z + b, then (after copying Z to z_out if non-null) Z = g(Z). The GEMM
// path's epilogue.
template <class T>
WI_INLINE void bias_activate_body(T* z, const T* b, std::size_t n_out, std::size_t ld, std::size_t c0,
                                  std::size_t c1, Activation act, double alpha, T* z_out) {
    const std::size_t n = c1 - c0;
    for (std::size_t i = 0; i < n_out; ++i) {
        T* row = z + i * ld + c0;
        const T bi = b[i];
        for (std::size_t c = 0; c < n; ++c) row[c] += bi;
        if (z_out) std::memcpy(z_out + i * ld + c0, row, n * sizeof(T));
        with_hidden(act, [&](auto tag) __attribute__((always_inline)) {
            constexpr Activation A = decltype(tag)::value;
            for (std::size_t c = 0; c < n; ++c) row[c] = T(activate<A>(double(row[c]), alpha));
        });
    }
}

// Logits may overflow to +-inf (weights near 1e300, or float32 products past 3.4e38); the
// losses are then exact, not nan from inf - inf. Each form below gives the bits of the
// general one for finite z.
// The part max(z, 0) - y z of the binary cross-entropy: for labels 1 and 0, max(-z, 0) and
// max(z, 0), which are 0 or inf at z = +-inf. NaN stays NaN.
WI_INLINE double bce_linear(double z, double y) {
    const double relu = z <= 0.0 ? 0.0 : z;  // max(z, 0), NaN kept
    if (y == 1.0) return z > 0.0 ? 0.0 : -z;
    return y == 0.0 ? relu : relu - y * z;
}
// A logit less the column's largest, z - max, with the logits tied at an infinite maximum
// taken as 0 (x - x is +0 for finite x): they share the softmax's mass, as equal logits do.
WI_INLINE double shifted(double z, double mx) { return z == mx ? 0.0 : z - mx; }
// A softmax cross-entropy's logsumexp - z = log_s - (z - max), log_s = log sum e^{z_k - max}:
// a logit tied at the max (finite or not) gives log_s alone, where max + log_s - z lost
// log_s whenever it was below half an ulp of max (helper-146: logits [40, 0, 0] and label 0
// cost 0, not log1p(2 e^-40) = 8.5e-18). Its label multiplies it where the loss is summed.
WI_INLINE double softmax_term(double z, double mx, double log_s) { return log_s - shifted(z, mx); }

// Output activations A = g_L(Z) for the loss's output and, when y is non-null, the
// per-block sum of the losses (returned, in double) and dz = A - Y. Each step is its own
// plain loop: one loop holding exp, log and three divisions was bound by the length of
// its dependency chain (2x slower than the split loops, measured).
template <class T>
WI_INLINE double output_body(Loss loss, const T* z, const T* y, std::size_t n_out, std::size_t ld,
                             std::size_t c0, std::size_t c1, T* a, T* dz) {
    const std::size_t n = c1 - c0;
    double part[block_cols];
    double total = 0.0;
    if (loss == Loss::softmax_cross_entropy) {
        // Per column: e_k = exp(z_k - max), A = e / sum e, loss = sum_k y_k (logsumexp - z_k),
        // logsumexp - max = log1p(r) with r the sum of the e_k but the first largest logit's
        // (whose e_k is 1): log(sum e) would round a small r away, and so a small loss.
        double mx[block_cols], s[block_cols], r[block_cols], log_s[block_cols];
        std::size_t top[block_cols];
        for (std::size_t c = 0; c < n; ++c) {
            mx[c] = double(z[c0 + c]);
            top[c] = 0;
        }
        for (std::size_t i = 1; i < n_out; ++i)
            for (std::size_t c = 0; c < n; ++c) {
                const double zc = double(z[i * ld + c0 + c]);
                top[c] = zc > mx[c] ? i : top[c];
                mx[c] = zc > mx[c] ? zc : mx[c];
            }
        std::fill(s, s + n, 0.0);
        std::fill(r, r + n, 0.0);
        for (std::size_t i = 0; i < n_out; ++i)
            for (std::size_t c = 0; c < n; ++c) {
                const double e = vecmath::exp(shifted(double(z[i * ld + c0 + c]), mx[c]));
                s[c] += e;
                r[c] += i == top[c] ? 0.0 : e;
            }
        // NaN where a logit is (log1p takes finite arguments): every term is then NaN.
        for (std::size_t c = 0; c < n; ++c) log_s[c] = r[c] == r[c] ? vecmath::log1p(r[c]) : r[c];
        std::fill(part, part + n, 0.0);
        for (std::size_t i = 0; i < n_out; ++i) {
            const std::size_t o = i * ld + c0;
            for (std::size_t c = 0; c < n; ++c) a[o + c] = T(vecmath::exp(shifted(double(z[o + c]), mx[c])) / s[c]);
            if (!y) continue;
            // y t with t taken as 0 where y is (0 t would be nan at t = inf).
            for (std::size_t c = 0; c < n; ++c) {
                const double yc = double(y[o + c]);
                const double tc = softmax_term(double(z[o + c]), mx[c], log_s[c]);
                part[c] += yc * (yc == 0.0 ? 0.0 : tc);
            }
            for (std::size_t c = 0; c < n; ++c) dz[o + c] = a[o + c] - y[o + c];
        }
        return y ? sum_products<double>(part, nullptr, n) : 0.0;
    }
    for (std::size_t i = 0; i < n_out; ++i) {
        const std::size_t o = i * ld + c0;
        const T* zr = z + o;
        T* ar = a + o;
        if (loss == Loss::mse) {
            std::copy(zr, zr + n, ar);
            if (!y) continue;
            for (std::size_t c = 0; c < n; ++c) {
                const double d = double(zr[c]) - double(y[o + c]);
                part[c] = 0.5 * d * d;
            }
        } else {
            double tail[block_cols];
            for (std::size_t c = 0; c < n; ++c) ar[c] = T(sigmoid_parts(double(zr[c]), tail[c]));
            if (!y) continue;
            // softplus(z) - y z = max(z, 0) - y z + log(1 + e^{-|z|}), the last = -log1p(-tail).
            const T* yr = y + o;
            for (std::size_t c = 0; c < n; ++c)
                part[c] = bce_linear(double(zr[c]), double(yr[c])) - vecmath::log1p(-tail[c]);
        }
        for (std::size_t c = 0; c < n; ++c) dz[o + c] = ar[c] - y[o + c];
        total += sum_products<double>(part, nullptr, n);
    }
    return total;
}

// Block partial sums of the gradients of one layer: part_dW[i n_in + k] = sum_c dz[i,c]
// a_prev[k,c] (when part_dW is non-null), part_db[i] = sum_c dz[i,c]; and, when
// dz_prev is non-null, dz_prev = (W^T dz) * g'(a_prev) (sum over i ascending, as
// np.dot(W.T, dZ) * g').
template <class T>
WI_INLINE void dense_backward_body(const T* W, std::size_t n_out, std::size_t n_in, const T* dz, const T* a_prev,
                                   std::size_t ld, std::size_t c0, std::size_t c1, T* part_dW, T* part_db,
                                   Activation prev_act, double alpha, T* dz_prev) {
    const std::size_t n = c1 - c0;
    for (std::size_t i = 0; i < n_out; ++i) {
        const T* d = dz + i * ld + c0;
        if (part_dW)
            for (std::size_t k = 0; k < n_in; ++k) part_dW[i * n_in + k] = sum_products(d, a_prev + k * ld + c0, n);
        part_db[i] = sum_products<T>(d, nullptr, n);
    }
    if (!dz_prev) return;
    T acc[block_cols];
    for (std::size_t k = 0; k < n_in; ++k) {
        const T w0 = W[k];
        const T* d = dz + c0;
        for (std::size_t c = 0; c < n; ++c) acc[c] = w0 * d[c];
        for (std::size_t i = 1; i < n_out; ++i) {
            const T wi = W[i * n_in + k];
            d = dz + i * ld + c0;
            for (std::size_t c = 0; c < n; ++c) acc[c] += wi * d[c];
        }
        const T* a = a_prev + k * ld + c0;
        T* out = dz_prev + k * ld + c0;
        with_hidden(prev_act, [&](auto tag) __attribute__((always_inline)) {
            constexpr Activation A = decltype(tag)::value;
            if constexpr (A == Activation::identity) {
                for (std::size_t c = 0; c < n; ++c) out[c] = acc[c];
            } else {
                for (std::size_t c = 0; c < n; ++c) out[c] = acc[c] * T(derivative<A>(double(a[c]), alpha));
            }
        });
    }
}

// In place: d = d * g'(a) over the block (the GEMM path's backward epilogue).
template <class T>
WI_INLINE void scale_by_derivative_body(T* d, const T* a, std::size_t rows, std::size_t ld, std::size_t c0,
                                        std::size_t c1, Activation act, double alpha) {
    const std::size_t n = c1 - c0;
    with_hidden(act, [&](auto tag) __attribute__((always_inline)) {
        constexpr Activation A = decltype(tag)::value;
        if constexpr (A != Activation::identity) {
            for (std::size_t r = 0; r < rows; ++r) {
                T* dr = d + r * ld + c0;
                const T* ar = a + r * ld + c0;
                for (std::size_t c = 0; c < n; ++c) dr[c] = dr[c] * T(derivative<A>(double(ar[c]), alpha));
            }
        }
    });
}

// ---- the fused step of small two-layer networks ------------------------------------

// A block's hidden activations, h rows of its chunks of eight, take at most this many
// vectors of eight doubles (512 KiB, in L2) in a scratch buffer: fused_step's pool tasks use
// their thread's (fused_scratch), a FusedTeam's leader and members the team's own (on the
// stack, a frame of more than 32 KiB came too close to the 128 KiB that musl gives a
// thread). The blocks of a network with more than 256 hidden units are narrower than
// block_cols, down to 32 columns at h = 2048. Against 512 vectors (16
// columns at h = 255), one thread on 400 examples: [2, 127, 1] 45.7 -> 37.9 us a step, and
// on 4000 [2, 64, 1] 217 -> 190 us (fewer blocks, fewer partial sums).
constexpr std::size_t fused_a1_vectors = 8192;

// The most columns of a fused block with h hidden units: block_cols, or fewer in whole
// chunks of eight, so that h rows of them fit in fused_a1_vectors.
inline std::size_t fused_block_cols(std::size_t h) {
    return std::min(block_cols, 8 * (fused_a1_vectors / std::max<std::size_t>(h, 1)));
}

// Networks [n_0, h, 1] with a binary cross-entropy output (the article's 2-4-1, and the
// sweeps over it) spend their step in the element-wise maths of a few short rows; layer
// by layer, ~15 kernel calls and ~40 short loops per step, with the AVX2 clone's tanh
// left scalar by the vectorizer. Here one call per block of examples runs forward, loss
// and backward on eight examples at a time (vec8.hpp), keeping A1 and dZ2 of the block
// in L1 or L2. Per example the operations are the layer-by-layer kernels' own, in their order
// (so in float64 Z, A, dZ and the tanh' factors are the same bits; float32 networks keep
// them in double, where the layers round them to float32); the sums over examples differ:
// eight lanes per sum, combined pairwise, and the loss's logs (see fused2_body).
//
// The layer-by-layer loops write Z1 and A1 for all m examples and read them back, and
// their GEMMs (wide layers, n_0 h >= 256) have an inner dimension of n_0 <= 8 or a single
// output row. One thread, against the fused step (2026-12-05): on 400 examples [2, 256, 1]
// 223 -> 78 us a step, [8, 32, 1] 20.6 -> 15.3, [2, 1024, 1] 938 -> 352; on 4000,
// [2, 1024, 1] 19.9 -> 3.5 ms and [8, 2048, 1] 43.6 -> 14.2 ms. Up to 2048 hidden units a
// block can hold 32 columns.
constexpr std::size_t fused_max_inputs = 8;
constexpr std::size_t fused_max_hidden = 2048;

// Whether the fused step takes n0 inputs and h hidden units (fused_applies adds the rest of
// the architecture: two layers, one output, binary cross-entropy).
inline bool fused_takes(std::size_t n0, std::size_t h) {
    return n0 >= 1 && n0 <= fused_max_inputs && h >= 1 && h <= fused_max_hidden;
}

template <Activation A>
WI_INLINE vec8::V activate_v8(vec8::V z, double alpha) {
    using namespace vec8;
    if constexpr (A == Activation::identity) {
        return z;
    } else if constexpr (A == Activation::sigmoid) {
        V tail;
        return vec8::sigmoid_parts(z, tail);
    } else if constexpr (A == Activation::tanh) {
        return vec8::tanh(z);
    } else if constexpr (A == Activation::relu) {
        return select(z < 0.0, splat(0.0), z);
    } else {
        return select(z < 0.0, alpha * z, z);
    }
}

template <Activation A>
WI_INLINE vec8::V derivative_v8(vec8::V a, double alpha) {
    using namespace vec8;
    if constexpr (A == Activation::identity) {
        return splat(1.0);
    } else if constexpr (A == Activation::sigmoid) {
        return a * (1.0 - a);
    } else if constexpr (A == Activation::tanh) {
        return 1.0 - a * a;
    } else if constexpr (A == Activation::relu) {
        return select(a > 0.0, splat(1.0), splat(0.0));
    } else {
        return select(a > 0.0, splat(1.0), splat(alpha));
    }
}

// Layout of a block's partial sums: the loss sum, then db2, dW2 (h), db1 (h), dW1 (h n_0).
inline std::size_t fused_stride(std::size_t n0, std::size_t h) { return 2 + 2 * h + h * n0; }

// The block [c0, c1) of the step: its loss sum and gradient sums into part. float32
// parameters (P) are widened as they are read, float32 data before (fused2_widened); all
// arithmetic is in double.
// Stage A writes a1 for every chunk that B reads (h >= 1); GCC 12 says "may be used
// uninitialized" of it when the build's baseline is AVX2 (CXXFLAGS=-march=haswell, conda's
// -mtune=haswell), though not by default.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
template <Activation H, std::size_t N0 = 0, std::size_t HH = 0, class P>
WI_INLINE void fused2_body(const P* W1, const P* b1, const P* W2, const P* b2, std::size_t n0_, std::size_t h_,
                           double alpha, const double* X, const double* Y, std::size_t ld, std::size_t c0,
                           std::size_t c1, double* part, vec8::V* scratch) {
    using namespace vec8;
    // h >= 1 (Architecture): the max lets GCC see stage A write every a1 that B reads.
    const std::size_t n0 = N0 ? N0 : n0_, h = HH ? HH : std::max<std::size_t>(h_, 1);
    constexpr std::size_t n0max = N0 ? N0 : fused_max_inputs;
    constexpr std::size_t chunks_max = block_cols / width;
    const std::size_t n = c1 - c0, nv = n / width, nch = (n + width - 1) / width;
    // Row j of A1 at a1 + j * row: a compile-time stride for the specialisations; h * nch
    // <= fused_a1_vectors as the blocks are cut (fused_block_cols), the scratch's size.
    const std::size_t row = HH ? chunks_max : nch;
    // The last chunk, if partial, is read from zero-padded copies and masked out of the sums.
    double xt[n0max][width], yt[width];
    for (std::size_t l = 0; l < width; ++l) {
        const bool in = nv * width + l < n;
        for (std::size_t k = 0; k < n0; ++k) xt[k][l] = in ? X[k * ld + c0 + nv * width + l] : 0.0;
        yt[l] = in ? Y[c0 + nv * width + l] : 0.0;
    }
    // The lanes of the partial chunk (all ones) and the rest (zeros), written lane by lane:
    // GCC 13's AVX-512 clone failed to compile this as one vector comparison (an internal
    // compiler error, "in do_store_flag", in GCC 13.3).
    I tail_in;
    for (std::size_t l = 0; l < width; ++l) tail_in[l] = nv * width + l < n ? -1 : 0;
    // Full chunks, then the partial one: the masks cost only there.
    auto chunks = [&](auto&& f) __attribute__((always_inline)) {
        for (std::size_t ci = 0; ci < nv; ++ci) f(ci, std::false_type{});
        if (nv < nch) f(nv, std::true_type{});
    };
    // Stages, each a loop over the chunks whose iterations are independent (one chunk
    // through all of them was one long dependency chain: latency-bound).
    // A: hidden activations, a chunk's h rows together: their chains are independent and
    // interleave (the article's fit took ~4% less time than row by row, over ten runs each).
    // On the stack for the compiled sizes (HH rows), else in the caller's scratch.
    V a1_fixed[HH ? HH * chunks_max : 1];
    V* const a1 = HH ? a1_fixed : scratch;
    chunks([&](std::size_t ci, auto tail) __attribute__((always_inline)) {
        auto xk = [&](std::size_t k) __attribute__((always_inline)) {
            if constexpr (decltype(tail)::value)
                return load(xt[k]);
            else
                return load(X + k * ld + c0 + ci * width);
        };
        for (std::size_t j = 0; j < h; ++j) {
            const P* w = W1 + j * n0;
            V z = double(w[0]) * xk(0);
            for (std::size_t k = 1; k < n0; ++k) z += double(w[k]) * xk(k);
            z += double(b1[j]);
            a1[j * row + ci] = activate_v8<H>(z, alpha);
        }
    });
    // B: output, loss, dZ2 and db2.
    V dz2s[chunks_max];
    V lin = splat(0.0), prod = splat(1.0), eps = splat(0.0), db2 = splat(0.0);
    const double b2v = b2[0];
    chunks([&](std::size_t ci, auto tail) __attribute__((always_inline)) {
        V z2 = double(W2[0]) * a1[ci];
        for (std::size_t j = 1; j < h; ++j) z2 += double(W2[j]) * a1[j * row + ci];
        z2 += b2v;
        V t2;
        const V a2 = vec8::sigmoid_parts(z2, t2);
        // softplus(z) - y z = max(z, 0) - y z - log(1 - t2), t2 = sigmoid(-|z|) <= 1/2. One
        // log per lane, not per example: of prod = the product of the lane's (1 - t2), at most
        // 32 factors in [1/2, 1] (no underflow), whose rounding is relative; and, while
        // 1 - prod < 1/2, of 1 - eps where eps = 1 - prod is kept to relative precision
        // (eps += t2 (1 - eps), all terms >= 0), so -log1p(-eps) keeps the precision of
        // costs below 2^-53 that -log(prod) would round away.
        // max(z, 0) - y z, as bce_linear: for labels 1 and 0, max(-z, 0) and max(z, 0).
        const V relu = select(z2 <= 0.0, splat(0.0), z2);  // NaN kept
        const auto linear = [&](V y) __attribute__((always_inline)) {
            return select(y == 1.0, select(z2 > 0.0, splat(0.0), -z2), select(y == 0.0, relu, relu - y * z2));
        };
        V dz2, l;
        if constexpr (decltype(tail)::value) {
            const V y = load(yt);
            dz2 = select(tail_in, a2 - y, splat(0.0));
            l = select(tail_in, linear(y), splat(0.0));
            t2 = select(tail_in, t2, splat(0.0));
        } else {
            const V y = load(Y + c0 + ci * width);
            dz2 = a2 - y;
            l = linear(y);
        }
        dz2s[ci] = dz2;
        lin += l;
        prod *= 1.0 - t2;
        eps += t2 * (1.0 - eps);
        db2 += dz2;
    });
    double lp[width], pp[width], ep[width];
    store(lp, lin);
    store(pp, prod);
    store(ep, eps);
    for (std::size_t l = 0; l < width; ++l)
        lp[l] -= ep[l] < 0.5 ? vecmath::log1p(-ep[l]) : vecmath::log_positive(pp[l]);
    part[0] = sum_lanes(load(lp));
    part[1] = sum_lanes(db2);
    // C: dW2, and dZ1 = (W2^T dZ2) * g'(A1), db1, dW1, row by row.
    for (std::size_t j = 0; j < h; ++j) {
        const double w2 = W2[j];
        V dW2 = splat(0.0), db1 = splat(0.0), dW1[n0max];
        for (std::size_t k = 0; k < n0; ++k) dW1[k] = splat(0.0);
        chunks([&](std::size_t ci, auto tail) __attribute__((always_inline)) {
            const V a = a1[j * row + ci];
            dW2 += dz2s[ci] * a;
            V dz1 = (w2 * dz2s[ci]) * derivative_v8<H>(a, alpha);
            if constexpr (decltype(tail)::value) {
                dz1 = select(tail_in, dz1, splat(0.0));
                db1 += dz1;
                for (std::size_t k = 0; k < n0; ++k) dW1[k] += dz1 * load(xt[k]);
            } else {
                db1 += dz1;
                for (std::size_t k = 0; k < n0; ++k) dW1[k] += dz1 * load(X + k * ld + c0 + ci * width);
            }
        });
        part[2 + j] = sum_lanes(dW2);
        part[2 + h + j] = sum_lanes(db1);
        for (std::size_t k = 0; k < n0; ++k) part[2 + 2 * h + j * n0 + k] = sum_lanes(dW1[k]);
    }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
// float32 data widened once for the block: the kernel reads X once per hidden unit in the
// forward and again in the backward, and widening every read cost float32 fits ~18%.
template <Activation H, std::size_t N0 = 0, std::size_t HH = 0, class P>
WI_INLINE void fused2_widened(const P* W1, const P* b1, const P* W2, const P* b2, std::size_t n0, std::size_t h,
                              double alpha, const float* X, const float* Y, std::size_t ld, std::size_t c0,
                              std::size_t c1, double* part, vec8::V* scratch) {
    constexpr std::size_t n0max = N0 ? N0 : fused_max_inputs;
    alignas(64) double x[n0max][block_cols], y[block_cols];
    const std::size_t n = c1 - c0;
    for (std::size_t k = 0; k < n0; ++k)
        for (std::size_t c = 0; c < n; ++c) x[k][c] = X[k * ld + c0 + c];
    for (std::size_t c = 0; c < n; ++c) y[c] = Y[c0 + c];
    fused2_body<H, N0, HH>(W1, b1, W2, b2, n0, h, alpha, &x[0][0], y, block_cols, 0, n, part, scratch);
}

template <Activation H, std::size_t N0 = 0, std::size_t HH = 0, class P>
WI_INLINE void fused2_block(const P* W1, const P* b1, const P* W2, const P* b2, std::size_t n0, std::size_t h,
                            double alpha, const P* X, const P* Y, std::size_t ld, std::size_t c0, std::size_t c1,
                            double* part, vec8::V* scratch) {
    if constexpr (std::is_same_v<P, float>)
        fused2_widened<H, N0, HH>(W1, b1, W2, b2, n0, h, alpha, X, Y, ld, c0, c1, part, scratch);
    else
        fused2_body<H, N0, HH>(W1, b1, W2, b2, n0, h, alpha, X, Y, ld, c0, c1, part, scratch);
}

#define WI_FUSED2(T)                                                                                               \
    WI_DISPATCH void fused2(Activation hidden, const T* W1, const T* b1, const T* W2, const T* b2, std::size_t n0, \
                            std::size_t h, double alpha, const T* X, const T* Y, std::size_t ld, std::size_t c0,   \
                            std::size_t c1, double* part, vec8::V* scratch) {                                      \
        if (hidden == Activation::tanh && n0 == 2 && h == 4)                                                       \
            return fused2_block<Activation::tanh, 2, 4>(W1, b1, W2, b2, n0, h, alpha, X, Y, ld, c0, c1, part,      \
                                                        scratch);                                                  \
        with_hidden(hidden, [&](auto tag) __attribute__((always_inline)) {                                         \
            fused2_block<decltype(tag)::value>(W1, b1, W2, b2, n0, h, alpha, X, Y, ld, c0, c1, part, scratch);     \
        });                                                                                                        \
    }
WI_FUSED2(double)
WI_FUSED2(float)
#undef WI_FUSED2

// ---- dispatched entry points -------------------------------------------------------

#define WI_MLP_KERNELS(T)                                                                                          \
    WI_DISPATCH void dense_forward(const T* W, const T* b, std::size_t n_out, std::size_t n_in, const T* a_prev,  \
                                   std::size_t ld, std::size_t c0, std::size_t c1, Activation act, double alpha,  \
                                   T* z_out, T* a_out) {                                                           \
        dense_forward_body(W, b, n_out, n_in, a_prev, ld, c0, c1, act, alpha, z_out, a_out);                       \
    }                                                                                                              \
    WI_DISPATCH void bias_activate(T* z, const T* b, std::size_t n_out, std::size_t ld, std::size_t c0,            \
                                   std::size_t c1, Activation act, double alpha, T* z_out) {                       \
        bias_activate_body(z, b, n_out, ld, c0, c1, act, alpha, z_out);                                            \
    }                                                                                                              \
    WI_DISPATCH double output(Loss loss, const T* z, const T* y, std::size_t n_out, std::size_t ld,                \
                              std::size_t c0, std::size_t c1, T* a, T* dz) {                                       \
        return output_body(loss, z, y, n_out, ld, c0, c1, a, dz);                                                  \
    }                                                                                                              \
    WI_DISPATCH void dense_backward(const T* W, std::size_t n_out, std::size_t n_in, const T* dz,                  \
                                    const T* a_prev, std::size_t ld, std::size_t c0, std::size_t c1, T* part_dW,   \
                                    T* part_db, Activation prev_act, double alpha, T* dz_prev) {                   \
        dense_backward_body(W, n_out, n_in, dz, a_prev, ld, c0, c1, part_dW, part_db, prev_act, alpha, dz_prev);   \
    }                                                                                                              \
    WI_DISPATCH void scale_by_derivative(T* d, const T* a, std::size_t rows, std::size_t ld, std::size_t c0,       \
                                         std::size_t c1, Activation act, double alpha) {                           \
        scale_by_derivative_body(d, a, rows, ld, c0, c1, act, alpha);                                              \
    }

WI_MLP_KERNELS(float)
WI_MLP_KERNELS(double)
#undef WI_MLP_KERNELS

}  // namespace kernels

namespace {

using kernels::block_cols;

// Layers with fewer weights than this run through the fused loops; from here on a
// GEMM's register blocking wins over its call overhead.
constexpr std::size_t gemm_min_weights = 256;
// Below this many row-elements per pass (about 2 us of work), handing blocks to the pool's
// threads costs more than it saves: a parallel_for with two threads cost ~0.2 us on the AMD
// host (cross-core round trips), 0.7 us on the Intel one (2026-12-05), where passes under
// ~2^15 row-elements ran faster on one thread (docs/benchmarks.md: raising this also slowed
// the gather and short fused fits, which share it). A pool thread that is not running when a
// pass starts takes no run of blocks (for_blocks), so a busy core delays a pass by at most
// the run that thread had taken.
constexpr std::size_t parallel_min_elements = std::size_t(1) << 11;

std::size_t blocks_of(std::size_t m, std::size_t cols = block_cols) { return ceil_div(m, cols); }

bool is_wide(const Architecture& arch, std::size_t l) { return arch.sizes[l + 1] * arch.sizes[l] >= gemm_min_weights; }

// Before a pass that may call GEMM: OpenBLAS on one thread (the engine threads its GEMMs
// itself, gemm_columns), checked on every call since anything may have changed it.
void prepare_gemm(const Architecture& arch) {
    for (std::size_t l = 0; l < arch.layers(); ++l)
        if (is_wide(arch, l)) return blas::use_one_thread();
}

// Per-block partial sums of layer l: db, and dW for narrow layers (GEMM computes wide dW).
std::size_t partial_stride(const Architecture& arch, std::size_t l) {
    return is_wide(arch, l) ? arch.sizes[l + 1] : arch.sizes[l + 1] * (arch.sizes[l] + 1);
}

// Below this many multiply-adds (~60 us on one core) a GEMM's chunks run on one thread. At
// 2^25 (the first guess) the GEMMs of mid-size layers ran on one thread while the passes
// around them were split between the cores, and two threads were slower than one: [2, 64,
// 64, 1] on 4000 examples 2.86 against 2.51 ms a step, [32, 256, 1] 6.00 against 5.42. At 2^21,
// two threads, alternated runs on the 2-core AMD host (2026-12-05): [2, 64, 64, 1] on 4000
// 2.30-2.37 -> 1.31-1.33 ms, [32, 256, 1] on 4000 4.80-4.89 -> 3.35-3.59, [2, 16, 16, 1] on
// 16 000 1.02-1.05 -> 0.65-0.66. The chunks depend on m alone: the same bits either way.
constexpr std::size_t gemm_parallel_min = std::size_t(1) << 21;

// Runs task(t) for t in [0, n) on threads threads; when poll is given, in rounds of
// threads tasks with a poll after each (the same tasks: Ctrl-C is seen between rounds).
template <class Task>
void polled_rounds(std::size_t n, int threads, CancelPoll* poll, Task&& task) {
    const std::size_t round = poll ? std::size_t(std::max(threads, 1)) : n;
    for (std::size_t first = 0; first < n; first += round) {
        parallel_for(std::min(round, n - first), threads, [&](std::size_t t) { task(first + t); });
        if (poll) (*poll)();
    }
}

// A GEMM over fewer examples than two chunks (a prediction or a mini-batch of a few hundred)
// is cut into blocks of its output instead, each a GEMM of its own: C (rows x cols) = op(A)
// op(B), with op(A) rows x k and op(B) k x cols, cut along the longer of rows and cols, so
// that each block packs again only the smaller operand (blocks of rows each pack all of
// op(B), blocks of columns all of op(A)). Aimed at a power of two of them, of at least
// gemm_block_work multiply-adds each, at most max_gemm_chunks; whole multiples of 8 (the last
// shorter), which can leave fewer (600 columns in 16 aimed at: 15 of 40). Rows and columns of
// C are independent, so no sum changes order; the blocks depend on the shape alone. Without
// blocks a [784, 128, 10] prediction of 256 examples ran on one core, 1.4-1.7x NumPy's time
// on two (helper-80).
// Two threads, medians of 9 x 20 steps on the quiet 2-core AMD host (2026-12-05), against the
// blocks of 64 rows from 128 rows before: [784, 100, 10] on 256 examples 1.48-1.50 -> 0.81-0.83
// ms (NumPy 1.02-1.24), on 512 2.97-3.04 -> 1.66-1.68 (NumPy 1.99-2.35); [784, 72, 10] on 256
// 1.05-1.09 -> 0.58-0.71 (NumPy 0.90); [784, 128, 10] on 256 1.07-1.10 -> 1.00-1.03. One thread
// within 3% either way. At 2^23 [784, 72, 10] kept one block.
constexpr std::size_t gemm_block_work = std::size_t(1) << 22;  // multiply-adds
// A blocked GEMM this large (~2 ms on one core) sees Ctrl-C between rounds of its blocks.
constexpr std::size_t gemm_poll_work = std::size_t(1) << 26;

struct OutputBlocks {
    bool by_rows;
    std::size_t count, size;  // count blocks of size rows or columns
};

OutputBlocks output_blocks(std::size_t rows, std::size_t cols, std::size_t k) {
    const bool by_rows = rows > cols;
    const std::size_t length = by_rows ? rows : cols, work = rows * cols * k;
    std::size_t count = 1;
    while (2 * count <= max_gemm_chunks && work / (2 * count) >= gemm_block_work && length >= 2 * count * 8)
        count *= 2;
    const std::size_t size = ((length + count - 1) / count + 7) / 8 * 8;
    return {by_rows, (length + size - 1) / size, size};
}

// C = alpha op(A) op(B) (C rows x cols, op(A) rows x k; op(A)'s row r is A's row r, or its
// column r when trans_a; op(B)'s column c is B's column c, or its row c when trans_b) in
// the blocks of output_blocks, each a task of parallel_for.
template <class T>
void gemm_blocks(bool trans_a, bool trans_b, std::size_t rows, std::size_t cols, std::size_t k, T alpha,
                 const T* A, std::size_t lda, const T* B, std::size_t ldb, T* C, std::size_t ldc, int nthreads,
                 CancelPoll* poll) {
    const OutputBlocks ob = output_blocks(rows, cols, k);
    // Under gemm_poll_work the blocks run in one parallel loop, not in polled rounds of nthreads
    // (a barrier each): [784, 128, 10] on 256, two threads, float64 1.005-1.19 -> 0.98-1.005 ms,
    // float32 0.49-0.60 -> 0.48-0.49 (three alternated rounds).
    CancelPoll* rounds = rows * cols * k >= gemm_poll_work ? poll : nullptr;
    polled_rounds(ob.count, ob.count > 1 ? nthreads : 1, rounds, [&](std::size_t t) {
        const std::size_t first = t * ob.size, n = std::min(ob.size, (ob.by_rows ? rows : cols) - first);
        if (ob.by_rows)
            blas::gemm(trans_a, trans_b, n, cols, k, alpha, trans_a ? A + first : A + first * lda, lda, B, ldb,
                       T(0), C + first * ldc, ldc);
        else
            blas::gemm(trans_a, trans_b, rows, n, k, alpha, A, lda, trans_b ? B + first * ldb : B + first, ldb,
                       T(0), C + first, ldc);
    });
}

// C = op(W) B over m columns (B, C with row stride m): one GEMM per chunk of columns.
template <class T>
void gemm_columns(bool trans_w, std::size_t rows, std::size_t k, std::size_t m, const T* W, std::size_t ldw,
                  const T* B, T* C, int nthreads, CancelPoll* poll) {
    if (gemm_chunks(m) == 1) return gemm_blocks(trans_w, false, rows, m, k, T(1), W, ldw, B, m, C, m, nthreads, poll);
    const std::size_t chunk = gemm_chunk(m);
    const int threads = rows * k * m >= gemm_parallel_min ? nthreads : 1;
    polled_rounds(gemm_chunks(m), threads, poll, [&](std::size_t t) {
        const std::size_t c0 = t * chunk, n = std::min(chunk, m - c0);
        blas::gemm(trans_w, false, rows, n, k, T(1), W, ldw, B + c0, m, T(0), C + c0, m);
    });
}

// dW = scale dZ A^T (dZ: n_out x m, A: n_in x m): one GEMM per chunk of examples into
// partial (gemm_chunks(m) x n_out x n_in), then the chunks summed in order.
template <class T>
void gemm_weight_gradient(std::size_t n_out, std::size_t n_in, std::size_t m, T scale, const T* dz, const T* a,
                          T* dW, T* partial, int nthreads, CancelPoll* poll) {
    const std::size_t chunk = gemm_chunk(m), nc = gemm_chunks(m), size = n_out * n_in;
    if (nc == 1) return gemm_blocks(false, true, n_out, n_in, m, scale, dz, m, a, m, dW, n_in, nthreads, poll);
    const int threads = n_out * n_in * m >= gemm_parallel_min ? nthreads : 1;
    polled_rounds(nc, threads, poll, [&](std::size_t t) {
        const std::size_t c0 = t * chunk, n = std::min(chunk, m - c0);
        blas::gemm(false, true, n_out, n_in, n, T(1), dz + c0, m, a + c0, m, T(0), partial + t * size, n_in);
    });
    for (std::size_t j = 0; j < size; ++j) dW[j] = partial[j];
    for (std::size_t t = 1; t < nc; ++t) {
        const T* p = partial + t * size;
        for (std::size_t j = 0; j < size; ++j) dW[j] += p[j];
    }
    for (std::size_t j = 0; j < size; ++j) dW[j] *= scale;
}

// The fused step's blocks for m examples, a function of m and h alone: fused_cols(m, h)
// columns each (whole chunks of 8, at most fused_block_cols(h)), aiming at
// fused_blocks_aimed(m, h) blocks of about equal size, an even number of them while they are
// few, so that two or four threads share a small set of examples (the article's 400) evenly.
// Rounding the columns up to whole chunks can leave fewer blocks than aimed at (h = 1500:
// 193 examples in 5 blocks of 40 and 33, where 190 take 6 of 32 and 30), and so a smaller
// m more blocks than a larger one; the aim never decreases with m and is never below the blocks
// cut, so it sizes buffers for every batch of at most m examples.
constexpr std::size_t fused_min_split = 64;

std::size_t fused_blocks_aimed(std::size_t m, std::size_t h) {
    const std::size_t most = kernels::fused_block_cols(h);
    if (m < fused_min_split) return blocks_of(m, most);  // <= blocks_of(64, most)
    std::size_t nb = std::max<std::size_t>(2, blocks_of(m, most));
    if (nb < 8) nb += nb % 2;
    return nb;
}

std::size_t fused_cols(std::size_t m, std::size_t h) {
    constexpr std::size_t chunk = 8;
    if (m < fused_min_split) return kernels::fused_block_cols(h);
    const std::size_t nb = fused_blocks_aimed(m, h);
    return ceil_div(ceil_div(m, nb), chunk) * chunk;
}

// The blocks cut: at most fused_blocks_aimed(m, h).
std::size_t fused_blocks_cut(std::size_t m, std::size_t h) { return blocks_of(m, fused_cols(m, h)); }

// body(block, c0, c1) for every block of `cols` of the m columns; threads only for big passes.
// Each thread takes a run of consecutive blocks (one task per thread), so that the passes of
// a step usually find the columns a thread wrote in its own cache: with a block a task,
// blocks went to whichever thread claimed them, and the next pass read them from the other
// core's. (Which thread claims run 0 is not fixed: in a tight loop of two-run passes the
// pairing flipped in ~11% of them, helper-132.) 2026-12-05, Intel, two threads: gradients
// of [2, 16, 1] on 4000 examples 121 -> 92 us, predict of [2, 4, 1] on 200 000 1.38 ->
// 1.02 ms. Which thread computes a block changes no bit: the blocks and the order their
// sums are added in are the same.
template <class Body>
void for_blocks(std::size_t m, std::size_t rows, int nthreads, Body&& body, std::size_t cols = block_cols) {
    const std::size_t nb = blocks_of(m, cols);
    const int threads = rows * m >= parallel_min_elements ? nthreads : 1;
    const std::size_t runs = std::min(nb, detail::loop_threads(threads));
    parallel_for(runs, threads, [&](std::size_t r) {
        for (std::size_t blk = r * nb / runs; blk < (r + 1) * nb / runs; ++blk) {
            const std::size_t c0 = blk * cols;
            body(blk, c0, std::min(m, c0 + cols));
        }
    });
}

}  // namespace

std::size_t fused_partial_values(std::size_t n0, std::size_t h, std::size_t m) {
    // fused_block_cols is 0 past 8192 hidden units: the blocks' count would divide by it.
    if (!kernels::fused_takes(n0, h))
        throw std::invalid_argument("fused_partial_values: a fused network has 1 to " +
                                    std::to_string(kernels::fused_max_inputs) + " inputs and 1 to " +
                                    std::to_string(kernels::fused_max_hidden) + " hidden units, got " +
                                    std::to_string(n0) + " and " + std::to_string(h));
    const std::size_t blocks = fused_blocks_aimed(m, h), stride = kernels::fused_stride(n0, h);
    return blocks > std::numeric_limits<std::size_t>::max() / stride ? std::numeric_limits<std::size_t>::max()
                                                                      : blocks * stride;
}

template <class T>
struct Network<T>::Workspace {
    std::size_t m = 0;                 // columns the buffers hold
    std::vector<Buffer<T>> A;          // A_l, (n_l, m), l = 1..L
    Buffer<T> Z;                       // Z_L, (n_L, m)
    Buffer<T> G0, G1;                  // dZ ping-pong, (max n_l, m)
    std::vector<std::vector<T>> dW, db;
    Buffer<T> partial;                 // per-block partial gradient sums
    Buffer<T> gemm_partial;            // per-chunk dW of the widest GEMM layer
    std::vector<double> cost_partial;  // per-block loss sums
    Buffer<T> Xb, Yb;                  // the current mini-batch
    Buffer<double> fused_partial;      // per-block sums of fused_step
    std::vector<std::uint32_t> perm;   // the current epoch's order

    explicit Workspace(const Architecture& arch) : A(arch.layers()) {}

    // The gradients train() keeps, made by its first call: zeroed at construction they cost
    // every network its pages (a copy, an unpickled one, each run of a sweep) before any fit;
    // [784, 256, 256, 10] float64 took ~530 page faults so.
    void gradient_buffers(const Architecture& arch) {
        if (!dW.empty()) return;
        for (std::size_t l = 0; l < arch.layers(); ++l) {
            dW.emplace_back(arch.sizes[l + 1] * arch.sizes[l]);
            db.emplace_back(arch.sizes[l + 1]);
        }
    }

    void reserve(const Architecture& arch, std::size_t cols) {
        if (cols <= m) return;
        std::size_t widest = 0, most_partial = 0, biggest_wide = 0;
        for (std::size_t l = 0; l < arch.layers(); ++l) {
            const std::size_t n_out = arch.sizes[l + 1];
            A[l].reserve(n_out * cols);
            widest = std::max(widest, n_out);
            most_partial = std::max(most_partial, partial_stride(arch, l));
            if (is_wide(arch, l)) biggest_wide = std::max(biggest_wide, n_out * arch.sizes[l]);
        }
        if (biggest_wide && gemm_chunks(cols) > 1) gemm_partial.reserve(gemm_chunks(cols) * biggest_wide);
        Z.reserve(arch.sizes.back() * cols);
        G0.reserve(widest * cols);
        G1.reserve(widest * cols);
        partial.reserve(blocks_of(cols) * most_partial);
        cost_partial.resize(blocks_of(cols));
        m = cols;
    }
};

template <class T>
Network<T>::Network(Architecture arch) : arch_(std::move(arch)) {
    arch_.validate();
    ws_ = std::make_unique<Workspace>(arch_);
}

template <class T>
Network<T>::~Network() = default;
template <class T>
Network<T>::Network(Network&&) noexcept = default;
template <class T>
Network<T>& Network<T>::operator=(Network&&) noexcept = default;

namespace {

template <class T>
void check_parameters(const Architecture& arch, const Parameters<T>& p) {
    if (p.W.size() != arch.layers() || p.b.size() != arch.layers())
        throw std::invalid_argument("one W and one b per layer are needed");
    for (std::size_t l = 0; l < arch.layers(); ++l)
        if (!p.W[l] || !p.b[l]) throw std::invalid_argument("null parameter array");
}

// Whether every W and b is finite.
template <class T>
bool params_finite(const Architecture& arch, const Parameters<T>& p, int nthreads) {
    for (std::size_t l = 0; l < arch.layers(); ++l) {
        const std::size_t nw = arch.sizes[l + 1] * arch.sizes[l], nb = arch.sizes[l + 1];
        if (!all_finite(p.W[l], nw, nthreads) || !all_finite(p.b[l], nb, nthreads)) return false;
    }
    return true;
}

// The passes below take the workspace and the destinations explicitly so that
// forward(), gradients() and train() share them.

// Forward through all layers: A[l] receives A_l for hidden layers, zout receives Z_L;
// zh[l], when non-null, receives hidden Z_l.
template <class T>
void forward_pass(const Architecture& arch, const Parameters<T>& p, const T* X, std::size_t m,
                  const std::vector<T*>& A, const std::vector<T*>& zh, T* zout, int nthreads,
                  CancelPoll* poll = nullptr) {
    const std::size_t L = arch.layers();
    const T* prev = X;
    for (std::size_t l = 0; l < L; ++l) {
        if (poll) (*poll)();
        const std::size_t n_out = arch.sizes[l + 1], n_in = arch.sizes[l];
        const bool output = l + 1 == L;
        T* dst = output ? zout : A[l];
        // The output layer's activation belongs to the loss: here it stays linear.
        const Activation act = output ? Activation::identity : arch.activations[l];
        T* z_copy = output ? nullptr : zh[l];
        if (is_wide(arch, l)) {
            gemm_columns(false, n_out, n_in, m, p.W[l], n_in, prev, dst, nthreads, poll);
            for_blocks(m, n_out, nthreads, [&](std::size_t, std::size_t c0, std::size_t c1) {
                kernels::bias_activate(dst, p.b[l], n_out, m, c0, c1, act, arch.alpha, z_copy);
            });
        } else {
            for_blocks(m, n_out, nthreads, [&](std::size_t, std::size_t c0, std::size_t c1) {
                kernels::dense_forward(p.W[l], p.b[l], n_out, n_in, prev, m, c0, c1, act, arch.alpha, z_copy, dst);
            });
        }
        prev = dst;
    }
}

// Output activations into a_out and, with Y, dZ_L = A_L - Y into dz; returns J (0 without Y).
template <class T>
double output_pass(const Architecture& arch, const T* zout, const T* Y, std::size_t m, T* a_out, T* dz,
                   std::vector<double>& cost_partial, int nthreads) {
    const std::size_t n_out = arch.sizes.back();
    for_blocks(m, n_out, nthreads, [&](std::size_t blk, std::size_t c0, std::size_t c1) {
        cost_partial[blk] = kernels::output(arch.loss, zout, Y, n_out, m, c0, c1, a_out, dz);
    });
    double total = 0.0;
    for (std::size_t blk = 0; blk < blocks_of(m); ++blk) total += cost_partial[blk];
    return (1.0 / double(m)) * total;  // the prototype's -1./m * np.sum(...)
}

// Gradients from dZ_L (in g0) back to layer 1, into dW[l], db[l]; g0 and g1 are the
// ping-pong buffers for dZ.
template <class T>
void backward_pass(const Architecture& arch, const Parameters<T>& p, const T* X, std::size_t m,
                   const std::vector<T*>& A, T* g0, T* g1, T* partial, T* gemm_partial, const std::vector<T*>& dW,
                   const std::vector<T*>& db, int nthreads, CancelPoll* poll = nullptr) {
    const T scale = T(1.0 / double(m));
    const std::size_t nb = blocks_of(m);
    T* dz = g0;
    T* dz_prev = g1;
    for (std::size_t l = arch.layers(); l-- > 0;) {
        if (poll) (*poll)();
        const std::size_t n_out = arch.sizes[l + 1], n_in = arch.sizes[l];
        const T* a_prev = l == 0 ? X : A[l - 1];
        const Activation prev_act = l == 0 ? Activation::identity : arch.activations[l - 1];
        T* next = l == 0 ? nullptr : dz_prev;
        const bool wide = is_wide(arch, l);
        const std::size_t stride = partial_stride(arch, l);
        // Narrow layers: dW, db and dZ_{l-1} in one pass over the blocks; wide layers:
        // db here, dW and W^T dZ by GEMM below.
        for_blocks(m, n_out + n_in, nthreads, [&](std::size_t blk, std::size_t c0, std::size_t c1) {
            T* part = partial + blk * stride;
            if (wide)
                kernels::dense_backward(p.W[l], n_out, n_in, dz, a_prev, m, c0, c1, nullptr, part, prev_act,
                                        arch.alpha, nullptr);
            else
                kernels::dense_backward(p.W[l], n_out, n_in, dz, a_prev, m, c0, c1, part + n_out, part, prev_act,
                                        arch.alpha, next);
        });
        // Blocks are summed in order, whatever thread computed them.
        for (std::size_t j = 0; j < stride; ++j) {
            T s = partial[j];
            for (std::size_t blk = 1; blk < nb; ++blk) s += partial[blk * stride + j];
            if (j < n_out)
                db[l][j] = scale * s;
            else
                dW[l][j - n_out] = scale * s;
        }
        if (wide) {
            gemm_weight_gradient(n_out, n_in, m, scale, dz, a_prev, dW[l], gemm_partial, nthreads, poll);
            if (next) {
                gemm_columns(true, n_in, n_out, m, p.W[l], n_in, dz, next, nthreads, poll);
                for_blocks(m, n_in, nthreads, [&](std::size_t, std::size_t c0, std::size_t c1) {
                    kernels::scale_by_derivative(next, a_prev, n_in, m, c0, c1, prev_act, arch.alpha);
                });
            }
        }
        std::swap(dz, dz_prev);
    }
}

// Whether train() takes the fused step: networks [n_0 <= 8, h <= 2048, 1] with a binary
// cross-entropy output. (float32 ones compute it in double
// throughout, where the layers round Z and A to float32: their fits agree with
// gradients() to float32's precision.)
template <class T>
bool fused_applies(const Architecture& arch) {
    return arch.layers() == 2 && arch.loss == Loss::binary_cross_entropy &&
           arch.sizes[2] == 1 && kernels::fused_takes(arch.sizes[0], arch.sizes[1]);
}

std::size_t fused_stride(const Architecture& arch) {
    return kernels::fused_stride(arch.sizes[0], arch.sizes[1]);
}

// Forward, loss and backward of a fused_applies network in one pass over the blocks of
// examples (kernels::fused2): returns J and writes dW, db. Its blocks (fused_cols, not
// the other passes' block_cols, so its sums are not bit-identical to gradients()'s) depend
// on m and h alone and are summed in order, so the thread count changes nothing.
//
// fused_blocks: blocks [b0, b1) of the step, each block's sums at partial + blk * stride
// (stride >= fused_stride), a block's hidden activations in scratch (fused_scratch_vectors
// long). fused_sums: J from all nb blocks' sums, added in block order, and dW, db.
using FusedVector = vec8::V;

// The vectors of eight a fused block's A1 takes, h rows of its chunks (at most
// fused_a1_vectors, 512 KiB).
std::size_t fused_scratch_vectors(std::size_t m, std::size_t h) { return h * ((fused_cols(m, h) + 7) / 8); }

// The calling thread's scratch for fused_blocks, at least `vectors` long: it grows to what
// the widest fused network this thread has trained needs and is kept until the thread ends,
// so no step allocates. A FusedTeam's members, whose noexcept run cannot throw bad_alloc,
// get theirs from the team instead, allocated before they start.
FusedVector* fused_scratch(std::size_t vectors) {
    thread_local Buffer<FusedVector> scratch;
    return scratch.reserve(vectors);
}

template <class T>
void fused_blocks(const Architecture& arch, const Parameters<T>& p, const T* X, const T* Y, std::size_t m,
                  std::size_t b0, std::size_t b1, double* partial, std::size_t stride, FusedVector* scratch) {
    const std::size_t h = arch.sizes[1], cols = fused_cols(m, h);
    for (std::size_t blk = b0; blk < b1; ++blk)
        kernels::fused2(arch.activations[0], p.W[0], p.b[0], p.W[1], p.b[1], arch.sizes[0], h, arch.alpha, X, Y,
                        m, blk * cols, std::min(m, (blk + 1) * cols), partial + blk * stride, scratch);
}

// The gradient's sums are taken block by block into block 0's (each still added in block
// order, so the same bits as one sum at a time): read column by column they cost ~10% of
// a step at [8, 2048, 1] on 4000 examples (helper-142). Block 0's sums are left summed;
// every caller computes or gathers them afresh before its next call.
template <class T>
double fused_sums(const Architecture& arch, std::size_t m, double* partial, std::size_t stride,
                  const std::vector<T*>& dW, const std::vector<T*>& db) {
    const std::size_t h = arch.sizes[1], nb = fused_blocks_cut(m, h), used = fused_stride(arch);
    double total = 0.0;
    for (std::size_t blk = 0; blk < nb; ++blk) total += partial[blk * stride];
    for (std::size_t blk = 1; blk < nb; ++blk) {
        const double* row = partial + blk * stride;
        for (std::size_t j = 1; j < used; ++j) partial[j] += row[j];
    }
    const double scale = 1.0 / double(m);
    for (std::size_t j = 1; j < used; ++j) {
        const double s = scale * partial[j];
        if (j == 1)
            db[1][0] = T(s);
        else if (j < 2 + h)
            dW[1][j - 2] = T(s);
        else if (j < 2 + 2 * h)
            db[0][j - 2 - h] = T(s);
        else
            dW[0][j - 2 - 2 * h] = T(s);
    }
    return scale * total;
}

template <class T>
double fused_step(const Architecture& arch, const Parameters<T>& p, const T* X, const T* Y, std::size_t m,
                  double* partial, const std::vector<T*>& dW, const std::vector<T*>& db, int nthreads) {
    const std::size_t stride = fused_stride(arch), vectors = fused_scratch_vectors(m, arch.sizes[1]);
    for_blocks(
        m, arch.sizes[0] + arch.sizes[1] + 1, nthreads,
        [&](std::size_t blk, std::size_t, std::size_t) {
            fused_blocks(arch, p, X, Y, m, blk, blk + 1, partial, stride, fused_scratch(vectors));
        },
        fused_cols(m, arch.sizes[1]));
    return fused_sums(arch, m, partial, stride, dW, db);
}

// W = W - learning_rate dW, as the prototype's update_parameters. Element by element, so
// the chunks a large W is split into for nthreads (for_chunks) change no bit. A fused
// network's leader calls it from inside its team's parallel_for, where a threaded update
// would start threads of its own every step: fused layers (at most 8 x 2048 weights,
// fused_applies) stay below the 4 chunks that thread it.
template <class T>
void update(const Architecture& arch, const Parameters<T>& p, const std::vector<T*>& dW, const std::vector<T*>& db,
            double learning_rate, int nthreads = 1) {
    const T lr = T(learning_rate);
    const auto descend = [lr](T* x, const T* g, std::size_t j0, std::size_t j1) {
        for (std::size_t j = j0; j < j1; ++j) x[j] = x[j] - lr * g[j];
    };
    for (std::size_t l = 0; l < arch.layers(); ++l) {
        T* W = p.W[l];
        const T* gW = dW[l];
        for_chunks(arch.sizes[l + 1] * arch.sizes[l], nthreads,
                   [&](std::size_t, std::size_t j0, std::size_t j1) { descend(W, gW, j0, j1); });
        descend(p.b[l], db[l], 0, arch.sizes[l + 1]);
    }
}

// The data pointers of a vector of Buffers or of vectors.
template <class Items>
auto pointers(Items& items) {
    std::vector<decltype(items.front().data())> out;
    for (auto& item : items) out.push_back(item.data());
    return out;
}

// Waits until ready() holds: spins (pausing, then yielding the core to anything else
// runnable) for up to 2 ms, then sleeps in 50 us naps. A team member spins through the
// leader's solo windows of StepThreads' trials (tens of microseconds each: waking from
// a sleep would cost the next team window more than that) and sleeps through a period
// the leader runs alone. Given `forks` (the leader's, which runs the check and so may be
// a forked child's only thread), it throws ForkedDuringCall once the fork count moves
// from it: the members it waits for are not in the child.
template <class Ready>
void wait_until(Ready&& ready, const std::uint64_t* forks = nullptr) {
    using clock = std::chrono::steady_clock;
    clock::time_point start{};
    bool napping = false;
    for (unsigned i = 0; !ready(); ++i) {
        if (i < 1024) {
            detail::cpu_relax();
        } else if (forks && i % 64 == 0 && detail::fork_count() != *forks) {
            throw ForkedDuringCall();
        } else if (napping) {
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        } else {
            if (i == 1024) start = clock::now();
            std::this_thread::yield();
            napping = i % 64 == 0 && clock::now() - start > std::chrono::milliseconds(2);
        }
    }
}

// A team of threads that runs the fused step of a full-batch train() over all its steps.
//
// Handing a step's blocks to the pool every step costs cross-core transfers one after
// another (the job, the parameters just updated, the done count, the partial sums):
// ~1.3 us here, about what splitting the article's 400 examples saves. A team keeps its
// threads for the whole run instead. Every member holds a copy of the parameters,
// computes its own blocks, publishes their sums, waits for the others', then sums all
// blocks and updates its copy as the leader does (the same functions on the same
// numbers: every copy holds the same bits). A step then costs one exchange (~0.2 us).
//
// Sums travel in cache lines of seven doubles and a tag, the step (plus one) that wrote
// them, stored after the doubles: a reader that sees the tag has the line's sums in the
// same transfer. (A flag beside the sums cost a transfer of the flag, then one of the
// sums: 240-260 ns an exchange of three lines against 200 ns, in a loop of exchanges.)
// Sums of step s go to half s % 2 of the team's lines: no thread reaches step s + 2
// before every thread has read step s.
//
// The leader is train()'s thread: it records costs, calls the check, and owns the
// caller's parameters. Its word tells the members what to do: sync(s), copy the leader's
// parameters and run from step s; leave, it runs the next steps alone (StepThreads'
// windows), so stop and wait for a sync; done, return. Each thread computes its blocks'
// sums in a buffer of its own (the leader's serves its solo steps too), so a member still
// finishing an abandoned step touches nothing the leader uses.
template <class T>
class FusedTeam {
public:
    FusedTeam(const Architecture& arch, const T* X, const T* Y, std::size_t m, std::size_t members,
              double learning_rate)
        : arch_(arch), X_(X), Y_(Y), m_(m), members_(members), lr_(learning_rate),
          nb_(fused_blocks_cut(m, arch.sizes[1])),
          lines_per_block_((fused_stride(arch) + SumLine::width - 1) / SumLine::width),
          stride_(lines_per_block_ * SumLine::width), lines_(2 * nb_ * lines_per_block_), tags_(members) {
        // Every member needs a block of its own: a member without one would publish nothing
        // and the others would not wait for it.
        if (members < 2 || members > nb_) throw std::logic_error("FusedTeam: members must be in [2, blocks]");
        std::fill_n(solo_.reserve(nb_ * stride_), nb_ * stride_, 0.0);
        const std::size_t vectors = fused_scratch_vectors(m, arch.sizes[1]);
        solo_scratch_.reserve(vectors);
        states_.reserve(members - 1);
        for (std::size_t r = 1; r < members; ++r) {
            states_.emplace_back(arch);
            std::fill_n(states_.back().sums.reserve(nb_ * stride_), nb_ * stride_, 0.0);
            states_.back().scratch.reserve(vectors);
        }
    }

    // Members for m examples on nthreads threads: one block each at least, no more than
    // the CPUs (a member that waits for a CPU stalls every step), and at most 64 (the
    // pool lends at most 255 helpers; a step of this size gains nothing from more).
    static std::size_t members_for(const Architecture& arch, std::size_t m, int nthreads) {
        constexpr std::size_t most = 64;
        const std::size_t threads = std::size_t(std::max(nthreads, 1));
        return std::min({fused_blocks_cut(m, arch.sizes[1]), threads, detail::usable_cpus(), most});
    }

    // The leader's step s: with the members when `together` and all of them have joined,
    // else alone. Returns J and writes dW, db.
    double step(const Parameters<T>& p, std::size_t s, bool together, const std::vector<T*>& dW,
                const std::vector<T*>& db) {
        // The check may have changed the caller's floating-point control (a library loaded
        // with -ffast-math sets flush-to-zero): the members, which have computed this step
        // under the old one, are sent away for it, and take the new one at the next sync.
        const unsigned control = detail::fp_control();
        if (in_team_ && control != control_) together = false;
        if (together && joined_.load(std::memory_order_acquire) == members_ - 1) {
            if (!in_team_) {
                for (std::size_t r = 1; r < members_; ++r)
                    wait_until([&] { return tags_[r].v.load(std::memory_order_acquire) == left; }, &forks_);
                control_ = control;
                post(sync, s);
                in_team_ = true;
            }
            double* sums = solo_.data();
            fused_blocks(arch_, p, X_, Y_, m_, first_block(0), first_block(1), sums, stride_, solo_scratch_.data());
            publish(s, 0, sums);
            wait_until([&] { return others_ready(s, 0); }, &forks_);
            gather(s, 0, sums);
            return fused_sums(arch_, m_, sums, stride_, dW, db);
        }
        if (in_team_) {
            post(leave, s);
            in_team_ = false;
        }
        fused_blocks(arch_, p, X_, Y_, m_, 0, nb_, solo_.data(), stride_, solo_scratch_.data());
        return fused_sums(arch_, m_, solo_.data(), stride_, dW, db);
    }

    // Ends the members' work; the leader calls it once, last (also when it throws).
    void finish() { post(done, 0); }

    // A member's whole run: joins, then follows the leader's word until done. lead is
    // the leader's parameters, read only after a sync. It allocates nothing and returns
    // only at done: a pool thread whose task returned early could take the task the
    // caller's thread needs to lead, and no one would.
    void member(const Parameters<T>& lead) noexcept {
        const std::size_t r = next_member_.fetch_add(1, std::memory_order_relaxed);
        if (r >= members_) return;  // the caller's thread, after leading: done is posted
        State& state = states_[r - 1];
        const Parameters<T>& mine = state.params.p;
        const std::vector<T*>& dW = state.grads.p.W;
        const std::vector<T*>& db = state.grads.p.b;
        double* sums = state.sums.data();
        FusedVector* scratch = state.scratch.data();
        joined_.fetch_add(1, std::memory_order_release);
        for (;;) {
            std::uint64_t w;
            wait_until([&] {
                w = word_.v.load(std::memory_order_acquire);
                return kind(w) == sync || kind(w) == done;
            });
            if (kind(w) == done) return;
            detail::set_fp_control(control_);
            state.params.copy_from(lead);
            for (std::size_t s = step_of(w);; ++s) {
                fused_blocks(arch_, mine, X_, Y_, m_, first_block(r), first_block(r + 1), sums, stride_, scratch);
                tags_[r].v.store(s + 1, std::memory_order_release);  // not left, until it has left
                publish(s, r, sums);
                // The leader cannot pass step s without this member, nor post a sync
                // before it has left: the word is this period's sync, a leave or done.
                wait_until([&] {
                    w = word_.v.load(std::memory_order_acquire);
                    return kind(w) == leave || kind(w) == done || others_ready(s, r);
                });
                if (kind(w) == leave || kind(w) == done) break;
                gather(s, r, sums);
                fused_sums(arch_, m_, sums, stride_, dW, db);
                update(arch_, mine, dW, db, lr_);
            }
            tags_[r].v.store(left, std::memory_order_release);
            if (kind(w) == done) return;
        }
    }

private:
    enum Kind : std::uint64_t { idle = 0, sync = 1, leave = 2, done = 3 };
    static constexpr unsigned kind_shift = 62;  // the kind in the top two bits, a step below it
    static_assert(mlp::max_steps <= std::size_t(1) << kind_shift, "a step must fit below the kind");
    static constexpr std::uint64_t left = 0;  // a member's tag while it waits for a sync; else step + 1
    static Kind kind(std::uint64_t w) { return Kind(w >> kind_shift); }
    static std::size_t step_of(std::uint64_t w) { return std::size_t(w & ((std::uint64_t(1) << kind_shift) - 1)); }
    void post(Kind k, std::size_t s) { word_.v.store((std::uint64_t(k) << kind_shift) | s, std::memory_order_release); }
    // Member r's blocks are [first_block(r), first_block(r + 1)).
    std::size_t first_block(std::size_t r) const { return r * nb_ / members_; }

    struct alignas(64) SumLine {
        static constexpr std::size_t width = 7;
        double v[width];
        std::atomic<std::uint64_t> tag{0};  // step + 1 of the sums in v
    };
    SumLine* line(std::size_t s, std::size_t blk, std::size_t i) {
        return &lines_[((s % 2) * nb_ + blk) * lines_per_block_ + i];
    }
    // Member r's block sums of step s (in sums, at blk * stride_) into the lines. Whole
    // lines are copied (a call to memmove for each cost more than the exchange saves):
    // the sums buffers hold lines_per_block_ * width doubles a block, zeroed.
    void publish(std::size_t s, std::size_t r, const double* sums) {
        for (std::size_t blk = first_block(r); blk < first_block(r + 1); ++blk)
            for (std::size_t i = 0; i < lines_per_block_; ++i) {
                SumLine* l = line(s, blk, i);
                const double* from = sums + blk * stride_ + i * SumLine::width;
                for (std::size_t k = 0; k < SumLine::width; ++k) l->v[k] = from[k];
                l->tag.store(s + 1, std::memory_order_release);
            }
    }
    // Whether f(blk, i, line i of block blk of step s) holds for every line outside
    // member r's blocks (stopping at the first that does not).
    template <class F>
    bool all_other_lines(std::size_t s, std::size_t r, F&& f) {
        for (std::size_t blk = 0; blk < nb_; ++blk) {
            if (blk == first_block(r)) blk = first_block(r + 1);
            for (std::size_t i = 0; blk < nb_ && i < lines_per_block_; ++i)
                if (!f(blk, i, *line(s, blk, i))) return false;
        }
        return true;
    }
    // Whether every line of step s outside member r's blocks has come.
    bool others_ready(std::size_t s, std::size_t r) {
        return all_other_lines(s, r, [&](std::size_t, std::size_t, const SumLine& l) {
            return l.tag.load(std::memory_order_acquire) >= s + 1;
        });
    }
    // The other members' block sums of step s (all come) into sums.
    void gather(std::size_t s, std::size_t r, double* sums) {
        all_other_lines(s, r, [&](std::size_t blk, std::size_t i, const SumLine& l) {
            double* to = sums + blk * stride_ + i * SumLine::width;
            for (std::size_t k = 0; k < SumLine::width; ++k) to[k] = l.v[k];
            return true;
        });
    }

    struct alignas(64) Word {
        std::atomic<std::uint64_t> v{0};
    };
    const Architecture& arch_;
    const T *X_, *Y_;
    const std::size_t m_, members_;
    const double lr_;
    const std::size_t nb_;                       // blocks
    const std::size_t lines_per_block_, stride_;  // a block's sums: lines, and doubles in a sums buffer
    std::vector<SumLine> lines_;                  // two halves of nb_ blocks' lines
    struct State {  // a member's parameters, gradients, block sums and fused_blocks' scratch
        OwnedParameters<T> params, grads;
        Buffer<double> sums;
        Buffer<FusedVector> scratch;
        explicit State(const Architecture& arch) : params(arch), grads(arch) {}
    };
    Word word_;
    std::vector<Word> tags_;  // member r's: left, or the step + 1 it works on; [0] unused
    alignas(64) std::atomic<std::size_t> joined_{0};
    std::atomic<std::size_t> next_member_{1};
    bool in_team_ = false;  // the leader's: whether the members run the current steps
    unsigned control_ = 0;  // the leader's floating-point control at the last sync
    const std::uint64_t forks_ = detail::fork_count();  // at the team's making, for the leader's waits
    std::vector<State> states_;  // member r's is [r - 1]: the leader updates the caller's parameters
    Buffer<double> solo_;  // the leader's block sums, alone or in the team
    Buffer<FusedVector> solo_scratch_;  // and its scratch
};

// A mini-batch's columns of src, in the shuffle's order, on nthreads threads (blocks of
// rows; a copy, so the split changes nothing). Reads at random columns are bound by the
// cache misses one core keeps in flight: 256 examples of [784, m = 8192] float64 (50 MB,
// beyond L3) fetch 200k lines a step, ~0.7 ms on one core. Threaded from 2^14 values copied
// (each a cache miss, where parallel_min_elements counts row-elements of ~1 ns).
template <class T>
void gather(const T* src, std::size_t rows, std::size_t m, const std::uint32_t* cols, std::size_t n, T* dst,
            int nthreads) {
    constexpr std::size_t block_rows = 16;
    parallel_for(blocks_of(rows, block_rows), rows * n >= parallel_min_elements * 8 ? nthreads : 1,
                 [&](std::size_t t) {
                     const std::size_t r1 = std::min(rows, (t + 1) * block_rows);
                     for (std::size_t r = t * block_rows; r < r1; ++r) {
                         const T* s = src + r * m;
                         T* d = dst + r * n;
                         for (std::size_t c = 0; c < n; ++c) d[c] = s[cols[c]];
                     }
                 });
}

// The thread count of each training step. Sharing a step with another core costs
// cross-core transfers, ~0.2 us each here, and more when the host places the two vCPUs
// far apart: the article's 2-4-1 step (2.8-3.5 us on one thread) took about as long
// on two through the pool, and 2.2-2.7 us with a FusedTeam, in one placement; another
// placement made two threads slower than one. So for small steps over many
// iterations, windows of steps with all threads and with one are timed against each
// other now and then, and the faster is kept until the next trial. Larger steps (from
// tune_max_elements row-elements, some hundred microseconds) always use all threads: the
// handoffs are noise there, and a single-threaded window would cost real time. Blocks,
// and so results, do not depend on the count.
class StepThreads {
public:
    // row_elements: the sum over layers of units times examples, a step's size.
    StepThreads(int nthreads, std::size_t iterations, std::size_t row_elements)
        : all_(nthreads),
          choice_(nthreads),
          tune_(nthreads > 1 && iterations >= 2 * (warm + 2 * pairs * window) && row_elements < tune_max_elements) {}

    // Whether this run tries both counts (else every step takes all threads).
    bool tunes() const { return tune_; }

    // Threads for step `step`, which starts now. Per period: warm-up steps on the current
    // choice, then windows of `window` steps alternating one thread and all, then the rest
    // on the count whose median window was faster (so that one window that caught a
    // reshuffle, a Ctrl-C check or a preemption does not decide, nor one lucky window of a
    // team on a busy host). A window on all threads that has already taken twice the one
    // before it on one thread ends the trials there, on one thread: on a host whose other
    // work keeps descheduling a team member, a team step waits for it (32 steps took 1 ms
    // against 77 us alone, three such windows 6 ms of the article's 31 ms run).
    int at(std::size_t step) {
        if (!tune_) return all_;
        const std::size_t phase = step % period;
        if (phase < warm) {
            cut_ = false;
            return choice_;
        }
        const std::size_t k = (phase - warm) / window;  // window index: even one thread, odd all
        const bool starts = (phase - warm) % window == 0;
        if (cut_ || k > 2 * pairs || (k == 2 * pairs && !starts)) return choice_;
        if (!starts && k % 2 == 0) return 1;  // inside a window on one thread
        const auto now = std::chrono::steady_clock::now();
        if (!starts) {  // inside a window on all threads
            if (now - mark_ <= 2 * times_[0][k / 2]) return all_;
            cut_ = true;
            choice_ = 1;
            return 1;
        }
        if (k > 0) times_[(k - 1) % 2][(k - 1) / 2] = now - mark_;
        mark_ = now;
        if (k < 2 * pairs) return k % 2 == 0 ? 1 : all_;
        choice_ = median(times_[1]) < median(times_[0]) ? all_ : 1;
        return choice_;
    }

private:
    // Three pairs of 32-step windows: the article's 10 000 steps spend 192 of them alone
    // (four pairs of 64 spent 512, and the run took 14.0-14.3 ms against 13.6-13.8 ms now,
    // 13.4-13.6 ms with no trials at all).
    static constexpr std::size_t warm = 8, window = 32, pairs = 3, period = 8192;
    static constexpr std::size_t tune_max_elements = std::size_t(1) << 18;
    using Times = std::array<std::chrono::steady_clock::duration, pairs>;
    static std::chrono::steady_clock::duration median(Times t) {
        std::nth_element(t.begin(), t.begin() + pairs / 2, t.end());
        return t[pairs / 2];
    }
    int all_, choice_;
    bool tune_, cut_ = false;
    std::chrono::steady_clock::time_point mark_{};
    Times times_[2]{};  // the windows' times: one thread, all
};

// Whether train()'s check is due: at step 0, then once check_interval has passed since the
// check last returned (from its return: a callback slower than the interval was called after
// nearly every step, 0.06 s each: 145 calls for 200 steps). A clock read costs ~22 ns here, 2%
// of a step of the article's network on two threads, so the clock is read every every_ steps,
// sized from the last two reads to come about 16 times an interval, at most 256 steps apart.
class CheckDue {
public:
    bool operator()(std::size_t step) {
        if (step == 0) return true;
        if (step < next_read_) return false;
        const auto now = clock::now();
        const double per_step = seconds(now - read_) / double(step - read_step_);
        const double every = per_step > 0.0 ? check_interval / 16.0 / per_step : 256.0;
        every_ = std::size_t(std::clamp(every, 1.0, 256.0));
        read(now, step);
        return seconds(now - checked_) >= check_interval;
    }
    // The check has returned at step.
    void checked(std::size_t step) {
        checked_ = clock::now();
        read(checked_, step);
    }

private:
    using clock = std::chrono::steady_clock;
    static double seconds(clock::duration d) { return std::chrono::duration<double>(d).count(); }
    void read(clock::time_point now, std::size_t step) {
        read_ = now;
        read_step_ = step;
        next_read_ = step + every_;
    }
    clock::time_point checked_ = clock::now(), read_ = checked_;
    std::size_t read_step_ = 0, next_read_ = 1, every_ = 1;
};

void check_examples(std::size_t m) {
    if (m < 1) throw std::invalid_argument("X must hold at least one example (column), got 0");
    if (m >= (std::size_t(1) << 31)) throw std::length_error("X holds more than 2^31 - 1 examples");
}

// The call's buffers must not overlap where one is written (spans.hpp): the parameters
// (written when `params_written`, by train), X and Y (m examples; Y may be null), and
// outputs shaped like the parameters (gW, gb, the gradients) or like the activations
// (Z, A: n_l x m), each optional, as are their layers; and any other `spans`.
template <class T>
void check_buffers(const Architecture& arch, const Parameters<T>& p, bool params_written, const T* X, const T* Y,
                   std::size_t m, T* const* gW = nullptr, T* const* gb = nullptr, T* const* Z = nullptr,
                   T* const* A = nullptr, std::vector<Span> spans = {}) {
    const auto& s = arch.sizes;
    const std::size_t L = arch.layers();
    spans.reserve(spans.size() + 2 + 2 * L * (1 + (gW != nullptr) + (Z != nullptr) + (A != nullptr)));
    add_data_spans(spans, arch, X, Y, m);
    add_parameter_spans<T>(spans, arch, p.W.data(), p.b.data(), 1, params_written);
    add_layer_spans(spans, gW, L, [&](std::size_t l) { return s[l + 1] * s[l]; }, true, "dW");
    add_layer_spans(spans, gb, L, [&](std::size_t l) { return s[l + 1]; }, true, "db");
    auto activations = [&](std::size_t l) { return s[l + 1] * m; };
    add_layer_spans(spans, Z, L, activations, true, "Z");
    add_layer_spans(spans, A, L, activations, true, "A");
    check_disjoint(spans);
}

}  // namespace

template <class T>
void Network<T>::forward(const Parameters<T>& p, const T* X, std::size_t m, T* const* Z, T* const* A,
                         int nthreads, const Cancel& cancel) {
    CancelPoll poll(cancel);
    check_parameters(arch_, p);
    check_examples(m);
    check_buffers<T>(arch_, p, false, X, nullptr, m, nullptr, nullptr, Z, A);
    prepare_gemm(arch_);
    ws_->reserve(arch_, m);
    const std::size_t L = arch_.layers();
    std::vector<T*> a_dst = pointers(ws_->A), zh(L, nullptr);
    for (std::size_t l = 0; l < L; ++l) {
        if (A && A[l]) a_dst[l] = A[l];
        if (Z && l + 1 < L) zh[l] = Z[l];
    }
    T* zout = Z && Z[L - 1] ? Z[L - 1] : ws_->Z.data();
    forward_pass(arch_, p, X, m, a_dst, zh, zout, nthreads, poll.active());
    output_pass<T>(arch_, zout, nullptr, m, a_dst[L - 1], nullptr, ws_->cost_partial, nthreads);
}

template <class T>
double Network<T>::gradients(const Parameters<T>& p, const T* X, const T* Y, std::size_t m, T* const* dW,
                             T* const* db, int nthreads, const Cancel& cancel, T* const* A_out) {
    CancelPoll poll(cancel);
    CancelPoll* const polled = poll.active();
    check_parameters(arch_, p);
    check_examples(m);
    check_buffers<T>(arch_, p, false, X, Y, m, dW, db, nullptr, A_out);
    prepare_gemm(arch_);
    Workspace& w = *ws_;
    w.reserve(arch_, m);
    const std::size_t L = arch_.layers();
    auto A = pointers(w.A);
    for (std::size_t l = 0; A_out && l < L; ++l)
        if (A_out[l]) A[l] = A_out[l];  // the caller's, laid out as the workspace's
    forward_pass(arch_, p, X, m, A, std::vector<T*>(L, nullptr), w.Z.data(), nthreads, polled);
    const double J = output_pass(arch_, w.Z.data(), Y, m, A[L - 1], w.G0.data(), w.cost_partial, nthreads);
    if (dW && db) {
        const std::vector<T*> gW(dW, dW + L), gb(db, db + L);
        backward_pass(arch_, p, X, m, A, w.G0.data(), w.G1.data(), w.partial.data(), w.gemm_partial.data(), gW, gb,
                      nthreads, polled);
    }
    return J;
}

template <class T>
double Network<T>::cost(const Parameters<T>& p, const T* X, const T* Y, std::size_t m, int nthreads,
                        const Cancel& cancel) {
    return gradients(p, X, Y, m, nullptr, nullptr, nthreads, cancel);
}

template <class T>
TrainReport Network<T>::train(const Parameters<T>& p, const T* X, const T* Y, std::size_t m,
                              const TrainOptions& opt, double* costs, const Check& check) {
    check_parameters(arch_, p);
    check_examples(m);
    if (opt.record_every < 1) throw std::invalid_argument("record_every must be >= 1");
    check_learning_rate<T>(opt.learning_rate);
    check_buffers<T>(arch_, p, true, X, Y, m, nullptr, nullptr, nullptr, nullptr,
                     {{costs, recorded_steps(opt.iterations, opt.record_every) * sizeof(double), true, "costs"}});
    TrainReport report;
    report.start_finite = opt.iterations == 0 || params_finite(arch_, p, opt.nthreads);  // no step: nothing to stop
    if (!report.start_finite && opt.stop_on_nonfinite) {  // before any buffer is reserved
        std::fill(costs, costs + recorded_steps(opt.iterations, opt.record_every),
                  std::numeric_limits<double>::quiet_NaN());
        return report;
    }
    prepare_gemm(arch_);
    Workspace& w = *ws_;
    const bool minibatch = opt.batch_size > 0 && opt.batch_size < m;
    if (minibatch && m > max_shuffled)
        throw std::invalid_argument("mini-batch training shuffles at most 2^32 examples, got " + std::to_string(m));
    const std::size_t bs = minibatch ? opt.batch_size : m;
    w.reserve(arch_, bs);
    const std::size_t n_in = arch_.sizes.front(), n_out = arch_.sizes.back();
    if (minibatch) {
        w.Xb.reserve(n_in * bs);
        w.Yb.reserve(n_out * bs);
    }
    const std::size_t L = arch_.layers();
    const auto A = pointers(w.A);
    w.gradient_buffers(arch_);
    const auto dW = pointers(w.dW), db = pointers(w.db);
    const std::vector<T*> no_z(L, nullptr);
    const bool fused = fused_applies<T>(arch_);
    // For every batch size up to bs (a mini-batch epoch ends in a smaller one).
    if (fused) w.fused_partial.reserve(fused_blocks_aimed(bs, arch_.sizes[1]) * fused_stride(arch_));

    std::size_t units = 0;
    for (std::size_t n_l : arch_.sizes) units += n_l;
    // opt.cancel is polled inside the layer-by-layer steps that take milliseconds (2^24
    // multiply-adds a pass): a poll reads the clock, a few percent of a short step's time.
    double weights = 0.0;
    for (std::size_t l = 0; l < L; ++l) weights += double(arch_.sizes[l]) * double(arch_.sizes[l + 1]);
    CancelPoll poll(opt.cancel);
    CancelPoll* const polled = weights * double(bs) >= 16777216.0 ? poll.active() : nullptr;
    StepThreads threads(opt.nthreads, opt.iterations, units * bs);
    CheckDue check_due;
    std::size_t pos = m;  // position in the epoch's order; m: shuffle first
    std::uint64_t epoch = 0;
    // The steps; fused_J(x, y, n, step, nthreads) computes a fused step's J, dW and db.
    auto run = [&](auto&& fused_J) {
        for (std::size_t step = 0; step < opt.iterations; ++step) {
            const int nthreads = threads.at(step);
            const T* x = X;
            const T* y = Y;
            std::size_t n = m;
            if (minibatch) {
                if (pos >= m) {
                    shuffle(w.perm, m, opt.shuffle_key, epoch++);
                    pos = 0;
                }
                n = std::min(bs, m - pos);
                gather(X, n_in, m, w.perm.data() + pos, n, w.Xb.data(), nthreads);
                gather(Y, n_out, m, w.perm.data() + pos, n, w.Yb.data(), nthreads);
                pos += n;
                x = w.Xb.data();
                y = w.Yb.data();
            }
            double J;
            if (fused) {
                J = fused_J(x, y, n, step, nthreads);
            } else {
                forward_pass(arch_, p, x, n, A, no_z, w.Z.data(), nthreads, polled);
                J = output_pass(arch_, w.Z.data(), y, n, A[L - 1], w.G0.data(), w.cost_partial, nthreads);
            }
            if (step % opt.record_every == 0) costs[report.recorded++] = J;
            if (!cost_in_range<T>(J)) {
                if (!report.nonfinite) report.first_nonfinite = step;
                report.nonfinite = true;
                if (opt.stop_on_nonfinite) break;
            }
            if (check) {
                // At the first step too: a fit shorter than the interval still reports (and
                // a callback that cannot be called fails at once, not only in long fits).
                if (check_due(step)) {
                    const bool stop = check(step, J);
                    check_due.checked(step);
                    if (stop) {
                        report.cancelled = true;
                        break;
                    }
                }
            }
            if (!fused)
                backward_pass(arch_, p, x, n, A, w.G0.data(), w.G1.data(), w.partial.data(), w.gemm_partial.data(),
                              dW, db, nthreads, polled);
            update(arch_, p, dW, db, opt.learning_rate, nthreads);
            ++report.steps;
        }
    };
    const auto fused_J = [&](const T* x, const T* y, std::size_t n, std::size_t, int nthreads) {
        return fused_step(arch_, p, x, y, n, w.fused_partial.data(), dW, db, nthreads);
    };
    const std::size_t members =
        fused && !minibatch && threads.tunes() ? FusedTeam<T>::members_for(arch_, m, opt.nthreads) : 1;
    if (members > 1) {
        // The team's threads are the pool's (parallel_for); the caller's first task leads.
        FusedTeam<T> team(arch_, X, Y, m, members, opt.learning_rate);
        const auto caller = std::this_thread::get_id();
        std::atomic<bool> led{false};
        parallel_for(members, int(members), [&](std::size_t) {
            if (std::this_thread::get_id() != caller || led.exchange(true)) return team.member(p);
            try {
                run([&](const T*, const T*, std::size_t, std::size_t step, int nthreads) {
                    return team.step(p, step, nthreads > 1, dW, db);
                });
            } catch (...) {
                team.finish();
                throw;
            }
            team.finish();
        });
    } else {
        try {
            run(fused_J);
        } catch (const Cancelled&) {  // opt.cancel, inside a step: before its update, as the check's stop
            report.cancelled = true;
        }
    }
    // A non-finite stop leaves NaN in the records it never reached, not whatever the buffer
    // held; a cancelled run leaves them as they were (mlp.hpp).
    if (!report.cancelled)
        std::fill(costs + report.recorded, costs + recorded_steps(opt.iterations, opt.record_every),
                  std::numeric_limits<double>::quiet_NaN());
    if (report.steps > 0) report.params_finite = params_finite(arch_, p, opt.nthreads);
    return report;
}

template <class T>
bool Network<T>::fused() const {
    return fused_applies<T>(arch_);
}

template <class T>
double accuracy(Loss loss, const T* A, const T* Y, std::size_t n_out, std::size_t m) {
    if (n_out == 0) throw std::invalid_argument("accuracy needs at least one output unit");
    if (loss == Loss::mse || m == 0) return std::numeric_limits<double>::quiet_NaN();
    // NaN outputs (parameters that diverged) predict nothing: no fraction of them is right.
    for (std::size_t i = 0; i < n_out * m; ++i)
        if (std::isnan(A[i])) return std::numeric_limits<double>::quiet_NaN();
    std::size_t right = 0;
    if (loss == Loss::binary_cross_entropy) {
        for (std::size_t i = 0; i < n_out * m; ++i) right += (A[i] > T(0.5) ? T(1) : T(0)) == Y[i];
        return double(right) / double(n_out * m);
    }
    // The first largest entry of each column, as numpy.argmax.
    auto argmax = [&](const T* M, std::size_t c) {
        std::size_t best = 0;
        for (std::size_t i = 1; i < n_out; ++i)
            if (M[i * m + c] > M[best * m + c]) best = i;
        return best;
    };
    for (std::size_t c = 0; c < m; ++c) right += argmax(A, c) == argmax(Y, c);
    return double(right) / double(m);
}

template <class T>
double labels_off(Loss loss, const T* Y, std::size_t n_out, std::size_t m) {
    const std::size_t n = n_out * m;
    if (loss == Loss::binary_cross_entropy) {
        std::size_t labels = 0;  // counted, not compared with an early exit: the loop vectorizes
        for (std::size_t i = 0; i < n; ++i) labels += (Y[i] == T(0)) | (Y[i] == T(1));
        return labels == n ? 0.0 : std::numeric_limits<double>::infinity();
    }
    if (loss != Loss::softmax_cross_entropy) return 0.0;
    if (n_out == 0) return m > 0 ? 1.0 : 0.0;  // every column sums to 0 (not a walk over m columns)
    // Column sums, row after row (as NumPy's sum over axis 0 of m > 1 columns), over blocks
    // of columns held on the stack; the smallest value in the same pass.
    constexpr std::size_t cols = 256;
    double off = 0.0, sums[cols];
    T low = T(0);
    for (std::size_t c0 = 0; c0 < m; c0 += cols) {
        const std::size_t nc = std::min(cols, m - c0);
        std::fill_n(sums, nc, 0.0);
        for (std::size_t r = 0; r < n_out; ++r)
            for (std::size_t c = 0; c < nc; ++c) {
                const T v = Y[r * m + c0 + c];
                sums[c] += double(v);
                low = std::min(low, v);
            }
        for (std::size_t c = 0; c < nc; ++c) {
            const double d = std::abs(sums[c] - 1.0);
            off = d > off || d != d ? d : off;  // NaN stays
        }
    }
    return low < T(0) ? std::numeric_limits<double>::infinity() : off;
}
template double labels_off<float>(Loss, const float*, std::size_t, std::size_t);
template double labels_off<double>(Loss, const double*, std::size_t, std::size_t);

template <class T>
bool all_finite(const T* a, std::size_t n, int nthreads) {
    return scan<false>(a, n, nthreads).finite;
}
template bool all_finite<float>(const float*, std::size_t, int);
template bool all_finite<double>(const double*, std::size_t, int);

template double accuracy<float>(Loss, const float*, const float*, std::size_t, std::size_t);
template double accuracy<double>(Loss, const double*, const double*, std::size_t, std::size_t);

template class Network<float>;
template class Network<double>;

namespace {

// The shuffle's draws for positions top, top - 1, ..., top - n + 1 (n at most philox_batch):
// w[t] = lane0 | lane1 << 32 of the block with counter (top - t, e0, 1, e1), computed across
// counters. One block per position in turn took 37% of a mini-batch sweep of the article's
// network in batches of 64 (400 examples: a shuffle every 6.25 steps).
WI_DISPATCH void shuffle_draws(Key key, std::uint32_t e0, std::uint32_t e1, std::size_t top, std::size_t n,
                               std::uint64_t* w) {
    alignas(64) std::uint32_t x0[philox_batch], x1[philox_batch], x2[philox_batch], x3[philox_batch];
    for (std::size_t t = 0; t < n; ++t) {
        x0[t] = std::uint32_t(top - t);
        x1[t] = e0;
        x2[t] = 1;
        x3[t] = e1;
    }
    philox_rounds(key, n, x0, x1, x2, x3);
    for (std::size_t t = 0; t < n; ++t) w[t] = std::uint64_t(x0[t]) | (std::uint64_t(x1[t]) << 32);
}

}  // namespace

// Fisher-Yates on 0..m-1 with the draws of mlp.hpp's shuffle stream for this epoch.
void shuffle(std::vector<std::uint32_t>& perm, std::size_t m, Key key, std::uint64_t epoch) {
    if (m > max_shuffled)
        throw std::invalid_argument("mini-batch training shuffles at most 2^32 examples, got " + std::to_string(m));
    perm.resize(m);
    for (std::size_t i = 0; i < m; ++i) perm[i] = std::uint32_t(i);
    const auto e0 = std::uint32_t(epoch), e1 = std::uint32_t(epoch >> 32);
    std::uint64_t w[philox_batch];
    // Positions m - 1 down to 1, in runs of up to philox_batch draws.
    for (std::size_t top = m > 1 ? m - 1 : 0; top >= 1;) {
        const std::size_t n = std::min(philox_batch, top);
        shuffle_draws(key, e0, e1, top, n, w);
        for (std::size_t t = 0; t < n; ++t) {
            const std::size_t i = top - t;
            // Lemire's multiply-shift: bias below (i + 1) / 2^64.
            const std::size_t j = std::size_t((static_cast<unsigned __int128>(w[t]) * (i + 1)) >> 64);
            std::swap(perm[i], perm[j]);
        }
        top -= n;
    }
}

}  // namespace weightinit::mlp
