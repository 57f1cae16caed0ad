// A multilayer perceptron trained by gradient descent: the engine behind
// weightinit.MLP and weightinit.prototype (DESIGN.md section 5).
//
// Layout is the NumPy prototype's (Planar data classification, first article):
// examples are columns. X is (n_0, m), layer l's weights W_l are (n_l, n_{l-1}) and
// its bias b_l is (n_l, 1), all C order, so each row of X or of an activation holds
// one feature over all examples and the element-wise work vectorizes across examples.
//
//   forward   Z_l = W_l A_{l-1} + b_l,  A_l = g_l(Z_l),  A_0 = X
//   loss      binary_cross_entropy   (sigmoid output)  J = 1/m sum  softplus(z) - y z
//             softmax_cross_entropy  (softmax output)  J = 1/m sum_j (logsumexp(z_j) - y_j . z_j)
//             mse                    (identity output) J = 1/(2m) sum (z - y)^2
//             each computed from the logits Z_L, so a saturated network has a finite cost;
//             all three have dZ_L = A_L - Y.
//   backward  dW_l = 1/m dZ_l A_{l-1}^T,  db_l = 1/m dZ_l 1,
//             dZ_{l-1} = (W_l^T dZ_l) * g'_{l-1}(A_{l-1})
//   update    W_l = W_l - learning_rate dW_l,  b_l = b_l - learning_rate db_l
//
// Arithmetic follows the prototype's order (dot products over k ascending, the bias
// added after, 1/m applied to the finished sum, tanh' = 1 - a^2), so costs agree with
// NumPy's to a few ulp per iteration. Layers with few weights run through fused loops
// over blocks of examples; wide layers through GEMM (blas.hpp), one single-threaded call
// per fixed chunk of examples, or under two chunks per block of output (mlp.cpp's
// gemm_blocks). Blocks and chunks depend on the shape, never on the thread count, and are
// summed in a fixed order, so results do not depend on the thread count.
//
// Mini-batch SGD shuffles the examples once per epoch with a Fisher-Yates shuffle whose
// draws come from the Philox stream of the given key (philox.hpp): step i of epoch e
// uses the 64-bit word (lanes 0, 1) of the block with counter (i, e mod 2^32, 1,
// e div 2^32). The third counter word is 1 so the shuffle never reuses a block of the
// initializers' streams; the fourth makes epochs 2^32 apart differ (shuffle() below).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "weightinit/cancel.hpp"
#include "weightinit/limits.hpp"
#include "weightinit/philox.hpp"
#include "weightinit/spans.hpp"

namespace weightinit::mlp {

enum class Activation { identity, sigmoid, tanh, relu, leaky_relu, softmax };
enum class Loss { binary_cross_entropy, softmax_cross_entropy, mse };

// Names as the Python API spells them; std::invalid_argument for unknown names.
Activation parse_activation(const std::string& name);
Loss parse_loss(const std::string& name);

struct Architecture {
    std::vector<std::size_t> sizes;       // n_0 (features), n_1, ..., n_L (outputs)
    std::vector<Activation> activations;  // g_1 .. g_L; g_L is the output's and fixed by the loss
    Loss loss = Loss::binary_cross_entropy;
    double alpha = 0.01;                  // leaky_relu slope for z < 0

