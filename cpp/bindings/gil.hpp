// Releasing and taking back the GIL, safe for daemon threads at interpreter exit.
//
// While the interpreter finalizes, Python (3.11 to 3.13) ends a thread that takes the GIL
// back with pthread_exit. Unwinding that through C++ frames aborts the process (a
// noexcept destructor on the way calls std::terminate, a catch (...) that does not rethrow
// is fatal), so a daemon thread inside any call of this module made the whole process die
// with SIGABRT at exit. A thread that would take the GIL during finalization waits for the
// process to end instead, as CPython 3.14 makes such threads do itself.
#pragma once

#include <Python.h>

#include "weightinit/thread_exit.hpp"

inline bool python_finalizing() {
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing() != 0;
#else
    return _Py_IsFinalizing() != 0;
#endif
}

[[noreturn]] inline void wait_for_exit() { weightinit::park_forever(); }

// The GIL released for the scope (pybind11::gil_scoped_release's role). A thread already
// waiting for the GIL when finalization starts is still ended by Python; the destructor
// lets that unwinding pass (pybind11's dispatcher rethrows it) rather than terminate.
class ReleaseGil {
public:
    ReleaseGil() : state_(PyEval_SaveThread()) {}
    ~ReleaseGil() noexcept(false) {
        if (python_finalizing()) wait_for_exit();
        PyEval_RestoreThread(state_);
    }
    ReleaseGil(const ReleaseGil&) = delete;
    ReleaseGil& operator=(const ReleaseGil&) = delete;

private:
    PyThreadState* state_;
};

// The GIL held for the scope, from any thread (pybind11::gil_scoped_acquire's role).
class AcquireGil {
public:
    AcquireGil() {
        if (python_finalizing()) wait_for_exit();
        state_ = PyGILState_Ensure();
    }
    ~AcquireGil() { PyGILState_Release(state_); }
    AcquireGil(const AcquireGil&) = delete;
    AcquireGil& operator=(const AcquireGil&) = delete;

private:
    PyGILState_STATE state_;
};
