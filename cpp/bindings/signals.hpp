// Ctrl-C during long core calls. The core polls a weightinit::Cancel while the GIL is
// released; this one takes the GIL for a moment and asks Python whether a signal came.
// PyErr_CheckSignals runs the handler, which leaves its error (KeyboardInterrupt) set,
// and module.cpp's translator lets the resulting weightinit::Cancelled raise that error.
#pragma once

#include <pybind11/gil_safe_call_once.h>
#include <pybind11/pybind11.h>

#include "gil.hpp"
#include "weightinit/cancel.hpp"

// Whether this thread (holding the GIL) is Python's main thread, the one its signal
// handlers run on: elsewhere PyErr_CheckSignals never reports one, and taking the GIL
// every 50 ms to ask only slows the call while other threads run Python (13-25% in
// helper-74's measurement). CPython's own test, asked each time (the GIL held): a fork
// makes its thread the main one.
#if PY_VERSION_HEX >= 0x030D0000
// Python 3.13 moved _PyOS_IsMainThread to its internal headers. _thread's
// _get_main_thread_ident gives the runtime's main thread, which os.fork updates (~0.1 us a
// call); unlike _PyOS_IsMainThread it does not also ask for the main interpreter, moot while
// NumPy refuses to load in a subinterpreter. Should a later Python drop it,
// threading.main_thread() answers (untested: 3.13 to 3.15 all have it).
inline bool on_main_thread() {
    namespace py = pybind11;
    PYBIND11_CONSTINIT static py::gil_safe_call_once_and_store<py::object> storage;
    const py::object& ask = storage
                                .call_once_and_store_result([] {
                                    py::module_ thread = py::module_::import("_thread");
                                    return py::hasattr(thread, "_get_main_thread_ident")
                                               ? py::object(thread.attr("_get_main_thread_ident"))
                                               : py::object(py::none());
                                })
                                .get_stored();
    const py::object ident =
        ask.is_none() ? py::module_::import("threading").attr("main_thread")().attr("ident") : ask();
    return ident.cast<unsigned long>() == PyThread_get_thread_ident();
}
#else
inline bool on_main_thread() { return _PyOS_IsMainThread() != 0; }  // intrcheck.h
#endif

// Needs the GIL (it asks which thread this is); an empty Cancel off the main thread.
inline weightinit::Cancel python_signals() {
    if (!on_main_thread()) return {};
    return [] {
        AcquireGil gil;
        return PyErr_CheckSignals() != 0;
    };
}
