// Whether the buffers of one call overlap where they must not. The core's functions take
// raw pointers: an output that shared memory with an input (a W that is a view of X, say)
// would be read after it was overwritten, and the result silently wrong.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace weightinit {

// Named by a string literal, and a layer's number after it where layer > 0 (W1, b1, ...):
// a message is only built for an error, not for every call of a deep network.
struct Span {
    const void* begin;
    std::size_t bytes;
    bool written;  // the call writes it: it may overlap nothing; read-only spans may share memory
    const char* name;
    std::size_t layer = 0;
    std::string label() const { return layer ? name + std::to_string(layer) : std::string(name); }
};

// A span per layer l < layers where arrays[l] is given: count(l) values of T, named
// name + (l + 1).
template <class T, class Count>
void add_layer_spans(std::vector<Span>& spans, const T* const* arrays, std::size_t layers, Count count, bool written,
                     const char* name) {
    for (std::size_t l = 0; arrays && l < layers; ++l)
        if (arrays[l]) spans.push_back({arrays[l], count(l) * sizeof(T), written, name, l + 1});
}

// Throws std::invalid_argument("A must not overlap B") for an overlapping pair of which at
// least one is written (A). O(n log n): sorted by start, each span is checked against the
// furthest end so far of the written spans and of all spans.
inline void check_disjoint(std::vector<Span> spans) {
    auto start = [](const Span& s) { return reinterpret_cast<std::uintptr_t>(s.begin); };
    spans.erase(std::remove_if(spans.begin(), spans.end(), [](const Span& s) { return s.bytes == 0 || !s.begin; }),
                spans.end());
    std::stable_sort(spans.begin(), spans.end(), [&](const Span& a, const Span& b) { return start(a) < start(b); });
    const Span* reach_all = nullptr;      // of the spans so far, the one that ends furthest
    const Span* reach_written = nullptr;  // and of the written ones
    auto end = [&](const Span* s) { return start(*s) + s->bytes; };
    for (const Span& s : spans) {
        const Span* other = s.written ? reach_all : reach_written;
        if (other && start(s) < end(other))  // the written one named first
            throw std::invalid_argument(s.written ? s.label() + " must not overlap " + other->label()
                                                  : other->label() + " must not overlap " + s.label());
        if (!reach_all || end(&s) > end(reach_all)) reach_all = &s;
        if (s.written && (!reach_written || end(&s) > end(reach_written))) reach_written = &s;
    }
}

}  // namespace weightinit
