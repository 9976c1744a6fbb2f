#include "data/composite.h"

#include <algorithm>
#include <cmath>

namespace mw {

void composite_faces(const std::uint8_t* top, const std::uint8_t* bottom, int size, double seam, std::uint8_t* dst) {
  const double centre = seam * size, half = std::max(0.5, kSeamBlend * size);
  const int row_bytes = size * 3;
  for (int y = 0; y < size; ++y) {
    // Weight of the bottom crop at this row's centre.
    const double a = std::clamp((y + 0.5 - (centre - half)) / (2 * half), 0.0, 1.0);
    const std::uint8_t* t = top + static_cast<std::ptrdiff_t>(y) * row_bytes;
    const std::uint8_t* b = bottom + static_cast<std::ptrdiff_t>(y) * row_bytes;
    std::uint8_t* d = dst + static_cast<std::ptrdiff_t>(y) * row_bytes;
    for (int x = 0; x < row_bytes; ++x) d[x] = static_cast<std::uint8_t>(std::lround((1 - a) * t[x] + a * b[x]));
  }
}

}  // namespace mw
