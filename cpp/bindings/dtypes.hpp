// Whether an array holds a given element type. NumPy's dtype objects are not singletons:
// an array that was pickled (multiprocessing, joblib), or made with a copied dtype, has a
// float64 descriptor of its own, so identity (py::dtype::is) would refuse it; NumPy's
// equivalence accepts it (and still refuses another byte order). And whether its data is
// aligned to its type (a view at an odd byte offset is not), as the core's pointers assume.
#pragma once

#include <pybind11/numpy.h>

#include <string>

inline bool holds(const pybind11::array& a, const pybind11::dtype& type) {
    return pybind11::detail::npy_api::get().PyArray_EquivTypes_(a.dtype().ptr(), type.ptr());
}

template <class T>
bool holds(const pybind11::array& a) {
    return holds(a, pybind11::dtype::of<T>());
}

inline bool aligned(const pybind11::array& a) {
    return (pybind11::detail::array_proxy(a.ptr())->flags & pybind11::detail::npy_api::NPY_ARRAY_ALIGNED_) != 0;
}

// h itself as an array, for arguments that arrive inside a list or as py::object. Casting a
// list would make a temporary array, freed while the core still held its data pointer.
inline pybind11::array ndarray(pybind11::handle h, const std::string& what) {
    if (!pybind11::isinstance<pybind11::array>(h))
        throw pybind11::type_error(what + " must be a numpy.ndarray, got " +
                                   std::string(pybind11::str(pybind11::type::of(h).attr("__name__"))));
    return pybind11::reinterpret_borrow<pybind11::array>(h);
}

// a's data laid out as the core's pointers take it: C-contiguous and aligned (and writeable,
// if asked); a ValueError naming `what` otherwise.
inline void check_layout(const pybind11::array& a, const std::string& what, bool writeable) {
    if (!(a.flags() & pybind11::array::c_style)) throw pybind11::value_error(what + " must be C-contiguous");
    if (!aligned(a)) throw pybind11::value_error(what + " must be aligned");
    if (writeable && !a.writeable()) throw pybind11::value_error(what + " must be writeable");
}

// h as an array whose data the core reads as T (and writes, if writeable): an ndarray of T,
// C-contiguous and aligned. Its shape is the caller's to check.
template <class T>
pybind11::array usable(pybind11::handle h, const std::string& what, bool writeable) {
    pybind11::array a = ndarray(h, what);
    if (!holds<T>(a)) throw pybind11::type_error(what + " has the wrong dtype");
    check_layout(a, what, writeable);
    return a;
}

template <class T>
T* data_of(const pybind11::array& a) {
    return static_cast<T*>(const_cast<void*>(a.data()));
}
