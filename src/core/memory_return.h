// Memory that comes back: with glibc's defaults, freeing a large buffer that
// came from mmap raises the mmap threshold to its size, so the next photos'
// buffers come from the heap arenas and stay there after a burst (a server's
// resident memory kept the peak of its largest requests). A fixed threshold
// keeps every buffer from kMmapThresholdBytes up on mmap, returned when freed.
#pragma once
#include <cstddef>

namespace mw {

inline constexpr std::size_t kMmapThresholdBytes = std::size_t{1} << 20;
inline constexpr std::size_t kTrimThresholdBytes = std::size_t{8} << 20;  // free heap top kept before trimming

// Sets the thresholds for this process (long-running ones: serve, watch).
// Call before the threads that serve requests start; never fails.
void return_large_buffers_to_system();

}  // namespace mw
