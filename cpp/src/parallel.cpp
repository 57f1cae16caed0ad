// parallel.hpp's thread pool: threads started on first need and kept for the process.
//
// A job is published in one 64-bit word, `state` = generation (24 bits) | helper slots
// left (8) | next task (16) | task count (16), changed only by compare-and-swap (larger
// jobs start threads of their own). A worker joins the job it sees by taking a slot, so
// no more threads than asked for ever run a job's tasks; it then claims tasks by
// advancing `next` while the generation is still the one it joined. It reads the job's function only after a claim succeeded: the job
// cannot end (and be replaced) before each claimed task reported done, so whatever a
// thread claimed, it runs with the right job, however late it woke. `done` counts
// finished tasks; the caller returns when it reaches the count. A helper's claim could
// land in a later job without a slot of it only if the whole word came back to the value
// it last read, 2^24 jobs later, between its read and its compare-and-swap.
//
// Idle workers spin for a short while (a training step's serial part lasts well under a
// microsecond), then sleep on a condition variable. Workers beyond the CPUs this process
// may use never spin, so that asking for more threads than CPUs does not starve the ones
// at work.
#include "weightinit/parallel.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>

#include <pthread.h>
#include <sched.h>

#include <stdexcept>

namespace weightinit::detail {

// The floating-point control bits (x86-64: MXCSR less its sticky exception flags; aarch64:
// FPCR): rounding, flush-to-zero, denormals-are-zero, exception masks or trap enables.
// Threads inherit them when started, so a library
// built with -ffast-math that sets flush-to-zero in the caller after the pool started
// would leave the pool computing other bits for subnormals; helpers take the caller's.
#if defined(__SSE__)
// The control bits are 6-15; bits 16-31 are reserved (writing them faults), so
// set_fp_control ignores them.
constexpr unsigned fp_flags = 0x3F, fp_controls = 0xFFC0;
unsigned fp_control() noexcept { return _mm_getcsr() & fp_controls; }
void set_fp_control(unsigned control) noexcept {
    control &= fp_controls;
    const unsigned now = _mm_getcsr();
    if ((now & fp_controls) != control) _mm_setcsr((now & fp_flags) | control);
}
constexpr unsigned fp_masks = 0x1F80;  // the exception masks, bits 7-12
constexpr bool traps_masked(unsigned control) { return (control & fp_masks) == fp_masks; }
#elif defined(__aarch64__)
// FPCR's control bits: the trap enables IOE, DZE, OFE, UFE, IXE (8-12) and IDE (15), FZ16 (19),
// RMode (22-23), FZ (24, flush-to-zero, which -ffast-math's crtfastmath.o sets), DN (25), AHP (26).
constexpr unsigned fp_controls = 0x07C89F00u, fp_traps = 0x9F00u;
inline std::uint64_t read_fpcr() noexcept {
    std::uint64_t r;
    __asm__ volatile("mrs %0, fpcr" : "=r"(r));
    return r;
}
unsigned fp_control() noexcept { return unsigned(read_fpcr()) & fp_controls; }
void set_fp_control(unsigned control) noexcept {
    control &= fp_controls;
    const std::uint64_t now = read_fpcr();
    if ((unsigned(now) & fp_controls) != control) {
        const std::uint64_t v = (now & ~std::uint64_t(fp_controls)) | control;
        __asm__ volatile("msr fpcr, %0" : : "r"(v));
    }
}
constexpr bool traps_masked(unsigned control) { return (control & fp_traps) == 0; }
#else
unsigned fp_control() noexcept { return 0; }
void set_fp_control(unsigned) noexcept {}
constexpr bool traps_masked(unsigned) { return true; }
#endif
void set_fp_control_masked(unsigned control) {
    if (!traps_masked(control))
        throw std::invalid_argument("set_fp_control: the exception masks (MXCSR bits 7-12) must stay set, and "
                                    "FPCR's trap enables (bits 8-12, 15) clear: otherwise a NaN anywhere "
                                    "(NumPy's too) would stop the process with SIGFPE");
    set_fp_control(control);
}

namespace {

constexpr unsigned task_bits = 16, slot_bits = 8;
constexpr std::uint64_t task_mask = (std::uint64_t(1) << task_bits) - 1;
constexpr std::uint64_t slot_mask = (std::uint64_t(1) << slot_bits) - 1;
constexpr unsigned next_shift = task_bits, slot_shift = 2 * task_bits, gen_shift = 2 * task_bits + slot_bits;
constexpr std::size_t max_pool_tasks = task_mask;
constexpr std::size_t max_pool_helpers = slot_mask;
static_assert(max_loop_threads - 1 <= max_pool_helpers, "a loop's helpers fit the pool's slots");
constexpr auto worker_spin = std::chrono::microseconds(100);
constexpr unsigned caller_spins = 512;  // pauses (~10 us) before the waiting caller yields

constexpr std::uint64_t gen_of(std::uint64_t s) { return s >> gen_shift; }
constexpr std::uint64_t slots_of(std::uint64_t s) { return (s >> slot_shift) & slot_mask; }
constexpr std::uint64_t next_of(std::uint64_t s) { return (s >> next_shift) & task_mask; }
constexpr std::uint64_t count_of(std::uint64_t s) { return s & task_mask; }
constexpr std::uint64_t one_task = std::uint64_t(1) << next_shift;
constexpr std::uint64_t one_slot = std::uint64_t(1) << slot_shift;
constexpr std::uint64_t gen_mask = (std::uint64_t(1) << (64 - gen_shift)) - 1;

struct Pool {
    alignas(64) std::atomic<std::uint64_t> state{0};
    alignas(64) std::atomic<std::size_t> done{0};
    alignas(64) std::atomic<TaskFn> fn{nullptr};
    std::atomic<void*> ctx{nullptr};
    std::atomic<unsigned> control{0};  // the caller's fp_control()
    alignas(64) std::atomic<bool> busy{false};
    std::atomic<int> sleepers{0};
    std::mutex mutex;
    std::condition_variable wake;
    // Touched only by the caller holding busy: workers started so far, and whether the
    // system refused one (then no more are asked for).
    std::size_t nthreads = 0;
    bool refused = false;
    const std::size_t spinners = usable_cpus() - 1;

