#include "core/memory_return.h"

#include <malloc.h>

namespace mw {

void return_large_buffers_to_system() {
  mallopt(M_MMAP_THRESHOLD, int(kMmapThresholdBytes));
  mallopt(M_TRIM_THRESHOLD, int(kTrimThresholdBytes));
}

}  // namespace mw
