// Ctrl-C during long core calls. The core polls a weightinit::Cancel while the GIL is
// released; this one takes the GIL for a moment and asks Python whether a signal came.
// PyErr_CheckSignals runs the handler, which leaves its error (KeyboardInterrupt) set,
// and module.cpp's translator lets the resulting weightinit::Cancelled raise that error.
#pragma once

#include <pybind11/pybind11.h>

#include "gil.hpp"
#include "weightinit/cancel.hpp"

inline weightinit::Cancel python_signals() {
    return [] {
        AcquireGil gil;
        return PyErr_CheckSignals() != 0;
    };
}