    std::size_t layers() const { return activations.size(); }
    // Throws std::invalid_argument unless sizes >= 1, one activation per layer,
    // softmax only at the output, and the output activation matches the loss.
    void validate() const;
};

// Layer l's parameters live in the caller's arrays: W[l] is (sizes[l+1], sizes[l])
// and b[l] has sizes[l+1] elements, both contiguous. train() updates them in place.
template <class T>
struct Parameters {
    std::vector<T*> W, b;
};

// Parameters (or gradients, shaped alike) in storage of their own: 64-byte aligned whole
// cache lines that nothing else shares, so a thread that writes them every step passes
// no line to another core. Each layer's W and b are contiguous, as Parameters requires.
template <class T>
class OwnedParameters {
public:
    explicit OwnedParameters(const Architecture& arch) {
        constexpr std::size_t line = 64 / sizeof(T);
        std::size_t n = 0;
        for (std::size_t l = 0; l < arch.layers(); ++l) {
            nw_.push_back(arch.sizes[l + 1] * arch.sizes[l]);
            nb_.push_back(arch.sizes[l + 1]);
            n += nw_[l] + nb_[l];
        }
        store_.resize((n + line - 1) / line * line + line);  // a line of slack for the alignment
        const std::size_t skew = reinterpret_cast<std::uintptr_t>(store_.data()) % 64 / sizeof(T);
        T* at = store_.data() + (skew ? line - skew : 0);
        for (std::size_t l = 0; l < nw_.size(); ++l) {
            p.W.push_back(at);
            p.b.push_back(at += nw_[l]);
            at += nb_[l];
        }
    }
    OwnedParameters(const OwnedParameters&) = delete;  // p would point into the original
    OwnedParameters& operator=(const OwnedParameters&) = delete;
    OwnedParameters(OwnedParameters&&) noexcept = default;  // the storage, and so p, stays put

    // Every layer's W and b from src, or to dst (arrays of this architecture's shapes).
    void copy_from(const Parameters<T>& src) { copy(src, p); }
    void copy_to(const Parameters<T>& dst) const { copy(p, dst); }

