// weightinit._core.mlp: the MLP engine. Converts and checks arrays, releases the GIL
// and calls the core; user-facing validation and messages live in weightinit/mlp.py.
#include <Python.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <pthread.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "dtypes.hpp"
#include "gil.hpp"
#include "signals.hpp"
#include "weightinit/mlp.hpp"

namespace py = pybind11;
namespace wi = weightinit;
namespace mlp = weightinit::mlp;

namespace {

// The checked raw views of one call's arrays (Y optional), and the arrays themselves: the
// list of parameters may lose them while the GIL is released (another thread, or the
// progress callback, emptying it), and a freed array's memory would be used.
template <class T>
struct Inputs {
    std::vector<py::array> held;
    std::vector<std::size_t> sizes;
    std::size_t L, m;
    mlp::Parameters<T> p;
    const T* x;
    const T* y;
};

class PyNetwork;

// The live networks, and the threads waiting for a network's lock with the network each
// waits for: a wait that would close a cycle (thread 1's progress callback waits for
// network B, fitted by thread 2, whose callback waits for network A, fitted by thread 1) is
// refused instead of hanging both (helper-157). Slots carry the sequence number of their
// registration and a network that of its locking, so that a thread's waits older than the
// lock it holds (a signal handler run by a wait, which took another network) are not read as
// blocking it (helper-158). The mutex is held across a fork (pthread_atfork), so a child
// finds the list and slots whole; with every slot taken a wait goes unchecked.
struct Registry {
    struct Slot {
        std::thread::id thread;
        const PyNetwork* network = nullptr;
        std::uint64_t sequence = 0;
    };
    std::mutex mutex;
    std::array<Slot, 256> slots{};
    PyNetwork* networks = nullptr;  // an intrusive list through PyNetwork's links
    // Numbers slots and locks. Only one thread's own are compared (its waits against the
    // locks it took later), so an atomic count orders them, and a call takes no mutex to lock.
    std::atomic<std::uint64_t> sequence{0};
};
Registry registry;

void before_fork() { registry.mutex.lock(); }
void after_fork_in_parent() { registry.mutex.unlock(); }
void after_fork_in_child();  // below: it reads PyNetwork's members
[[maybe_unused]] const int fork_handlers_registered =
    pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);

// A network of either dtype; methods take the parameters as [W1, b1, W2, b2, ...].
class PyNetwork {
public:
    PyNetwork(std::vector<std::size_t> sizes, const std::vector<std::string>& activations, const std::string& loss,
              double alpha, bool float32)
        : float32_(float32), net_(make(std::move(sizes), activations, loss, alpha, float32)) {
        std::lock_guard<std::mutex> guard(registry.mutex);
        next_ = registry.networks;
        if (next_) next_->prev_ = this;
        registry.networks = this;
    }
    ~PyNetwork() {
        std::lock_guard<std::mutex> guard(registry.mutex);
        (prev_ ? prev_->next_ : registry.networks) = next_;
        if (next_) next_->prev_ = prev_;
    }
    PyNetwork(const PyNetwork&) = delete;
    PyNetwork& operator=(const PyNetwork&) = delete;

    py::tuple forward(const py::list& params, const py::array& X, bool all_layers, int nthreads) {
        not_in_progress();
        return visit([&](auto& net, auto zero) {
            using T = decltype(zero);
            const auto in = inputs<T>(net, params, X, nullptr, false);
            const auto& s = in.sizes;
            const std::size_t L = in.L, m = in.m;
            py::list zs, as;
            std::vector<T*> z(L, nullptr), a(L, nullptr);
            for (std::size_t l = 0; l < L; ++l) {
                if (!all_layers && l + 1 < L) continue;
                py::array_t<T> zl({s[l + 1], m}), al({s[l + 1], m});
                if (all_layers) z[l] = zl.mutable_data();
                a[l] = al.mutable_data();
                if (all_layers) zs.append(zl);
                as.append(al);
            }
            const weightinit::Cancel cancel = python_signals();  // Ctrl-C stops a long pass
            {
                ReleaseGil release;
                Held held(*this, cancel);
                net.forward(in.p, in.x, m, z.data(), a.data(), nthreads, cancel);
            }
            return py::make_tuple(zs, as);
        });
    }

