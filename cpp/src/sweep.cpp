// sweep.hpp: runs spread over parallel_for, each trained by a worker's own Network.
#include "weightinit/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "weightinit/parallel.hpp"
#include "weightinit/thread_exit.hpp"

namespace weightinit::sweep {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// What one worker thread reuses from run to run: the engine's workspace lives in net.
// A run trains a copy of its parameters, in params, and hands the trained values back at
// its end: the caller's stacked rows of neighbouring runs share cache lines (the
// article's b2 is one double a run), and two threads updating them every step passed
// those lines between the cores; the article's sweep on two threads took 3.5 s, against
// 3.1 s now and 3.2 s for two processes running half of it each.
template <class T>
struct Worker {
    mlp::Network<T> net;
    mlp::OwnedParameters<T> params;
    std::vector<T> output;  // the output layer's activations, for the accuracies
    explicit Worker(const mlp::Architecture& arch) : net(arch), params(arch) {}
};

// Run r's rows of the stacked parameters.
template <class T>
mlp::Parameters<T> row(const mlp::Architecture& arch, const Stacked<T>& stacked, std::size_t r) {
    mlp::Parameters<T> p;
    for (std::size_t l = 0; l < arch.layers(); ++l) {
        const std::size_t n_out = arch.sizes[l + 1], n_in = arch.sizes[l];
        p.W.push_back(stacked.W[l] + r * n_out * n_in);
        p.b.push_back(stacked.b[l] + r * n_out);
    }
    return p;
}

// Hands each running task a worker no other task holds; parallel_for never runs more
// tasks at once than there are workers.
template <class T>
class Pool {
public:
    Pool(const mlp::Architecture& arch, std::size_t n) {
        workers_.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            workers_.emplace_back(arch);
            free_.push_back(i);
        }
    }
    std::size_t acquire() {
        std::lock_guard<std::mutex> lock(mutex_);
        if (free_.empty()) throw std::logic_error("sweep: more tasks at once than workers");
        const std::size_t i = free_.back();
        free_.pop_back();
        return i;
    }
    void release(std::size_t i) {
        std::lock_guard<std::mutex> lock(mutex_);
        free_.push_back(i);
    }
    Worker<T>& operator[](std::size_t i) { return workers_[i]; }

private:
    std::vector<Worker<T>> workers_;
    std::vector<std::size_t> free_;
    std::mutex mutex_;
};

template <class T>
double scored(mlp::Network<T>& net, const mlp::Parameters<T>& p, const T* X, const T* Y, std::size_t m,
              std::vector<T>& output) {
    const auto& arch = net.architecture();
    if (arch.loss == mlp::Loss::mse) return nan;
    const std::size_t L = arch.layers(), n_out = arch.sizes.back();
    output.resize(n_out * m);
    std::vector<T*> A(L, nullptr);
    A[L - 1] = output.data();
    net.forward(p, X, m, nullptr, A.data(), 1);
    return mlp::accuracy(arch.loss, output.data(), Y, n_out, m);
}

}  // namespace

std::size_t records(const Options& opt) {
    return mlp::recorded_steps(opt.iterations, opt.record_every);
}

