#include "core/huge_pages.h"

#include <sys/mman.h>

#include <cstdint>

namespace mw {

namespace {
constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;
}

void advise_huge_pages(void* data, std::size_t bytes) {
  if (bytes < kHugePageAdviceBytes) return;
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);  // whole huge pages inside
  const std::uintptr_t last = (begin + bytes) & ~(kHugePage - 1);
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

}  // namespace mw
