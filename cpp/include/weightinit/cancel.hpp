// Stopping long work early: the caller passes a Cancel, the work polls it through a
// CancelPoll at points where stopping leaves nothing inconsistent, and Cancelled
// unwinds to the caller. The core knows nothing of who asks (the bindings ask Python
// whether Ctrl-C was pressed, which needs the GIL, hence the rate limit).
#pragma once

#include <chrono>
#include <exception>
#include <functional>

namespace weightinit {

// Returns true to stop the work.
using Cancel = std::function<bool()>;

struct Cancelled : std::exception {
    const char* what() const noexcept override { return "weightinit: cancelled"; }
};

// Calls cancel at most every `interval`; throws Cancelled when it returns true. Not
// thread-safe: one thread (the one cancel may be called on) polls.
class CancelPoll {
public:
    explicit CancelPoll(const Cancel& cancel, std::chrono::milliseconds interval = std::chrono::milliseconds(50))
        : cancel_(cancel), interval_(interval), last_(std::chrono::steady_clock::now()) {}

    // This poll, or nullptr without a cancel: callers skip their polling points' cost then.
    CancelPoll* active() { return cancel_ ? this : nullptr; }

    void operator()() {
        if (!cancel_) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < interval_) return;
        last_ = now;
        if (cancel_()) throw Cancelled();
    }

private:
    const Cancel& cancel_;
    std::chrono::milliseconds interval_;
    std::chrono::steady_clock::time_point last_;
};

}  // namespace weightinit