    py::tuple gradients(const py::list& params, const py::array& X, const py::array& Y, bool want_grads,
                        int nthreads, bool want_activations) {
        not_in_progress();
        return visit([&](auto& net, auto zero) {
            using T = decltype(zero);
            const auto in = inputs<T>(net, params, X, &Y, false);
            const auto& s = in.sizes;
            const std::size_t L = in.L;
            py::list dws, dbs;
            std::vector<T*> dw(L), db(L);
            if (want_grads)
                for (std::size_t l = 0; l < L; ++l) {
                    py::array_t<T> gw({s[l + 1], s[l]}), gb({s[l + 1], std::size_t(1)});
                    dw[l] = gw.mutable_data();
                    db[l] = gb.mutable_data();
                    dws.append(gw);
                    dbs.append(gb);
                }
            py::list as;
            std::vector<T*> a(L, nullptr);
            if (want_activations)
                for (std::size_t l = 0; l < L; ++l) {
                    py::array_t<T> al({s[l + 1], in.m});
                    a[l] = al.mutable_data();
                    as.append(al);
                }
            double J;
            const weightinit::Cancel cancel = python_signals();  // Ctrl-C stops a long pass
            {
                ReleaseGil release;
                Held held(*this, cancel);
                J = want_grads || want_activations
                        ? net.gradients(in.p, in.x, in.y, in.m, want_grads ? dw.data() : nullptr,
                                        want_grads ? db.data() : nullptr, nthreads, cancel, a.data())
                        : net.cost(in.p, in.x, in.y, in.m, nthreads, cancel);
            }
            return py::make_tuple(J, dws, dbs, as);
        });
    }

    py::tuple train(const py::list& params, const py::array& X, const py::array& Y, std::size_t iterations,
                    double learning_rate, std::size_t batch_size, std::size_t record_every, bool stop_on_nonfinite,
                    std::array<std::uint32_t, 2> key, int nthreads, const py::object& progress) {
        not_in_progress();
        Counted training(fits_);  // changed with the GIL held, before and after the training
        return visit([&](auto& net, auto zero) {
            using T = decltype(zero);
            const auto in = inputs<T>(net, params, X, &Y, true);
            mlp::TrainOptions opt;
            opt.iterations = iterations;
            opt.learning_rate = learning_rate;
            opt.batch_size = batch_size;
            opt.record_every = record_every;
            opt.stop_on_nonfinite = stop_on_nonfinite;
            opt.shuffle_key = {key[0], key[1]};
            opt.nthreads = nthreads;
            py::array_t<double> costs(mlp::recorded_steps(iterations, record_every));
            bool raised = false;
            // Takes the GIL briefly: lets Ctrl-C (and a progress callback's exception)
            // stop the loop; the Python error stays set and is raised below.
            const mlp::Check check = [&](std::size_t step, double J) {
                AcquireGil gil;
                if (PyErr_CheckSignals() != 0) return raised = true;
                if (!progress.is_none()) {
                    try {
                        progress(step, J);
                    } catch (py::error_already_set& e) {
                        e.restore();
                        return raised = true;
                    }
                }
                return false;
            };
            // Ctrl-C inside a long step (the check runs between steps only); its error is
            // raised below with the costs, as the check's.
            const weightinit::Cancel signals = python_signals();
            if (signals) opt.cancel = [&raised, signals] { return signals() && (raised = true); };
            mlp::TrainReport r;
            {
                ReleaseGil release;
                std::optional<Held> held;
                try {
                    held.emplace(*this, signals);
                } catch (const weightinit::Cancelled&) {  // Ctrl-C while waiting: no step, no cost
                    raised = true;
                }
                if (held) r = net.train(in.p, in.x, in.y, in.m, opt, costs.mutable_data(), check);
            }
            if (raised) {  // Ctrl-C or the callback's exception, carrying the costs recorded until then
                py::error_already_set error;
                try {
                    error.value().attr("costs") = costs[py::slice(0, py::ssize_t(r.recorded), 1)];
                } catch (py::error_already_set&) {  // an exception that takes no attribute: raised as it is
                }
                throw error;
            }
            py::dict report;
            report["steps"] = r.steps;
            report["recorded"] = r.recorded;
            report["nonfinite"] = r.nonfinite;
            report["first_nonfinite"] = r.first_nonfinite;
            report["params_finite"] = r.params_finite;
            report["start_finite"] = r.start_finite;
            return py::make_tuple(costs, report);
        });
    }

