// Transparent huge pages for large arrays that are filled once (synapse tables, edges read).
//
// Every 4 KiB page of a fresh allocation costs a page fault on first touch; on virtual
// machines a fault costs microseconds, and building 10^7 synapses spent about half its time
// in them (measured: `apical check` of a 10^7-edge SONATA circuit, 3.5 s -> 1.8 s with huge
// pages). A 2 MiB page takes one fault for 512 of them. Linux hands out huge pages to
// ranges marked with madvise(MADV_HUGEPAGE) when transparent huge pages are in "madvise"
// mode (Debian's default), so a large buffer is marked after it is reserved and before it is
// filled. A hint only: where the kernel or the mode does not allow it, nothing changes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace apical {

inline constexpr std::size_t huge_page_bytes = std::size_t(2) << 20;

// Marks the whole 2 MiB pages inside [p, p + bytes) for huge pages (ranges under two pages:
// not worth it, left alone).
inline void prefer_huge_pages(const void* p, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes < 2 * huge_page_bytes) return;
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t begin = (a + huge_page_bytes - 1) & ~(huge_page_bytes - 1);
    const std::uintptr_t end = (a + bytes) & ~(huge_page_bytes - 1);
    if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

// The capacity of `v` (call after reserve, before filling it).
template <class T, class A>
void prefer_huge_pages(const std::vector<T, A>& v) {
    prefer_huge_pages(v.data(), v.capacity() * sizeof(T));
}

// Reserves `n` elements, marks them for huge pages, then resizes to `n` (its first touch).
template <class T, class A>
void resize_on_huge_pages(std::vector<T, A>& v, std::size_t n) {
    v.reserve(n);
    prefer_huge_pages(v);
    v.resize(n);
}

}  // namespace apical
