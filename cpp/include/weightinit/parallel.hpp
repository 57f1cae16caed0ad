// The one parallel loop of the core. Work is split into tasks whose results do not
// depend on which thread runs them, so the output never depends on the thread count.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace weightinit {

// Runs body(t) for t in [0, ntasks) on up to nthreads threads (the caller's
// included). The first exception thrown by any task is rethrown in the caller.
template <class Body>
void parallel_for(std::size_t ntasks, int nthreads, Body&& body) {
    const std::size_t workers =
        std::min<std::size_t>(ntasks, static_cast<std::size_t>(std::max(nthreads, 1)));
    if (workers <= 1) {
        for (std::size_t t = 0; t < ntasks; ++t) body(t);
        return;
    }
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex error_mutex;
    auto run = [&] {
        for (std::size_t t; (t = next.fetch_add(1)) < ntasks;) {
            try {
                body(t);
            } catch (...) {
                std::lock_guard<std::mutex> lock(error_mutex);
                if (!error) error = std::current_exception();
                next.store(ntasks);
            }
        }
    };
    std::vector<std::thread> threads;
    threads.reserve(workers - 1);
    for (std::size_t w = 1; w < workers; ++w) threads.emplace_back(run);
    run();
    for (auto& th : threads) th.join();
    if (error) std::rethrow_exception(error);
}

}  // namespace weightinit
