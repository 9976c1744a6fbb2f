#include "maskwatch.h"

namespace mw {

const std::array<std::string, kNumClasses>& class_names() {
  static const std::array<std::string, kNumClasses> names = {"with_mask", "without_mask", "mask_weared_incorrect"};
  return names;
}

int class_index(const std::string& name) {
  const auto& names = class_names();
  for (int i = 0; i < kNumClasses; ++i)
    if (names[i] == name) return i;
  return -1;
}

}  // namespace mw
