#include "detect/centernet_targets.h"

#include <algorithm>
#include <cmath>

#include "data/voc.h"
#include "detect/centernet.h"

namespace mw {

namespace {

// A radius of r cells spans 2r + 1 cells: sigma (2r + 1) / 6, as CenterNet's gaussian_radius draws them.
float sigma_of(float radius) { return (2.f * radius + 1.f) / 6.f; }

void draw_gaussian(std::vector<float>& heat, int cells, int cx, int cy, float rx, float ry) {
  const float sx = sigma_of(rx), sy = sigma_of(ry);
  const int ix = static_cast<int>(std::ceil(rx)), iy = static_cast<int>(std::ceil(ry));
  for (int y = std::max(0, cy - iy); y <= std::min(cells - 1, cy + iy); ++y)
    for (int x = std::max(0, cx - ix); x <= std::min(cells - 1, cx + ix); ++x) {
      const float dx = float(x - cx), dy = float(y - cy);
      const float v = std::exp(-(dx * dx / (2 * sx * sx) + dy * dy / (2 * sy * sy)));
      float& h = heat[static_cast<std::size_t>(y) * cells + x];
      h = std::max(h, v);
    }
}

}  // namespace

CenterNetTargets centernet_targets(const std::vector<Box>& faces, int side) {
  if (side <= 0 || side % kCenterNetOutputStride != 0)
    throw Error("centernet targets", "canvas side " + std::to_string(side) + " is not a positive multiple of " +
                                         std::to_string(kCenterNetOutputStride));
  CenterNetTargets t;
  t.cells = side / kCenterNetOutputStride;
  t.heatmap.assign(static_cast<std::size_t>(t.cells) * t.cells, 0.f);
  std::vector<Box> kept;
  for (const Box& f : faces) {
    const Box c = clip_box(f, side, side);
    if (c.width() > 0 && c.height() > 0) kept.push_back(c);
  }
  std::stable_sort(kept.begin(), kept.end(),
                   [](const Box& a, const Box& b) { return a.width() * a.height() > b.width() * b.height(); });
  const float stride = float(kCenterNetOutputStride);
  for (const Box& b : kept) {
    const int x = std::min(t.cells - 1, static_cast<int>(0.5f * (b.xmin + b.xmax) / stride));
    const int y = std::min(t.cells - 1, static_cast<int>(0.5f * (b.ymin + b.ymax) / stride));
    const float rx = std::max(1.f, kGaussianAlpha * b.width() / (2 * stride));
    const float ry = std::max(1.f, kGaussianAlpha * b.height() / (2 * stride));
    draw_gaussian(t.heatmap, t.cells, x, y, rx, ry);
    const float px = stride * float(x), py = stride * float(y);
    t.faces.push_back({y * t.cells + x,
                       {(px - b.xmin) / kCenterNetBoxScale, (py - b.ymin) / kCenterNetBoxScale,
                        (b.xmax - px) / kCenterNetBoxScale, (b.ymax - py) / kCenterNetBoxScale},
                       b});
  }
  return t;
}

}  // namespace mw