    // Runs a claimed task: reads the job only now (see the top of this file).
    void run(std::uint64_t task) {
        set_fp_control(control.load(std::memory_order_relaxed));
        fn.load(std::memory_order_relaxed)(ctx.load(std::memory_order_relaxed), task);
        done.fetch_add(1, std::memory_order_release);
    }

    // Claims and runs tasks of job `gen` until it has none left.
    void work(std::uint64_t gen) {
        std::uint64_t s = state.load(std::memory_order_acquire);
        for (;;) {
            if (gen_of(s) != gen || next_of(s) >= count_of(s)) return;
            if (!state.compare_exchange_weak(s, s + one_task, std::memory_order_acq_rel, std::memory_order_acquire))
                continue;
            run(next_of(s));
            s = state.load(std::memory_order_acquire);
        }
    }

    // Joins the job in s (reloaded as it changes) by taking a helper slot and its next
    // task in one step, and runs that task and then others; false if it could not join.
    bool join(std::uint64_t& s) {
        while (slots_of(s) > 0 && next_of(s) < count_of(s)) {
            if (!state.compare_exchange_weak(s, s - one_slot + one_task, std::memory_order_acq_rel,
                                             std::memory_order_acquire))
                continue;
            run(next_of(s));
            work(gen_of(s));
            return true;
        }
        return false;
    }

    // `seen`: the generation before the first job this worker may join.
    void worker(std::size_t index, std::uint64_t seen) {
        for (;;) {
            std::uint64_t s = state.load(std::memory_order_acquire);
            if (index < spinners) {
                const auto start = std::chrono::steady_clock::now();
                for (unsigned i = 1; gen_of(s) == seen; ++i) {
                    cpu_relax();
                    s = state.load(std::memory_order_acquire);
                    if (i % 64 == 0 && std::chrono::steady_clock::now() - start > worker_spin) break;
                }
            }
            if (gen_of(s) == seen) {
                std::unique_lock<std::mutex> lock(mutex);
                sleepers.fetch_add(1);
                wake.wait(lock, [&] { return gen_of(s = state.load()) != seen; });
                sleepers.fetch_sub(1);
            }
            join(s);
            seen = gen_of(s);
        }
    }

    // Starts workers up to `want` (fewer if the system refuses); returns how many run.
    // Called by the caller holding busy, before it publishes its job.
    // After a refusal it stops asking: each try costs a system call.
    std::size_t ensure_threads(std::size_t want) noexcept {
        want = std::min(want, max_pool_helpers);
        while (nthreads < want && !refused) {
            try {
                std::thread(&Pool::worker, this, nthreads, gen_of(state.load())).detach();
            } catch (...) {  // std::system_error, or std::bad_alloc for the thread's state
                refused = true;
                break;
            }
            ++nthreads;
        }
        return nthreads;
    }

