// Large buffers filled once at start-up (a model's weights, read and copied)
// cost one page fault per 4 KiB page, and faults are what loading a model
// spends most of its time on. Asking for transparent huge pages first makes
// that one fault per 2 MiB where the kernel allows it (THP "madvise" mode).
#pragma once
#include <cstddef>

namespace mw {

// Below this, a buffer is left to ordinary pages.
inline constexpr std::size_t kHugePageAdviceBytes = std::size_t{4} << 20;

// Advises the kernel to back [data, data + bytes) with huge pages: call it on
// a buffer whose capacity is reserved but not yet touched. Does nothing for
// small buffers or where the kernel refuses; never fails.
void advise_huge_pages(void* data, std::size_t bytes);

}  // namespace mw
