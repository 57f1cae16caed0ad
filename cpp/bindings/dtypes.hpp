// Whether an array holds a given element type. NumPy's dtype objects are not singletons:
// an array that was pickled (multiprocessing, joblib), or made with a copied dtype, has a
// float64 descriptor of its own, so identity (py::dtype::is) would refuse it; NumPy's
// equivalence accepts it (and still refuses another byte order). And whether its data is
// aligned to its type (a view at an odd byte offset is not), as the core's pointers assume.
#pragma once

#include <pybind11/numpy.h>

#include <string>
#include <vector>

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

// h's data as T, checked: usable, and of the given shape (a column (r, 1) may also come as
// r values in 1-D where column_as_1d). The array is kept in `held` for the call: the lists
// that carry a call's arrays may lose them while the GIL is released (another thread, or a
// progress callback, emptying them), and a freed array's memory would be used.
template <class T>
T* checked(pybind11::handle h, const std::string& what, const std::vector<std::size_t>& shape, bool writeable,
           std::vector<pybind11::array>& held, bool column_as_1d = false) {
    const pybind11::array& a = held.emplace_back(usable<T>(h, what, writeable));
    bool ok = std::size_t(a.ndim()) == shape.size();
    for (std::size_t k = 0; ok && k < shape.size(); ++k) ok = std::size_t(a.shape(k)) == shape[k];
    if (column_as_1d && shape.size() == 2 && shape[1] == 1 && a.ndim() == 1) ok = std::size_t(a.shape(0)) == shape[0];
    if (!ok) {
        std::string dims;
        for (std::size_t d : shape) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
        throw pybind11::value_error(what + " must have shape (" + dims + ")");
    }
    return data_of<T>(a);
}
