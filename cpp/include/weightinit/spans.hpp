// Whether the buffers of one call overlap where they must not. The core's functions take
// raw pointers: an output that shared memory with an input (a W that is a view of X, say)
// would be read after it was overwritten, and the result silently wrong.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
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
// least one is written (A). O(n log n): sorted by start (unless they come sorted), each
// span is checked against the furthest end so far of the written spans and of all spans.
// A 500-layer network's ~1000 spans cost ~20 us a call here.
inline void check_disjoint(const std::vector<Span>& spans) {
    struct Key {
        std::uintptr_t start, end;
        std::size_t index;
    };
    std::vector<Key> keys;
    keys.reserve(spans.size());
    for (std::size_t i = 0; i < spans.size(); ++i) {
        const auto start = reinterpret_cast<std::uintptr_t>(spans[i].begin);
        if (!spans[i].begin || spans[i].bytes == 0) continue;
        const std::uintptr_t room = std::numeric_limits<std::uintptr_t>::max() - start;  // no wrap
        keys.push_back({start, start + std::min<std::uintptr_t>(spans[i].bytes, room), i});
    }
    auto before = [](const Key& a, const Key& b) { return a.start < b.start || (a.start == b.start && a.index < b.index); };
    if (!std::is_sorted(keys.begin(), keys.end(), before)) std::sort(keys.begin(), keys.end(), before);
    const Key* reach_all = nullptr;      // of the spans so far, the one that ends furthest
    const Key* reach_written = nullptr;  // and of the written ones
    for (const Key& k : keys) {
        const Span& s = spans[k.index];
        const Key* other = s.written ? reach_all : reach_written;
        if (other && k.start < other->end) {  // the written one named first
            const Span& o = spans[other->index];
            throw std::invalid_argument(s.written ? s.label() + " must not overlap " + o.label()
                                                  : o.label() + " must not overlap " + s.label());
        }
        if (!reach_all || k.end > reach_all->end) reach_all = &k;
        if (s.written && (!reach_written || k.end > reach_written->end)) reach_written = &k;
    }
}

}  // namespace weightinit
