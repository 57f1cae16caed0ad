// weightinit._core: declares the submodules; each lives in its register_*.cpp.
#include <pybind11/pybind11.h>

#include <exception>

#include "weightinit/cancel.hpp"
#include "weightinit/parallel.hpp"
#include "signals.hpp"

namespace py = pybind11;

void register_random(py::module_& m);
void register_mlp(py::module_& m);
void register_sweep(py::module_& m);
void register_linalg(py::module_& m);

PYBIND11_MODULE(_core, m) {
    m.doc() = "weightinit's compiled core (private; use the weightinit package)";
    register_random(m);
    register_mlp(m);
    register_sweep(m);
    register_linalg(m);
    // For the tests: the floating-point control that pool threads copy from the caller.
    m.def("fp_control", &weightinit::detail::fp_control);
    m.def("set_fp_control", &weightinit::detail::set_fp_control_masked, py::arg("control"));
    // For the tests: whether Ctrl-C is asked for on this thread (signals.hpp).
    m.def("on_main_thread", &on_main_thread);
    // The most threads one call runs on (parallel.hpp), for the sweep's memory estimate.
    m.attr("max_loop_threads") = weightinit::detail::max_loop_threads;
    // Work stopped by python_signals (signals.hpp): the handler's error is already set.
    py::register_exception_translator([](std::exception_ptr e) {
        try {
            if (e) std::rethrow_exception(e);
        } catch (const weightinit::Cancelled&) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_KeyboardInterrupt, "cancelled");
        }
    });
}