    bool float32() const { return float32_; }
    bool fused() const {
        return std::visit([](const auto& net) { return net.fused(); }, net_);
    }
    bool training() const { return fits_ > 0; }

private:
    // Counts read and written with the GIL held only, so Python threads see them whole;
    // Counted adds one for its scope.
    struct Counted {
        explicit Counted(int& n) : n_(n) { ++n_; }
        ~Counted() { --n_; }
        int& n_;
    };
    // Fits running on this network (one trains, others wait for its lock).
    int fits_ = 0;
    // The network's lock, one call at a time (its workspace is shared by its calls; with the
    // GIL released two Python threads could otherwise run it at once; taken only after
    // releasing the GIL), and the thread that holds it. Python code that
    // thread runs while it holds the lock (a fit's progress callback; a signal handler, run
    // by the polls for Ctrl-C) and that calls back into the network would wait for the lock
    // for ever (and, were it let through, overwrite the step's buffers): it is refused at
    // once. helper-151: a SIGALRM handler that predicted with the network it interrupted hung
    // the process. Other threads wait for the lock (helper-152: marking the handler's whole
    // run refused them too, wherever it let go of the GIL).
    // The wait for it polls `cancel` (Python's signals, on the main thread) every 50 ms:
    // another thread's fit may hold it for minutes, and Ctrl-C came only when that fit
    // ended (helper-157). Cancelled, raised then, carries the handler's error as the
    // call's own polls do.
    std::timed_mutex mutex_;
    std::atomic<std::thread::id> holder_{};
    std::atomic<std::uint64_t> locked_at_{};  // the registry's sequence when last locked
    // Set in a forked child for a network another thread of the parent held at the fork:
    // that call can never finish there, so the lock is never let go.
    std::atomic<bool> orphaned_{false};
    PyNetwork* prev_ = nullptr;  // the registry's list, under its mutex
    PyNetwork* next_ = nullptr;
    friend void after_fork_in_child();

    class Held {
    public:
        Held(PyNetwork& net, const weightinit::Cancel& cancel) : net_(net), lock_(net.mutex_, std::defer_lock) {
            if (net.orphaned_.load() || !lock_.try_lock()) {
                Waiting waiting(net);
                if (!cancel)
                    lock_.lock();
                else
                    while (!lock_.try_lock_for(std::chrono::milliseconds(50)))
                        if (cancel()) throw weightinit::Cancelled();
            }
            net_.locked_at_.store(registry.sequence.fetch_add(1) + 1);
            net_.holder_.store(std::this_thread::get_id());  // after locked_at_: a reader that sees it sees that
        }
        ~Held() { net_.holder_.store(std::thread::id()); }
        Held(const Held&) = delete;
        Held& operator=(const Held&) = delete;

    private:
        PyNetwork& net_;
        std::unique_lock<std::timed_mutex> lock_;
    };
    // This thread's wait for net, registered for its scope; refused (a RuntimeError, before
    // waiting) where net is orphaned, or where the holder is waiting, through other threads'
    // waits, for a network this thread holds: from net, each holder's waits registered after
    // it took the network that led there are followed (a thread may wait at several depths:
    // a signal handler run by one wait may wait again).
    class Waiting {
    public:
        explicit Waiting(const PyNetwork& net) {
            if (net.orphaned_.load())
                throw std::runtime_error("this network was in use by another thread when the process forked, and "
                                         "that call can never finish here: build or copy networks in the child, or "
                                         "copy.deepcopy them before forking");
            const std::thread::id me = std::this_thread::get_id();
            std::lock_guard<std::mutex> guard(registry.mutex);
            std::array<const PyNetwork*, 256> todo;
            std::size_t ntodo = 0, visits = 0;
            todo[ntodo++] = &net;
            while (ntodo > 0 && ++visits <= 4096) {
                const PyNetwork* n = todo[--ntodo];
                const std::thread::id h = n->holder_.load();
                if (h == me)
                    throw std::runtime_error("waiting for this network would never end: the call that holds it "
                                             "waits, through other threads' calls, for a network this thread's call "
                                             "holds (progress callbacks or signal handlers that use each other's "
                                             "networks?); score a copy.deepcopy of it instead");
                if (h == std::thread::id()) continue;
                const std::uint64_t since = n->locked_at_.load();
                for (const auto& slot : registry.slots)
                    if (slot.network && slot.thread == h && slot.sequence > since && ntodo < todo.size())
                        todo[ntodo++] = slot.network;
            }
            for (auto& slot : registry.slots)
                if (!slot.network) {
                    slot = {me, &net, registry.sequence.fetch_add(1) + 1};
                    slot_ = &slot;
                    break;
                }
        }
        ~Waiting() {
            if (!slot_) return;
            std::lock_guard<std::mutex> guard(registry.mutex);
            *slot_ = {};
        }
        Waiting(const Waiting&) = delete;
        Waiting& operator=(const Waiting&) = delete;