    Parameters<T> p;  // views of the storage

private:
    void copy(const Parameters<T>& from, const Parameters<T>& to) const {
        for (std::size_t l = 0; l < nw_.size(); ++l) {
            std::copy(from.W[l], from.W[l] + nw_[l], to.W[l]);
            std::copy(from.b[l], from.b[l] + nb_[l], to.b[l]);
        }
    }
    std::vector<std::size_t> nw_, nb_;  // elements of W[l] and b[l]
    std::vector<T> store_;
};

// The most examples mini-batch training shuffles: i, the counter's first word, is below m.
inline constexpr std::size_t max_shuffled = std::size_t(1) << 32;

// perm = the order of 0..m-1 for this epoch of the shuffle stream of key (above); m at most
// max_shuffled, else std::invalid_argument.
void shuffle(std::vector<std::uint32_t>& perm, std::size_t m, Key key, std::uint64_t epoch);

// std::invalid_argument unless learning_rate is finite, > 0, and neither inf nor 0 as the T
// that update() takes it as: inf from half an ulp beyond the largest T (for double, inf
// itself), 0 up to half the smallest subnormal T, where no step would move a parameter.
template <class T>
void check_learning_rate(double learning_rate) {
    if (!(learning_rate > 0.0) || !std::isfinite(learning_rate))
        throw std::invalid_argument("learning_rate must be finite and > 0");
    if (rounds_to_inf<T>(learning_rate))
        throw std::invalid_argument("learning_rate is inf in the network's float type");
    if (T(learning_rate) == T(0)) throw std::invalid_argument("learning_rate is 0 in the network's float type");
}

struct TrainOptions {
    std::size_t iterations = 0;     // gradient steps
    double learning_rate = 0.0;
    std::size_t batch_size = 0;     // 0: full batch (the prototype's gradient descent)
    std::size_t record_every = 1;   // cost of step i is recorded when i % record_every == 0
    bool stop_on_nonfinite = true;  // stop before updating with a nan/inf cost (or parameters)
    Key shuffle_key{0, 0};
    int nthreads = 1;
    // Polled inside the layer-by-layer steps (between layers and rounds of GEMM chunks), so
    // that a long step stops early: the step's update is not applied and report.cancelled
    // is set, as when check stops the loop. Empty: not polled.
    Cancel cancel;
};

// Whether a cost (computed in double) is finite in the network's type T: beyond float32's
// range it is inf in float32 (as torch reports it), and the update it drives overflows the
// parameters. train() stops before such a cost's update; the sweep calls its run diverged.
template <class T>
bool cost_in_range(double J) {
    return std::fabs(J) <= double(std::numeric_limits<T>::max());  // false for nan too
}

// The most steps a training call takes: far more than anyone can run, few enough that no
// count derived from them overflows (weightinit._args.MAX_STEPS, the Python layer's limit).
constexpr std::size_t max_steps = std::size_t(1) << 62;

// Wide layers split their GEMMs over fixed chunks of examples, each a single-threaded
// BLAS call, handed to threads by parallel_for. On a shared machine OpenBLAS's own threads
// (a static split with spinning barriers) made a 2-thread step up to 10x slower than 1
// thread whenever another process held a core; chunks taken from a counter just go to
// whichever thread is running. Chunks depend on m only, never on the thread count, so the
// results do not either. At most max_gemm_chunks, to bound the dW partial sums. At m = 8192
// that is 4 chunks, so threads beyond 4 idle: chunks of 1024 (512) made the [784, 256, 256,
// 10] step 1.4x (1.8-2x) faster on 16 cores, but 4-7% slower on the two cores the project is
// measured on, where it is within 10% of NumPy's step (docs/benchmarks.md, 2026-12-04).
constexpr std::size_t gemm_chunk_min = 2048;
constexpr std::size_t max_gemm_chunks = 16;

// n / d rounded up, for any n: (n + d - 1) / d wrapped near 2^64 (helper-151: gemm_chunks
// of 2^64 - 1 examples was 0).
constexpr std::size_t ceil_div(std::size_t n, std::size_t d) { return n / d + (n % d != 0); }

constexpr std::size_t gemm_chunk(std::size_t m) { return std::max(gemm_chunk_min, ceil_div(m, max_gemm_chunks)); }
// How many chunks a wide layer's GEMMs over m examples take (Workspace::reserve sizes the
// per-chunk dW buffer with it; weightinit.mlp counts it in its memory estimate).
constexpr std::size_t gemm_chunks(std::size_t m) { return ceil_div(m, gemm_chunk(m)); }

// The per-block sums a training step of a [n0, h, 1] network that takes the fused step
// (Network::fused) keeps for m examples, in doubles (weightinit.mlp counts them in its
// memory estimate): one block's gradient and loss for every block of examples; SIZE_MAX
// where that count does not fit a size_t.
std::size_t fused_partial_values(std::size_t n0, std::size_t h, std::size_t m);

// The spans (spans.hpp) of a network's parameters, `runs` copies of each layer's W and b
// stacked (the sweep's; 1 for one network); and (add_data_spans) of its data, X (n_0 x m)
// and Y (n_L x m), named x and y, read.
template <class T>
void add_parameter_spans(std::vector<Span>& spans, const Architecture& arch, const T* const* W, const T* const* b,
                         std::size_t runs, bool written) {
    const auto& s = arch.sizes;
    add_layer_spans(spans, W, arch.layers(), [&](std::size_t l) { return runs * s[l + 1] * s[l]; }, written, "W");
    add_layer_spans(spans, b, arch.layers(), [&](std::size_t l) { return runs * s[l + 1]; }, written, "b");
}
template <class T>
void add_data_spans(std::vector<Span>& spans, const Architecture& arch, const T* X, const T* Y, std::size_t m,
                    const char* x = "X", const char* y = "Y") {
    spans.push_back({X, arch.sizes.front() * m * sizeof(T), false, x});
    spans.push_back({Y, arch.sizes.back() * m * sizeof(T), false, y});
}

// Costs train() records: steps 0, r, 2r, ... below iterations (no overflow near 2^64).
// Checks both: the bindings size the records' array from it before training.
inline std::size_t recorded_steps(std::size_t iterations, std::size_t record_every) {
    if (record_every < 1) throw std::invalid_argument("record_every must be >= 1");
    if (iterations > max_steps) throw std::invalid_argument("iterations must be at most 2^62");
    return iterations / record_every + (iterations % record_every != 0);
}

struct TrainReport {
    std::size_t steps = 0;             // updates applied
    std::size_t recorded = 0;          // costs written
    bool nonfinite = false;            // some cost was nan or inf (or beyond float32's range, in float32)
    std::size_t first_nonfinite = 0;   // the step that computed it
    bool cancelled = false;            // the check asked to stop
    // Whether the parameters were all finite when train() returned (true when no update
    // was applied). The cost is checked before each update, so only the last update can
    // make them nan or inf unseen; checked here, before train() returns, because a caller
    // that reads them afterwards may read another call's writes.
    bool params_finite = true;
    // Whether they were all finite when train() began (not checked, true, for no iterations).
    // With stop_on_nonfinite, train() takes no step from parameters that are not (set so by
    // the caller: its cost may still be finite, relu(-inf) = 0, and the report would then
    // blame the last update).
    bool start_finite = true;
};

// Called from the training loop at the first step and then about every check_interval
// seconds with the step index and its cost; returning true stops training before that
// step's update.
using Check = std::function<bool(std::size_t step, double cost)>;
constexpr double check_interval = 0.05;

template <class T>
class Network {
public:
    explicit Network(Architecture arch);
    ~Network();
    Network(Network&&) noexcept;
    Network& operator=(Network&&) noexcept;

