// The one parallel loop of the core. Work is split into tasks whose results do not
// depend on which thread runs them, so the output never depends on the thread count.
//
// Tasks run on the caller and on a process-wide pool of threads that are started once
// and kept (parallel.cpp): a training step of a small network lasts a microsecond or
// two, far less than starting a thread. Should the pool be in use (another thread
// of the caller's process is in a parallel_for, or a task itself calls one), the loop
// starts threads of its own for that call instead.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "weightinit/thread_exit.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace weightinit {

namespace detail {

// One turn of a spin-wait: PAUSE on x86 (yields the core's pipeline to its other
// hyperthread, and eases the exit from the loop), nothing elsewhere.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
}

using TaskFn = void (*)(void* ctx, std::size_t task);

// Forks of this process that this process is a child of: bumped in a forked child
// (pthread_atfork). A signal handler or callback that a call runs (Ctrl-C's poll, a
// progress callback) may fork, and the child then goes on in the call without the threads
// the call was running on; its waits compare this count with the one they began under and
// give up where it moved, instead of waiting for ever.
std::uint64_t fork_count() noexcept;

}  // namespace detail

// What a forked child gets from a call whose threads stayed in its parent.
struct ForkedDuringCall : std::runtime_error {
    ForkedDuringCall()
        : std::runtime_error(
              "the process forked during this call (in a signal handler or callback it ran): the child has "
              "none of the threads the call was running on and cannot finish it; fork outside weightinit's "
              "calls, or end the child with os._exit") {}
};

namespace detail {

enum class PoolRun { ran, refused, forked };

// Runs fn(ctx, t) for every t in [0, ntasks) on the calling thread and up to `helpers`
// pool threads, returning when all have finished. fn must not throw. Returns refused,
// having run nothing, when the pool is busy or cannot take the job; forked where a task
// the caller ran forked the process and this is the child, in which the tasks that pool
// threads had taken will never finish.
PoolRun pool_run(std::size_t ntasks, std::size_t helpers, TaskFn fn, void* ctx) noexcept;

// CPUs this process may run on: its affinity mask, as a container or taskset sets it.
std::size_t usable_cpus() noexcept;

// The same loop on threads started for this call alone. In a child forked by one of the
// caller's tasks it leaves those threads (the child has none of them) and returns false
// if a task they took is unfinished; true otherwise.
bool spawn_run(std::size_t ntasks, std::size_t threads, TaskFn fn, void* ctx);

// The calling thread's floating-point control (on x86, MXCSR less its sticky flags), which
// pool threads take on for each job so that every thread computes the same bits; exposed
// for the tests, which set flush-to-zero as a -ffast-math library would.
unsigned fp_control() noexcept;
void set_fp_control(unsigned control) noexcept;  // bits beyond the control bits are ignored
// set_fp_control for callers outside the library (the tests' hook): std::invalid_argument,
// nothing changed, where it would unmask a floating-point exception.
void set_fp_control_masked(unsigned control);

// The most threads one loop runs on, the caller's included: the pool's helpers are
// counted in 8 bits (parallel.cpp), and a loop that starts threads of its own is held to
// as many, or a thread count of 65536 would start one per task.
constexpr std::size_t max_loop_threads = 256;

// The threads a loop given nthreads runs on: at least 1, at most max_loop_threads. What
// sizes work or memory by the thread count (a sweep's workers, sparse's column tasks) reads
// it from here.
inline std::size_t loop_threads(int nthreads) noexcept {
    return std::min(static_cast<std::size_t>(std::max(nthreads, 1)), max_loop_threads);
}

}  // namespace detail

// Runs body(t) for t in [0, ntasks) on up to nthreads threads (the caller's
// included; at most detail::max_loop_threads). The first exception thrown by any task is
// rethrown in the caller; the tasks not yet started when it was thrown are skipped.
template <class Body>
void parallel_for(std::size_t ntasks, int nthreads, Body&& body) {
    const std::size_t workers = std::min(ntasks, detail::loop_threads(nthreads));
    if (workers <= 1) {
        for (std::size_t t = 0; t < ntasks; ++t) body(t);
        return;
    }
    struct Context {
        explicit Context(Body& b) : body(b) {}
        Body& body;
        std::atomic<bool> failed{false};
        std::exception_ptr error;
        std::mutex error_mutex;
    } ctx(body);
    const detail::TaskFn fn = [](void* p, std::size_t t) {
        Context& c = *static_cast<Context*>(p);
        if (c.failed.load(std::memory_order_relaxed)) return;
        try {
            c.body(t);
        }
        WI_PARK_ON_THREAD_EXIT
        catch (...) {
            std::lock_guard<std::mutex> lock(c.error_mutex);
            if (!c.error) c.error = std::current_exception();
            c.failed.store(true, std::memory_order_relaxed);
        }
    };
    detail::PoolRun ran = detail::pool_run(ntasks, workers - 1, fn, &ctx);
    if (ran == detail::PoolRun::refused && !detail::spawn_run(ntasks, workers, fn, &ctx)) ran = detail::PoolRun::forked;
    if (ctx.error) std::rethrow_exception(ctx.error);  // a task's first (ForkedDuringCall, or the child's own)
    if (ran == detail::PoolRun::forked) throw ForkedDuringCall();
}

}  // namespace weightinit