    private:
        Registry::Slot* slot_ = nullptr;
    };
    void not_in_progress() const {
        if (holder_.load() == std::this_thread::get_id())
            throw std::runtime_error("this network is in use by a call (a fit, or a pass) whose progress callback or "
                                     "signal handler is running: that code cannot use it; score a copy.deepcopy of it "
                                     "instead");
    }

    using Variant = std::variant<mlp::Network<float>, mlp::Network<double>>;

    static Variant make(std::vector<std::size_t> sizes, const std::vector<std::string>& activations,
                        const std::string& loss, double alpha, bool float32) {
        mlp::Architecture arch;
        arch.sizes = std::move(sizes);
        for (const auto& a : activations) arch.activations.push_back(mlp::parse_activation(a));
        arch.loss = mlp::parse_loss(loss);
        arch.alpha = alpha;
        if (float32) return Variant(std::in_place_index<0>, std::move(arch));
        return Variant(std::in_place_index<1>, std::move(arch));
    }

    template <class F>
    py::tuple visit(F&& f) {
        if (float32_) return f(std::get<0>(net_), float{});
        return f(std::get<1>(net_), double{});
    }

    // Parameters must be writeable when the call updates them (train).
    template <class T>
    static Inputs<T> inputs(const mlp::Network<T>& net, const py::list& params, const py::array& X,
                            const py::array* Y, bool writeable) {
        Inputs<T> in;
        in.sizes = net.architecture().sizes;
        const auto& s = in.sizes;
        in.L = s.size() - 1;
        if (X.ndim() != 2) throw py::value_error("X must be 2-D (n_features, m)");
        in.m = std::size_t(X.shape(1));
        if (params.size() != 2 * in.L) throw py::value_error("expected [W1, b1, ..., WL, bL]");
        for (std::size_t l = 0; l < in.L; ++l) {
            const std::string n = std::to_string(l + 1);
            in.p.W.push_back(checked<T>(params[2 * l], "W" + n, {s[l + 1], s[l]}, writeable, in.held, true));
            in.p.b.push_back(checked<T>(params[2 * l + 1], "b" + n, {s[l + 1], 1}, writeable, in.held, true));
        }
        in.x = checked<T>(X, "X", {s[0], in.m}, false, in.held, true);
        in.y = Y ? checked<T>(*Y, "Y", {s[in.L], in.m}, false, in.held, true) : nullptr;
        return in;
    }

    bool float32_;
    Variant net_;
};

// In the child only the forking thread runs: every network locked by another thread of the
// parent (or between its locking and its holder's record, or its release) stays locked for
// ever, and is marked; the waits of the other threads are gone. The forking thread's own
// locks and waits carry on.
void after_fork_in_child() {
    const std::thread::id me = std::this_thread::get_id();
    for (PyNetwork* n = registry.networks; n; n = n->next_) {
        if (n->holder_.load() == me) continue;
        if (n->mutex_.try_lock())
            n->mutex_.unlock();
        else
            n->orphaned_.store(true);
    }
    for (auto& slot : registry.slots)
        if (slot.thread != me) slot = {};
    registry.mutex.unlock();
}

}  // namespace

