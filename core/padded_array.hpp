// Arrays padded to the widest SIMD vector, for the neuron models' vectorised updates
// (neurons/simd.hpp, docs/architecture.md "Vectorised neuron updates").
//
// A PaddedVector<T> is a std::vector whose allocation is rounded up to a multiple of
// simd_pad elements, aligned to 64 bytes and zero-filled: a loop over whole vectors of any
// width up to simd_pad may read and write up to padded_size(size()) elements, so no neuron
// is left to a scalar remainder loop (each neuron's arithmetic is the same whatever its
// position, which keeps results independent of the decomposition). The elements past size()
// belong to no neuron: models ignore their results (they never emit spikes).
#pragma once

#include <cstddef>
#include <cstring>
#include <new>
#include <vector>

namespace apical {

// 32 doubles (four AVX-512 vectors: the models that step several vectors at once) or 32
// floats (two): a multiple of every target's lanes.
constexpr std::size_t simd_pad = 32;

constexpr std::size_t padded_size(std::size_t n) { return (n + simd_pad - 1) / simd_pad * simd_pad; }

template <class T>
struct PaddedAllocator {
    using value_type = T;
    static constexpr std::align_val_t alignment{64};
    PaddedAllocator() = default;
    template <class U>
    PaddedAllocator(const PaddedAllocator<U>&) {}
    T* allocate(std::size_t n) {
        const std::size_t bytes = padded_size(n) * sizeof(T);
        void* p = ::operator new(bytes, alignment);
        std::memset(p, 0, bytes);  // the padding starts as zeros, never as garbage (NaN, denormals)
        return static_cast<T*>(p);
    }
    void deallocate(T* p, std::size_t) { ::operator delete(p, alignment); }
    template <class U>
    bool operator==(const PaddedAllocator<U>&) const { return true; }
};

template <class T>
using PaddedVector = std::vector<T, PaddedAllocator<T>>;

}  // namespace apical