template <class T>
void run(const mlp::Architecture& arch, const Stacked<T>& params, const Data<T>& data, const Options& opt,
         const Results& out, const Progress& given) {
    // An empty Progress never stops the sweep: one path for both (the binding always gives one,
    // which polls Ctrl-C).
    const Progress never_stops = [](std::size_t, std::uint64_t) { return false; };
    const Progress& progress = given ? given : never_stops;
    arch.validate();
    const std::size_t L = arch.layers(), runs = params.runs, n_rec = records(opt);
    if (params.W.size() != L || params.b.size() != L) throw std::invalid_argument("one W and one b per layer");
    if (!data.X || !data.Y || data.m < 1)
        throw std::invalid_argument("X and Y must hold at least one example (column), got " + std::to_string(data.m));
    mlp::check_learning_rate<T>(opt.learning_rate);
    const bool minibatch = opt.batch_size > 0 && opt.batch_size < data.m;
    if (minibatch && opt.shuffle_keys.size() != runs)
        throw std::invalid_argument("mini-batches need one shuffle key per run: " + std::to_string(runs) +
                                    " runs, " + std::to_string(opt.shuffle_keys.size()) + " keys");
    const bool test = data.X_test && data.Y_test && data.m_test > 0;
    {  // the parameters and results it writes must not overlap anything (spans.hpp)
        std::vector<Span> spans{{out.costs, runs * n_rec * sizeof(double), true, "costs"},
                                {out.final_cost, runs * sizeof(double), true, "final_cost"},
                                {out.train_accuracy, runs * sizeof(double), true, "train_accuracy"},
                                {out.test_accuracy, runs * sizeof(double), true, "test_accuracy"},
                                {out.diverged, runs, true, "diverged"}};
        mlp::add_data_spans(spans, arch, data.X, data.Y, data.m);
        if (test) mlp::add_data_spans(spans, arch, data.X_test, data.Y_test, data.m_test, "X_test", "Y_test");
        mlp::add_parameter_spans<T>(spans, arch, params.W.data(), params.b.data(), runs, true);
        check_disjoint(spans);
    }

    mlp::TrainOptions train;
    train.iterations = opt.iterations;
    train.learning_rate = opt.learning_rate;
    train.record_every = opt.record_every;
    train.batch_size = minibatch ? opt.batch_size : 0;
    train.stop_on_nonfinite = true;
    train.nthreads = 1;  // parallel across runs, never inside one: a run's numbers do not depend on the sweep

    const std::size_t nworkers = std::min(runs, detail::loop_threads(opt.nthreads));
    Pool<T> pool(arch, nworkers);

    std::atomic<std::size_t> done{0};
    std::atomic<std::uint64_t> steps{0};  // see Progress
    std::atomic<bool> stop{false};
    // Saturating: runs x iterations may pass 2^64 (iterations up to 2^62), and the count
    // wrapped back to small values (helper-149).
    auto add_steps = [&](std::uint64_t n) {
        std::uint64_t old = steps.load(std::memory_order_relaxed);
        while (!steps.compare_exchange_weak(old, old + n < old ? ~std::uint64_t(0) : old + n,
                                            std::memory_order_relaxed)) {
        }
    };
    // On the calling thread alone (the workers only count): a worker that called a slow
    // callback as its run finished held up the runs (helper-149: a 1 ms callback made 2000
    // runs of 5 steps take 2.26 s, not 0.05 s).
    auto poll = [&] {
        if (!stop.load() && progress(done.load(), steps.load())) stop.store(true);
    };

    // The thread that reports from inside its runs' checks, when no driver thread could be
    // started (below); none otherwise. Set before the runs start, read by every worker.
    std::thread::id reporter;
    std::exception_ptr poll_error;
    // The callback may fork: a child, which has neither the driver nor the other workers,
    // raises (detail::fork_count) where it would wait for them, or for a lock they held; the
    // callback's own error first. Counted from after the start's poll (below): a fork there
    // leaves no thread behind.
    std::uint64_t forks = detail::fork_count();
    auto not_forked = [&] {
        if (detail::fork_count() == forks) return;
        if (poll_error) std::rethrow_exception(poll_error);
        throw ForkedDuringCall();
    };
    auto polled = [&] {  // poll, keeping the callback's error to raise once the runs stop
        try {
            poll();
        }
        WI_PARK_ON_THREAD_EXIT
        catch (...) {
            if (!poll_error) poll_error = std::current_exception();
            stop.store(true);
        }
    };
    using clock = std::chrono::steady_clock;
    const auto interval = std::chrono::duration<double>(mlp::check_interval);
    // The runs compute under the control the sweep started with, which the callback may
    // change on this thread (a library loaded with -ffast-math), and a new thread inherits.
    const unsigned control = detail::fp_control();
    // The reporter's: when it may report next, and the control the callback left it (under
    // which it runs the callback, and which it keeps once the sweep is done, as the calling
    // thread does where a driver trains).
    auto next_report = clock::now();
    unsigned callers = control;
    auto report = [&] {
        const auto start = clock::now();
        if (start < next_report) return;
        detail::set_fp_control(callers);  // the callback runs under the control it left
        polled();
        callers = detail::fp_control();
        detail::set_fp_control(control);
        // A slow callback takes the reporter's time from its run: at most a fifth of it.
        const auto now = clock::now();
        next_report = now + std::max(std::chrono::duration_cast<clock::duration>(interval), 4 * (now - start));
    };

    // A run's costs are all written by train (NaN past a divergence) unless the sweep is
    // stopped, which discards the results (the binding raises): nothing to fill beforehand,
    // where filling the runs that a stop skips took seconds for long runs.
    auto body = [&](std::size_t r) {
        double* costs = out.costs + r * n_rec;
        out.final_cost[r] = out.train_accuracy[r] = out.test_accuracy[r] = nan;
        out.diverged[r] = 0;
        if (stop.load()) return;
        const mlp::Parameters<T> stacked = row(arch, params, r);
        {
            const std::size_t slot = pool.acquire();
            Worker<T>& w = pool[slot];
            w.params.copy_from(stacked);
            // Hands the run's parameters back (trained, or as far as a cancelled run got)
            // and the worker to the pool, however the run ends; before the poll below, so
            // that a run the progress counts as done has its trained rows in place.
            struct Release {
                Pool<T>& pool;
                std::size_t slot;
                const mlp::Parameters<T>& stacked;
                std::uint64_t forks;
                ~Release() {
                    if (detail::fork_count() != forks) return;  // a child: the pool's mutex may be held for ever
                    pool[slot].params.copy_to(stacked);
                    pool.release(slot);
                }
            } release{pool, slot, stacked, forks};
            const mlp::Parameters<T>& p = w.params.p;
            // The run's checks count its steps and stop it once a poll says so.
            std::uint64_t counted = 0;
            const mlp::Check check = [&](std::size_t step, double) {
                add_steps(step - counted);
                counted = step;
                if (reporter == std::this_thread::get_id()) {
                    report();
                    not_forked();  // the child's run ends here, not after its last step
                }
                return stop.load();
            };
            mlp::TrainOptions mine = train;  // shared by the workers; the key is the run's
            if (minibatch) mine.shuffle_key = opt.shuffle_keys[r];
            const mlp::TrainReport rep = w.net.train(p, data.X, data.Y, data.m, mine, costs, check);
            if (rep.cancelled) return;
            add_steps(opt.iterations - counted);  // a diverged run's steps count as done too
            // A finite last cost can still be followed by an update that overflows; parameters
            // not finite from the start (the Python layer refuses them) are not trained.
            if (!rep.nonfinite && rep.start_finite) out.final_cost[r] = w.net.cost(p, data.X, data.Y, data.m, 1);
            if (!mlp::cost_in_range<T>(out.final_cost[r])) {
                out.diverged[r] = 1;
                out.final_cost[r] = nan;
            } else {
                out.train_accuracy[r] = scored(w.net, p, data.X, data.Y, data.m, w.output);
                if (test)
                    out.test_accuracy[r] = scored(w.net, p, data.X_test, data.Y_test, data.m_test, w.output);
            }
        }
        done.fetch_add(1);  // after its trained rows are in place (Release)
    };
    // The calling thread only reports, every check_interval, while
    // a driver thread runs the loop: the callback may need the calling thread (Python runs
    // signal handlers on its main thread alone), which would otherwise be idle in
    // parallel_for once its own runs were done, and deaf until the last run ended.
    std::mutex driver_mutex;
    std::condition_variable driver_done;
    bool finished = false;
    std::exception_ptr driver_error;
    poll();  // the start, the weights drawn (a wait for the first runs to report read as no pace)
    forks = detail::fork_count();
    std::thread driver;
    try {
        driver = std::thread([&] {
            detail::set_fp_control(control);
            try {
                parallel_for(runs, int(nworkers), body);
            }
            WI_PARK_ON_THREAD_EXIT
            catch (...) {
                driver_error = std::current_exception();
            }
            std::lock_guard<std::mutex> lock(driver_mutex);
            finished = true;
            driver_done.notify_one();
        });
    } catch (...) {  // std::system_error, or std::bad_alloc for the thread's state
    }
    if (!driver.joinable()) {
        // The system starts no thread (a process limit, or no memory for a stack): the
        // calling thread trains too, reporting from its runs' checks. Each worker's task takes
        // runs until none is left; the calling thread's then reports until every run has
        // ended, where it would otherwise wait in parallel_for, deaf.
        reporter = std::this_thread::get_id();
        callers = detail::fp_control();  // as the start's poll left it
        detail::set_fp_control(control);
        struct Restore {  // the callback's control, however the runs end
            const unsigned& control;
            ~Restore() { detail::set_fp_control(control); }
        } restore{callers};
        std::atomic<std::size_t> next{0}, ended{0};
        parallel_for(nworkers, int(nworkers), [&](std::size_t) {
            for (std::size_t r; (r = next.fetch_add(1)) < runs;) {
                struct Ended {  // however the run ends: the reporter's wait counts on it
                    std::atomic<std::size_t>& n;
                    ~Ended() { n.fetch_add(1); }
                } ended_run{ended};
                body(r);
            }
            if (reporter != std::this_thread::get_id()) return;
            while (ended.load() < runs) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                report();
                not_forked();
            }
        });
    } else {
        std::unique_lock<std::mutex> lock(driver_mutex);
        while (!driver_done.wait_for(lock, interval, [&] { return finished; })) {
            lock.unlock();
            polled();
            if (detail::fork_count() != forks) {  // the driver's mutex, too, may be held for ever
                // No pthread call on the parent's driver (parallel.cpp's spawn_run says why):
                // its handle is moved out and never destroyed.
                new std::thread(std::move(driver));
                not_forked();
            }
            lock.lock();
        }
        lock.unlock();
        driver.join();
    }
    if (driver_error) std::rethrow_exception(driver_error);
    if (poll_error) std::rethrow_exception(poll_error);
    poll();  // the end: every run done (a callback's error here is its to raise)
}

template void run<float>(const mlp::Architecture&, const Stacked<float>&, const Data<float>&, const Options&,
                         const Results&, const Progress&);
template void run<double>(const mlp::Architecture&, const Stacked<double>&, const Data<double>&, const Options&,
                          const Results&, const Progress&);

}  // namespace weightinit::sweep
