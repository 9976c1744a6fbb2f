#include <gtest/gtest.h>

#include <vector>

#include "data/composite.h"

using namespace mw;

namespace {
constexpr int kSide = 40;
std::vector<std::uint8_t> flat(std::uint8_t v) { return std::vector<std::uint8_t>(kSide * kSide * 3, v); }
std::uint8_t at(const std::vector<std::uint8_t>& c, int y, int x, int ch) { return c[(y * kSide + x) * 3 + ch]; }
}  // namespace

TEST(Composite, UpperRowsFromTheTopFaceLowerRowsFromTheBottomFace) {
  auto top = flat(10), bottom = flat(210), out = flat(0);
  const double seam = 0.6;  // row 24; blended over rows 22..25 (kSeamBlend * 40 = 2 rows each side)
  composite_faces(top.data(), bottom.data(), kSide, seam, out.data());
  const int blend = static_cast<int>(kSeamBlend * kSide), centre = static_cast<int>(seam * kSide);
  for (int y = 0; y < centre - blend; ++y) EXPECT_EQ(at(out, y, 7, 1), 10) << y;
  for (int y = centre + blend; y < kSide; ++y) EXPECT_EQ(at(out, y, 7, 1), 210) << y;
  // The blend rises row by row, strictly, through the seam.
  for (int y = centre - blend + 1; y < centre + blend; ++y) EXPECT_GT(at(out, y, 0, 2), at(out, y - 1, 0, 2)) << y;
  EXPECT_GT(at(out, centre - 1, 3, 0), 10);
  EXPECT_LT(at(out, centre, 3, 0), 210);
}

TEST(Composite, EachPixelComesFromItsOwnPlace) {
  std::vector<std::uint8_t> top(kSide * kSide * 3), bottom(top.size()), out(top.size());
  for (int y = 0; y < kSide; ++y)
    for (int x = 0; x < kSide; ++x)
      for (int c = 0; c < 3; ++c) {
        top[(y * kSide + x) * 3 + c] = static_cast<std::uint8_t>(x * 3 + c);
        bottom[(y * kSide + x) * 3 + c] = static_cast<std::uint8_t>(200 - x * 3 - c);
      }
  composite_faces(top.data(), bottom.data(), kSide, 0.5, out.data());
  EXPECT_EQ(at(out, 0, 13, 2), 13 * 3 + 2);
  EXPECT_EQ(at(out, kSide - 1, 13, 2), 200 - 13 * 3 - 2);
}

TEST(Composite, SeamRangesSitBelowAndAboveTheNose) {
  EXPECT_LT(kSeamAboveNose.hi, kSeamBelowNose.lo);
  Rng rng(3);
  for (int i = 0; i < 100; ++i) {
    double s = draw_seam(rng, kSeamBelowNose);
    EXPECT_GE(s, kSeamBelowNose.lo);
    EXPECT_LT(s, kSeamBelowNose.hi);
  }
}