void register_mlp(py::module_& parent) {
    auto m = parent.def_submodule("mlp", "The MLP engine behind weightinit.MLP and weightinit.prototype");
    m.attr("max_steps") = mlp::max_steps;
    m.def("gemm_chunks", &mlp::gemm_chunks, py::arg("m"));
    m.def("fused_partial_values", &mlp::fused_partial_values, py::arg("n0"), py::arg("h"), py::arg("m"));
    py::class_<PyNetwork>(m, "Network")
        .def(py::init<std::vector<std::size_t>, const std::vector<std::string>&, const std::string&, double, bool>(),
             py::arg("sizes"), py::arg("activations"), py::arg("loss"), py::arg("alpha"), py::arg("float32"))
        .def("forward", &PyNetwork::forward, py::arg("params"), py::arg("X"), py::arg("all_layers"),
             py::arg("nthreads"))
        .def("gradients", &PyNetwork::gradients, py::arg("params"), py::arg("X"), py::arg("Y"),
             py::arg("want_grads"), py::arg("nthreads"), py::arg("want_activations") = false)
        .def("train", &PyNetwork::train, py::arg("params"), py::arg("X"), py::arg("Y"), py::arg("iterations"),
             py::arg("learning_rate"), py::arg("batch_size"), py::arg("record_every"),
             py::arg("stop_on_nonfinite"), py::arg("key"), py::arg("nthreads"), py::arg("progress"))
        .def_property_readonly("float32", &PyNetwork::float32)
        .def_property_readonly("training", &PyNetwork::training)
        .def_property_readonly("fused", &PyNetwork::fused);
    m.def(
        "accuracy",
        [](const std::string& loss, const py::array& A, const py::array& Y) {
            const mlp::Loss l = mlp::parse_loss(loss);
            if (A.ndim() != 2 || Y.ndim() != 2 || A.shape(0) != Y.shape(0) || A.shape(1) != Y.shape(1))
                throw py::value_error("A and Y must be 2-D arrays of one shape");
            const auto n_out = static_cast<std::size_t>(A.shape(0)), m = static_cast<std::size_t>(A.shape(1));
            auto score = [&](auto zero) {
                using Array = py::array_t<decltype(zero), py::array::c_style | py::array::forcecast>;
                const auto a = Array::ensure(A), y = Array::ensure(Y);  // null where NumPy cannot cast
                if (!a || !y) throw py::type_error("A and Y must hold real numbers");
                return mlp::accuracy(l, a.data(), y.data(), n_out, m);
            };
            return holds<float>(A) ? score(0.0f) : score(0.0);
        },
        py::arg("loss"), py::arg("A"), py::arg("Y"));
    m.def(
        "shuffle",
        [](std::size_t m, std::array<std::uint32_t, 2> key, std::uint64_t epoch) {
            std::vector<std::uint32_t> perm;
            {
                ReleaseGil release;
                mlp::shuffle(perm, m, {key[0], key[1]}, epoch);
            }
            return py::array_t<std::uint32_t>(py::ssize_t(perm.size()), perm.data());
        },
        py::arg("m"), py::arg("key"), py::arg("epoch"),
        "The order of 0..m-1 in which mini-batch training visits the examples in this epoch.");
    m.def(
        "labels_off",
        [](const std::string& loss, const py::array& Y) {
            const mlp::Loss l = mlp::parse_loss(loss);
            check_layout(Y, "Y", false);
            if (Y.ndim() != 2) throw py::value_error("Y must be 2-D");
            const auto n_out = static_cast<std::size_t>(Y.shape(0)), m = static_cast<std::size_t>(Y.shape(1));
            auto check = [&](auto zero) {
                const auto* p = static_cast<const decltype(zero)*>(Y.data());
                ReleaseGil release;
                return mlp::labels_off(l, p, n_out, m);
            };
            if (holds<float>(Y)) return check(0.0f);
            if (holds<double>(Y)) return check(0.0);
            throw py::type_error("Y must be float32 or float64");
        },
        py::arg("loss"), py::arg("Y"),
        "How far labels Y are from what the loss takes: 0 when binary cross-entropy's are all 0 or 1 (else "
        "inf), softmax's largest |column sum - 1| (inf for a negative value), 0 for mse.");
    m.def(
        "all_finite",
        [](const py::array& a, int nthreads) {
            check_layout(a, "a", false);
            const auto n = static_cast<std::size_t>(a.size());
            auto check = [&](auto zero) {
                const auto* p = static_cast<const decltype(zero)*>(a.data());
                ReleaseGil release;
                return mlp::all_finite(p, n, nthreads);
            };
            if (holds<float>(a)) return check(0.0f);
            if (holds<double>(a)) return check(0.0);
            throw py::type_error("a must be float32 or float64");
        },
        py::arg("a"), py::arg("nthreads"), "Whether every value of the C-contiguous float array a is finite.");
}
