// Threads ended from outside while they run core code.
//
// pthread_exit (which Python 3.11-3.13 calls on a daemon thread that waits for the GIL
// while the interpreter finalizes) unwinds the thread's stack with abi::__forced_unwind.
// A catch (...) that ends without rethrowing it aborts the process ("FATAL: exception not
// rethrown"), and so does its crossing a noexcept frame, such as a pool task's. Where the
// core catches everything, WI_PARK_ON_THREAD_EXIT (placed before that catch (...)) stops
// such a thread for good instead: the process is ending.
#pragma once

#include <chrono>
#include <thread>

namespace weightinit {

[[noreturn]] inline void park_forever() {
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}

}  // namespace weightinit

#if defined(__GLIBCXX__)
#include <cxxabi.h>
#define WI_PARK_ON_THREAD_EXIT \
    catch (abi::__forced_unwind&) { ::weightinit::park_forever(); }
#else
#define WI_PARK_ON_THREAD_EXIT
#endif
