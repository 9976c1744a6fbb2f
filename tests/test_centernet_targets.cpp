// CenterNet's training targets (detect/centernet_targets.h), worked by hand,
// and read back by the graph's decoding: perfect maps give the faces' boxes.
#include <gtest/gtest.h>

#include <cmath>

#include "detect/centernet.h"
#include "detect/centernet_targets.h"
#include "infer/plain_ops.h"

using namespace mw;

namespace {

float heat_at(const CenterNetTargets& t, int x, int y) { return t.heatmap[static_cast<std::size_t>(y) * t.cells + x]; }

// The maps a network that had learnt the targets perfectly would give.
std::pair<Activation, Activation> perfect_maps(const CenterNetTargets& t) {
  Activation logits, boxes;
  logits.shape(1, t.cells, t.cells, 1);
  boxes.shape(1, t.cells, t.cells, 4);
  std::fill_n(boxes.data.begin(), boxes.size(), 0.f);
  for (std::size_t i = 0; i < t.heatmap.size(); ++i) {
    const double p = std::clamp(double(t.heatmap[i]), 1e-6, 1 - 1e-6);
    logits.data[i] = static_cast<float>(std::log(p / (1 - p)));
  }
  for (const auto& f : t.faces) std::copy(f.distances.begin(), f.distances.end(), boxes.data.begin() + 4 * f.cell);
  return {logits, boxes};
}

}  // namespace

// A 20x30 face at (100, 60)-(120, 90) on a 256 canvas: its centre (110, 75)
// falls in cell (27, 18), whose point is (108, 72).
TEST(CenterNetTargets, AFaceIsAPeakAtItsCentreCellWithItsDistances) {
  const auto t = centernet_targets({{100, 60, 120, 90}}, 256);
  ASSERT_EQ(t.cells, 64);
  ASSERT_EQ(t.faces.size(), 1u);
  EXPECT_EQ(t.faces[0].cell, 18 * 64 + 27);
  EXPECT_FLOAT_EQ(heat_at(t, 27, 18), 1.f);
  EXPECT_GT(heat_at(t, 28, 18), 0.f);
  EXPECT_LT(heat_at(t, 28, 18), 1.f);
  EXPECT_GT(heat_at(t, 27, 19), heat_at(t, 28, 18));  // taller than wide: the Gaussian reaches further in y
  EXPECT_EQ(heat_at(t, 40, 18), 0.f);
  const auto& d = t.faces[0].distances;
  EXPECT_FLOAT_EQ(d[0] * kCenterNetBoxScale, 8.f);   // 108 - 100
  EXPECT_FLOAT_EQ(d[1] * kCenterNetBoxScale, 12.f);  // 72 - 60
  EXPECT_FLOAT_EQ(d[2] * kCenterNetBoxScale, 12.f);  // 120 - 108
  EXPECT_FLOAT_EQ(d[3] * kCenterNetBoxScale, 18.f);  // 90 - 72
}

// A 3 px face still gets its own peak, with neighbours of one cell's radius.
TEST(CenterNetTargets, TheSmallestFaceKeepsItsCell) {
  const auto t = centernet_targets({{41, 41, 44, 44}}, 128);
  ASSERT_EQ(t.faces.size(), 1u);
  EXPECT_FLOAT_EQ(heat_at(t, 10, 10), 1.f);
  EXPECT_NEAR(heat_at(t, 11, 10), std::exp(-2.f), 1e-6);  // radius 1: sigma 0.5
  EXPECT_NEAR(heat_at(t, 11, 11), std::exp(-4.f), 1e-6);
  EXPECT_EQ(heat_at(t, 12, 10), 0.f);
}

TEST(CenterNetTargets, BoxesAreClippedAndThoseOffTheCanvasSkipped) {
  const auto t = centernet_targets({{-20, -20, 10, 10}, {300, 300, 320, 330}, {120, 0, 140, 20}}, 128);
  ASSERT_EQ(t.faces.size(), 2u);
  EXPECT_EQ(t.faces[0].box.xmax, 128.f);  // 8 x 20 left of 20 x 20: the larger, first
  EXPECT_EQ(t.faces[1].box.xmin, 0.f);
  EXPECT_THROW(centernet_targets({}, 130), Error);
}

TEST(CenterNetTargets, LargestFirstSoThatTheSmallerOfTwoInOneCellIsLast) {
  const auto t = centernet_targets({{60, 60, 66, 66}, {40, 40, 86, 86}}, 128);
  ASSERT_EQ(t.faces.size(), 2u);
  EXPECT_EQ(t.faces[0].cell, t.faces[1].cell);
  EXPECT_EQ(t.faces[1].box.width(), 6.f);
}

// A crowd of faces from 4 to 120 px: maps that hold the targets exactly
// decode back to every face's box.
TEST(CenterNetTargets, PerfectMapsDecodeToTheFaces) {
  std::vector<Box> faces;
  for (int i = 0; i < 12; ++i) {
    const float size = 4.f + 10.f * float(i), x = 20.f + 40.f * float(i % 6), y = 20.f + 150.f * float(i / 6);
    faces.push_back({x, y, x + size, y + size * 1.2f});
  }
  const auto t = centernet_targets(faces, 512);
  const auto [logits, boxes] = perfect_maps(t);
  const auto peaks = centernet_decode(logits, boxes, 0, 100, 0.99f);
  ASSERT_EQ(peaks.size(), faces.size());
  for (const auto& f : t.faces) {
    const auto hit = std::find_if(peaks.begin(), peaks.end(), [&](const CenterNetPeak& p) {
      return std::fabs(p.box[0] - f.box.xmin) < 1e-3 && std::fabs(p.box[1] - f.box.ymin) < 1e-3 &&
             std::fabs(p.box[2] - f.box.xmax) < 1e-3 && std::fabs(p.box[3] - f.box.ymax) < 1e-3;
    });
    EXPECT_NE(hit, peaks.end()) << f.box.xmin << "," << f.box.ymin << " " << f.box.width() << " px";
  }
}
