// A sweep: many networks of one architecture, each from its own initial parameters,
// trained by the MLP engine (mlp.hpp) on the same data, in parallel across runs.
//
// Each run is trained single-threaded by its own Network (one per worker, reused), so
// a run's numbers are those of Network::train with nthreads = 1 whatever the thread
// count of the sweep: results never depend on it. Runs are full-batch gradient descent,
// as the first article's experiment, or mini-batch SGD, each run shuffling by its own key.
//
// A run whose cost becomes nan or inf has diverged: it stops before that update (as
// TrainOptions::stop_on_nonfinite) and its later cost records, final cost and
// accuracies are NaN. So has a run whose trained parameters give a nan or inf cost, and
// one whose starting parameters are not finite (not trained; the Python layer lets none by).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "weightinit/mlp.hpp"

namespace weightinit::sweep {

// X (n_0, m) and Y (n_L, m) to train on; X_test, Y_test (m_test columns) to score on, if given.
template <class T>
struct Data {
    const T* X = nullptr;
    const T* Y = nullptr;
    std::size_t m = 0;
    const T* X_test = nullptr;
    const T* Y_test = nullptr;
    std::size_t m_test = 0;
};

// Layer l's parameters of every run, stacked: run r's W_l starts at W[l] + r n_l n_{l-1},
// its b_l at b[l] + r n_l. They hold the initial parameters; each run trains a copy and
// writes it back when it ends (finished, diverged, cancelled or failed).
template <class T>
struct Stacked {
    std::vector<T*> W, b;
    std::size_t runs = 0;
};

struct Options {
    std::size_t iterations = 0;
    double learning_rate = 0.0;
    std::size_t record_every = 1;  // the cost of step i is recorded when i % record_every == 0
    int nthreads = 1;              // runs trained at once
    // 0 (or >= m): full batch. Otherwise mini-batch SGD as mlp::TrainOptions, run r's order
    // shuffled by shuffle_keys[r] (one key per run, required then).
    std::size_t batch_size = 0;
    std::vector<Key> shuffle_keys;
};

// The caller's arrays, one row or element per run.
struct Results {
    double* costs = nullptr;           // (runs, records(options)); NaN after a divergence (see Progress)
    double* final_cost = nullptr;      // J of the trained parameters on (X, Y)
    double* train_accuracy = nullptr;  // fraction right on (X, Y); NaN for mse
    double* test_accuracy = nullptr;   // on (X_test, Y_test); NaN without a test set or for mse
    std::uint8_t* diverged = nullptr;  // 1 where a cost (the final one included) was nan or inf
};

std::size_t records(const Options& opt);

// Called with the number of runs finished and of training steps taken (those of finished
// runs counted in full, diverged ones included; those of runs in progress as of their last
// check, about every mlp::check_interval seconds; at most 2^64 - 1), on the calling thread
// alone, which does no run itself (but where the system starts no thread to drive the runs:
// it then trains too, and reports from its runs' checks, and at most a fifth of its time):
// once before the first run, about every mlp::check_interval seconds, and once after the
// last; neither count ever goes down. An empty Progress is one that never stops the sweep.
// Returning true stops the sweep: runs in progress stop at their next
// check, runs not started never start; the runs that did not finish have NaN results and
// their costs left as the buffer held them (the binding discards a stopped sweep's results).
using Progress = std::function<bool(std::size_t runs_done, std::uint64_t steps_done)>;

template <class T>
void run(const mlp::Architecture& arch, const Stacked<T>& params, const Data<T>& data, const Options& opt,
         const Results& out, const Progress& progress);

extern template void run<float>(const mlp::Architecture&, const Stacked<float>&, const Data<float>&,
                                const Options&, const Results&, const Progress&);
extern template void run<double>(const mlp::Architecture&, const Stacked<double>&, const Data<double>&,
                                 const Options&, const Results&, const Progress&);

}  // namespace weightinit::sweep
