// weightinit._core.linalg: dense linear algebra. Checks the buffer, releases the GIL
// and calls the core; user-facing validation lives in weightinit/initializers.py.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>

#include "dtypes.hpp"
#include "gil.hpp"
#include "signals.hpp"
#include "weightinit/linalg.hpp"

namespace py = pybind11;
namespace linalg = weightinit::linalg;

namespace {

template <class T>
void orthogonal_typed(py::array& a, double gain, int nthreads) {
    T* data = static_cast<T*>(a.mutable_data());
    const auto rows = static_cast<std::size_t>(a.shape(0)), cols = static_cast<std::size_t>(a.shape(1));
    const weightinit::Cancel cancel = python_signals();  // Ctrl-C stops a long QR
    ReleaseGil release;
    linalg::orthogonal(data, rows, cols, gain, nthreads, cancel);
}

// a: a C-contiguous, writeable 2-D float32/float64 array, overwritten in place.
void orthogonal(py::array a, double gain, int nthreads) {
    if (a.ndim() != 2) throw py::value_error("a must be 2-D");
    check_layout(a, "a", true);
    if (holds<double>(a))
        orthogonal_typed<double>(a, gain, nthreads);
    else if (holds<float>(a))
        orthogonal_typed<float>(a, gain, nthreads);
    else
        throw py::type_error("a must be float32 or float64");
}

}  // namespace

void register_linalg(py::module_& parent) {
    auto m = parent.def_submodule("linalg", "Dense linear algebra over OpenBLAS's LAPACK");
    m.def("orthogonal", &orthogonal, py::arg("a"), py::arg("gain"), py::arg("nthreads"),
          "Overwrites the row-major (rows, cols) matrix a by gain times the Mezzadri-corrected Q of its "
          "QR (of its transpose when wide), in a's precision, on up to nthreads threads; the result does "
          "not depend on nthreads.");
    m.def("orthogonal_fits", &linalg::orthogonal_fits, py::arg("rows"), py::arg("cols"), py::arg("itemsize"),
          "Whether orthogonal takes a (rows, cols) matrix of itemsize-byte floats (LAPACK's 32-bit indexing).");
}
