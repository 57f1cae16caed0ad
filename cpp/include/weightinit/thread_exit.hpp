// Threads ended from outside while they run core code.
//
// pthread_exit (which Python 3.11-3.13 calls on a daemon thread that takes the GIL back
// while the interpreter finalizes) unwinds the thread's stack with abi::__forced_unwind.
// A catch (...) that ends without rethrowing it aborts the process ("FATAL: exception not
// rethrown"), and so does its crossing a noexcept frame, such as a pool task's. Where the
// core catches everything, WI_PARK_ON_THREAD_EXIT (placed before that catch (...)) stops
// such a thread for good instead, and park_on_thread_exit(f) does the same around a call
// that may end the thread. Parking is for a process that is ending: a thread cancelled
// with pthread_cancel in a live process would park too, where it aborted before.
#pragma once

#include <chrono>
#include <thread>

#if defined(__GLIBCXX__)
#include <cxxabi.h>
#endif

namespace weightinit {

[[noreturn]] inline void park_forever() {
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}

template <class F>
void park_on_thread_exit(F&& f) noexcept {
#if defined(__GLIBCXX__)
    try {
        f();
    } catch (abi::__forced_unwind&) {
        park_forever();
    }
#else
    f();
#endif
}

}  // namespace weightinit

#if defined(__GLIBCXX__)
#define WI_PARK_ON_THREAD_EXIT \
    catch (abi::__forced_unwind&) { ::weightinit::park_forever(); }
#else
#define WI_PARK_ON_THREAD_EXIT
#endif
