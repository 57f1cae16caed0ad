// weightinit._core.sweep: many (init, seed) runs of one architecture. Converts and checks
// arrays, releases the GIL and calls the core; user-facing checks live in weightinit/sweep.py.
#include <Python.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dtypes.hpp"
#include "gil.hpp"
#include "weightinit/sweep.hpp"

namespace py = pybind11;
namespace mlp = weightinit::mlp;
namespace sweep = weightinit::sweep;

namespace {

std::size_t columns(const py::array& a, const char* what) {
    if (a.ndim() != 2) throw py::value_error(std::string(what) + " must be 2-D");
    return std::size_t(a.shape(1));
}

template <class T>
py::dict run_typed(const mlp::Architecture& arch, const py::list& W, const py::list& b, const py::array& X,
                   const py::array& Y, const py::object& X_test, const py::object& Y_test, sweep::Options opt,
                   const py::object& progress) {
    const auto& s = arch.sizes;
    const std::size_t L = arch.layers();
    if (W.size() != L || b.size() != L) throw py::value_error("one stacked W and b per layer are needed");
    std::vector<py::array> held;
    sweep::Stacked<T> params;
    const py::array W1 = ndarray(W[0], "W1");
    if (W1.ndim() != 3) throw py::value_error("W1 must be 3-D (runs, n_out, n_in)");
    params.runs = std::size_t(W1.shape(0));
    for (std::size_t l = 0; l < L; ++l) {
        const std::string n = std::to_string(l + 1);
        params.W.push_back(checked<T>(W[l], "W" + n, {params.runs, s[l + 1], s[l]}, true, held));
        params.b.push_back(checked<T>(b[l], "b" + n, {params.runs, s[l + 1], 1}, true, held));
    }
    sweep::Data<T> data;
    data.m = columns(X, "X");
    data.X = checked<T>(X, "X", {s[0], data.m}, false, held);
    data.Y = checked<T>(Y, "Y", {s[L], data.m}, false, held);
    if (!X_test.is_none()) {
        data.m_test = columns(ndarray(X_test, "X_test"), "X_test");
        data.X_test = checked<T>(X_test, "X_test", {s[0], data.m_test}, false, held);
        data.Y_test = checked<T>(Y_test, "Y_test", {s[L], data.m_test}, false, held);
    }
    const std::size_t runs = params.runs;
    py::array_t<double> costs({runs, sweep::records(opt)}), final_cost(runs), train_acc(runs), test_acc(runs);
    py::array_t<std::uint8_t> diverged(runs);
    sweep::Results out{costs.mutable_data(), final_cost.mutable_data(), train_acc.mutable_data(),
                       test_acc.mutable_data(), diverged.mutable_data()};
    // Takes the GIL briefly: lets Ctrl-C (seen when the calling thread reports) and a
    // progress callback's exception stop the sweep. Reports come from any worker thread,
    // and a Python error indicator belongs to one thread, so the error is kept as an
    // object (under the GIL) and raised on the calling thread below.
    std::optional<py::error_already_set> pending;
    const sweep::Progress report = [&](std::size_t done, std::uint64_t steps) {
        AcquireGil gil;
        try {
            if (PyErr_CheckSignals() != 0) throw py::error_already_set();
            if (!progress.is_none()) progress(done, steps);
        } catch (py::error_already_set& e) {
            if (!pending) pending = e;
            return true;
        }
        return false;
    };
    {
        ReleaseGil release;
        sweep::run(arch, params, data, opt, out, report);
    }
    if (pending) throw *pending;
    py::dict result;
    result["costs"] = costs;
    result["final_cost"] = final_cost;
    result["train_accuracy"] = train_acc;
    result["test_accuracy"] = test_acc;
    result["diverged"] = diverged;
    return result;
}

py::dict run(std::vector<std::size_t> sizes, const std::vector<std::string>& activations, const std::string& loss,
             double alpha, bool float32, const py::list& W, const py::list& b, const py::array& X,
             const py::array& Y, const py::object& X_test, const py::object& Y_test, std::size_t iterations,
             double learning_rate, std::size_t record_every, int nthreads, const py::object& progress,
             std::size_t batch_size, const std::vector<std::array<std::uint32_t, 2>>& shuffle_keys) {
    mlp::Architecture arch;
    arch.sizes = std::move(sizes);
    for (const auto& a : activations) arch.activations.push_back(mlp::parse_activation(a));
    arch.loss = mlp::parse_loss(loss);
    arch.alpha = alpha;
    arch.validate();
    if (W.size() < 1) throw py::value_error("W must hold one stacked array per layer");
    sweep::Options opt;
    opt.iterations = iterations;
    opt.learning_rate = learning_rate;
    opt.record_every = record_every;
    opt.nthreads = nthreads;
    opt.batch_size = batch_size;
    for (const auto& k : shuffle_keys) opt.shuffle_keys.push_back({k[0], k[1]});
    if (float32) return run_typed<float>(arch, W, b, X, Y, X_test, Y_test, opt, progress);
    return run_typed<double>(arch, W, b, X, Y, X_test, Y_test, opt, progress);
}

}  // namespace

void register_sweep(py::module_& parent) {
    auto m = parent.def_submodule("sweep", "Many (init, seed) runs of one MLP architecture, in parallel");
    m.def("run", &run, py::arg("sizes"), py::arg("activations"), py::arg("loss"), py::arg("alpha"),
          py::arg("float32"), py::arg("W"), py::arg("b"), py::arg("X"), py::arg("Y"), py::arg("X_test"),
          py::arg("Y_test"), py::arg("iterations"), py::arg("learning_rate"), py::arg("record_every"),
          py::arg("nthreads"), py::arg("progress"), py::arg("batch_size") = 0,
          py::arg("shuffle_keys") = std::vector<std::array<std::uint32_t, 2>>{});
}
