// An uninitialized array for the core's scratch memory (the MLP engine's activations, the
// QR's column-major copy): 64-byte aligned, and asking for transparent huge pages when
// large, where the kernel gives them only on request (a fresh 4 KiB page costs ~2.5 us on
// the development host, DESIGN.md 7; a 4096^2 float64 copy is 32 768 of them).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace weightinit {

template <class T>
class Buffer {
public:
    Buffer() = default;
    explicit Buffer(std::size_t n) { reserve(n); }
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    Buffer(Buffer&& other) noexcept : data_(other.data_), size_(other.size_) {
        other.data_ = nullptr;
        other.size_ = 0;
    }
    ~Buffer() { std::free(data_); }

    // At least n elements; previous contents are discarded when it grows.
    T* reserve(std::size_t n) {
        if (n > size_) {
            constexpr std::size_t huge = std::size_t(2) << 20;
            if (n > (std::size_t(-1) - huge) / sizeof(T)) throw std::bad_alloc();
            const std::size_t bytes = std::max<std::size_t>(n * sizeof(T), 64);
            const std::size_t align = bytes >= huge ? huge : 64;
            const std::size_t rounded = (bytes + align - 1) / align * align;
            void* p = std::aligned_alloc(align, rounded);
            if (!p) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
            if (align == huge) madvise(p, rounded, MADV_HUGEPAGE);
#endif
            std::free(data_);
            data_ = static_cast<T*>(p);
            size_ = rounded / sizeof(T);
        }
        return data_;
    }
    T* data() const { return data_; }

private:
    T* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace weightinit
