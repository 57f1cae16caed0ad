// Ctrl-C during long core calls. The core polls a weightinit::Cancel while the GIL is
// released; this one takes the GIL for a moment and asks Python whether a signal came.
// PyErr_CheckSignals runs the handler, which leaves its error (KeyboardInterrupt) set,
// and module.cpp's translator lets the resulting weightinit::Cancelled raise that error.
#pragma once

#include <pybind11/pybind11.h>

#include "gil.hpp"
#include "weightinit/cancel.hpp"

// Whether this thread (holding the GIL) is Python's main thread, the one its signal
// handlers run on: elsewhere PyErr_CheckSignals never reports one, and taking the GIL
// every 50 ms to ask only slows the call while other threads run Python (13-25% in
// helper-74's measurement). CPython's own test (intrcheck.h; the GIL held), asked each
// time: a fork makes its thread the main one.
inline bool on_main_thread() { return _PyOS_IsMainThread() != 0; }

// Needs the GIL (it asks which thread this is); an empty Cancel off the main thread.
inline weightinit::Cancel python_signals() {
    if (!on_main_thread()) return {};
    return [] {
        AcquireGil gil;
        return PyErr_CheckSignals() != 0;
    };
}