    // False where a task forked the process and this is the child (see fork_count).
    bool run(std::size_t ntasks, std::size_t want, TaskFn f, void* c) noexcept {
        const std::uint64_t forks_before = fork_count();
        fn.store(f, std::memory_order_relaxed);
        ctx.store(c, std::memory_order_relaxed);
        control.store(fp_control(), std::memory_order_relaxed);
        const std::uint64_t slots = std::min(want, ensure_threads(want));
        done.store(0, std::memory_order_relaxed);
        const std::uint64_t gen = (gen_of(state.load(std::memory_order_relaxed)) + 1) & gen_mask;
        // seq_cst: ordered before reading sleepers (see worker).
        state.store((gen << gen_shift) | (slots << slot_shift) | ntasks);
        // As many sleepers as there are slots: waking the others would only have them
        // contend for the mutex and go back to sleep.
        if (const std::uint64_t asleep = std::uint64_t(std::max(sleepers.load(), 0)); asleep > 0 && slots > 0) {
            { std::lock_guard<std::mutex> lock(mutex); }
            for (std::uint64_t i = 0; i < std::min(slots, asleep); ++i) wake.notify_one();
        }
        work(gen);
        for (unsigned i = 0; done.load(std::memory_order_acquire) < ntasks; ++i) {
            if (i < caller_spins)
                cpu_relax();
            else if (fork_count() != forks_before)
                return false;
            else
                std::this_thread::yield();
        }
        return true;
    }
};

// The pool is never destroyed: its threads may still be sleeping in it at exit. A forked
// child has none of the parent's threads, so it starts a pool of its own.
std::atomic<Pool*> the_pool{nullptr};

std::atomic<std::uint64_t> forks{0};

void forget_pool_in_child() {
    forks.fetch_add(1, std::memory_order_relaxed);
    the_pool.store(nullptr);
}

// Registered when the library loads: a function-local static would take a lock that a
// fork on another thread could leave held in the child.
[[maybe_unused]] const int atfork_registered = pthread_atfork(nullptr, nullptr, forget_pool_in_child);

Pool* pool() {
    Pool* p = the_pool.load(std::memory_order_acquire);
    if (p) return p;
    Pool* fresh = new (std::nothrow) Pool;
    if (!fresh) return nullptr;
    if (!the_pool.compare_exchange_strong(p, fresh)) {
        delete fresh;  // another thread installed one first; this one started no thread
        return p;
    }
    return fresh;
}

}  // namespace

// CPUs this process may run on (its affinity mask, as a container or taskset sets it).
std::size_t usable_cpus() noexcept {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
    return std::max(1u, std::thread::hardware_concurrency());
}

std::uint64_t fork_count() noexcept { return forks.load(std::memory_order_relaxed); }

PoolRun pool_run(std::size_t ntasks, std::size_t helpers, TaskFn fn, void* ctx) noexcept {
    if (ntasks > max_pool_tasks) return PoolRun::refused;
    Pool* p = pool();
    if (!p || p->busy.exchange(true, std::memory_order_acquire)) return PoolRun::refused;
    // In a forked child the pool stays busy: the child forgot it (forget_pool_in_child).
    if (!p->run(ntasks, helpers, fn, ctx)) return PoolRun::forked;
    p->busy.store(false, std::memory_order_release);
    return PoolRun::ran;
}

bool spawn_run(std::size_t ntasks, std::size_t threads, TaskFn fn, void* ctx) {
    std::atomic<std::size_t> next{0}, finished{0};
    const std::uint64_t forks_before = fork_count();
    // Every task starts under the caller's floating-point control, as the pool's do: a
    // task's callback may change its thread's (a sweep's progress, say).
    const unsigned control = fp_control();
    auto run = [&] {
        for (std::size_t t; (t = next.fetch_add(1)) < ntasks;) {
            set_fp_control(control);
            fn(ctx, t);
            finished.fetch_add(1);
        }
    };
    std::vector<std::thread> started;
    started.reserve(threads - 1);
    for (std::size_t w = 1; w < threads; ++w) {
        try {
            started.emplace_back(run);
        } catch (...) {
            break;  // the threads that did start, and the caller, take the rest
        }
    }
    run();
    if (fork_count() != forks_before) {
        // A child: joining threads it does not have would wait for ever, and any pthread call
        // on their handles is undefined (detach threw EINVAL once the child's own threads had
        // reused their records, and the joinable handles' destructors then terminated;
        // helper-187). The handles are moved out, never destroyed: a move calls nothing.
        new std::vector<std::thread>(std::move(started));
        return finished.load() == ntasks;
    }
    for (auto& th : started) th.join();
    return true;
}

}  // namespace weightinit::detail
