// Releasing and taking back the GIL, safe for daemon threads at interpreter exit.
//
// While the interpreter finalizes, Python (3.11 to 3.13) ends any thread other than the
// finalizing one that takes the GIL back, with pthread_exit. Unwinding that through C++
// frames aborted the process (pybind11's noexcept guard destructors call std::terminate,
// a catch (...) that does not rethrow is fatal), so a daemon thread inside any call of
// this module made the whole process die with SIGABRT at exit. Here the thread that Python
// ends stops where it is, inside the GIL call, as CPython 3.14 makes such threads do: no
// frame of ours unwinds, no Python object is released without the GIL. The thread that
// runs finalization (a __del__ calling the core at exit) is not ended and goes on.
// Not covered: a daemon thread still inside an OpenBLAS call (orthogonal's QR, a wide
// layer's GEMM) when exit() runs OpenBLAS's destructors, which free its buffers under it:
// helper-157 saw SIGSEGV at 2 to 4 exits in 25, as NumPy's own qr in daemon threads gives
// (6 in 25). Join such threads before exit.
#pragma once

#include <Python.h>

#include "weightinit/thread_exit.hpp"

// The GIL released for the scope (pybind11::gil_scoped_release's role).
class ReleaseGil {
public:
    ReleaseGil() : state_(PyEval_SaveThread()) {}
    ~ReleaseGil() {
        PyThreadState* state = state_;
        weightinit::park_on_thread_exit([state] { PyEval_RestoreThread(state); });
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
        // Once finalization has cleared the GIL state, PyGILState_Ensure builds a thread state
        // for an interpreter that is gone and dereferences null (1 exit in 150 with a daemon
        // thread in fit crashed so). A thread without a state of its own while the interpreter
        // is not initialized parks at once; the finalizing thread keeps its state and goes on.
        if (!Py_IsInitialized() && PyGILState_GetThisThreadState() == nullptr) weightinit::park_forever();
        weightinit::park_on_thread_exit([this] { state_ = PyGILState_Ensure(); });
    }
    ~AcquireGil() { PyGILState_Release(state_); }
    AcquireGil(const AcquireGil&) = delete;
    AcquireGil& operator=(const AcquireGil&) = delete;

private:
    PyGILState_STATE state_;
};