    const Architecture& architecture() const { return arch_; }

    // Whether train() takes the fused step ([n_0 <= 8, h <= 2048, 1] networks with a sigmoid
    // output), which keeps no per-example buffers, only each block's gradient sums.
    bool fused() const;

    // Forward pass over m examples. For each layer l (0-based) writes Z_l to Z[l] and
    // A_l to A[l] where those pointers are non-null (each (sizes[l+1], m)).
    // cancel, when given, is polled between layers (and rounds of GEMM chunks) of this and
    // the calls below: Cancelled is thrown, the outputs left partly written.
    void forward(const Parameters<T>& p, const T* X, std::size_t m, T* const* Z, T* const* A, int nthreads,
                 const Cancel& cancel = {});

    // The cost J of the current parameters.
    double cost(const Parameters<T>& p, const T* X, const T* Y, std::size_t m, int nthreads,
                const Cancel& cancel = {});

    // J and its gradients: dW[l], db[l] shaped like W[l], b[l]; and, where A and A[l] are
    // non-null, the activations of layer l in A[l] (as forward writes them: the pass the
    // gradients are taken on, not a second one).
    double gradients(const Parameters<T>& p, const T* X, const T* Y, std::size_t m, T* const* dW,
                     T* const* db, int nthreads, const Cancel& cancel = {}, T* const* A = nullptr);

    // opt.iterations steps; the cost of every recorded step goes to costs[step / record_every].
    // Stopped by a non-finite cost (or, with stop_on_nonfinite, refused for parameters that
    // are not finite: no step), the records it never reached are NaN; cancelled by the
    // check, they are left as they were (the caller keeps report.recorded of them: filling
    // the rest made Ctrl-C on a fit of 1e9 recorded steps take 10 s).
    TrainReport train(const Parameters<T>& p, const T* X, const T* Y, std::size_t m, const TrainOptions& opt,
                      double* costs, const Check& check);

private:
    struct Workspace;
    Architecture arch_;
    std::unique_ptr<Workspace> ws_;
};

// Fraction of examples classified right (the one rule of weightinit.MLP.accuracy and
// of the sweep): sigmoid outputs thresholded at 0.5 against 0/1 labels (every output unit), softmax argmax against the
// one-hot argmax; NaN for mse and for NaN outputs. A is the output layer's activations (n_L, m).
template <class T>
double accuracy(Loss loss, const T* A, const T* Y, std::size_t n_out, std::size_t m);

// How far labels Y (n_out, m) are from what the loss takes: for binary cross-entropy 0
// when every value is 0 or 1, else inf; for softmax the largest |column sum - 1| (sums in
// double; 1 for every column of zero rows), inf when a value is negative; 0 for mse. NaN in
// Y gives NaN or inf.
template <class T>
double labels_off(Loss loss, const T* Y, std::size_t n_out, std::size_t m);

// Whether all n values are finite (no NaN, no inf): the inputs' check of weightinit.MLP,
// one read of the data shared by up to nthreads threads.
template <class T>
bool all_finite(const T* a, std::size_t n, int nthreads);

extern template class Network<float>;
extern template class Network<double>;

}  // namespace weightinit::mlp
