#include <gtest/gtest.h>

#include <cmath>

#include "detect/box_math.h"

using namespace mw;

namespace {

// A box on the strip y in [0, 10): [x0, x1) x [0, 10).
Box strip(float x0, float x1) { return {x0, 0, x1, 10}; }

constexpr double kTol = 1e-6;

}  // namespace

TEST(BoxMath, IouHandComputed) {
  const Box a{0, 0, 10, 10};
  // [5, 15) x [0, 10): intersection 5 x 10 = 50, union 100 + 100 - 50 = 150.
  EXPECT_NEAR(iou(a, {5, 0, 15, 10}), 50.0 / 150, kTol);
  // [5, 15) x [5, 15): intersection 5 x 5 = 25, union 175.
  EXPECT_NEAR(iou(a, {5, 5, 15, 15}), 25.0 / 175, kTol);
  // [2, 4) x [2, 4) inside a: intersection 4, union 100.
  EXPECT_NEAR(iou(a, {2, 2, 4, 4}), 4.0 / 100, kTol);
  EXPECT_DOUBLE_EQ(iou(a, a), 1.0);
  EXPECT_DOUBLE_EQ(iou(a, {10, 0, 20, 10}), 0.0);  // touching edges share no area
  EXPECT_DOUBLE_EQ(iou(a, {30, 30, 40, 40}), 0.0);
  EXPECT_DOUBLE_EQ(iou({3, 3, 3, 3}, {3, 3, 3, 3}), 0.0);  // empty boxes: no union
  EXPECT_DOUBLE_EQ(iou(a, {5, 0, 15, 10}), iou({5, 0, 15, 10}, a));
}

TEST(BoxMath, IouMatrixIsRowMajor) {
  const std::vector<Box> a{strip(0, 10), strip(5, 15)};
  const std::vector<Box> b{strip(0, 10), strip(10, 20), strip(2, 12)};
  const IouMatrix m = iou_matrix(a, b);
  ASSERT_EQ(m.rows, 2u);
  ASSERT_EQ(m.cols, 3u);
  ASSERT_EQ(m.values.size(), 6u);
  EXPECT_DOUBLE_EQ(m.at(0, 0), 1.0);
  EXPECT_DOUBLE_EQ(m.at(0, 1), 0.0);
  EXPECT_NEAR(m.at(0, 2), 80.0 / 120, kTol);  // [0,10) vs [2,12): 8 x 10 = 80 over 200 - 80
  EXPECT_NEAR(m.at(1, 0), 50.0 / 150, kTol);
  EXPECT_NEAR(m.at(1, 1), 50.0 / 150, kTol);
  EXPECT_NEAR(m.at(1, 2), 70.0 / 130, kTol);  // [5,15) vs [2,12): 7 x 10 = 70 over 200 - 70
}

TEST(BoxMath, CenterFormRoundTrip) {
  const Box b{44, 40, 68, 80};
  const CenterBox c = to_center(b);
  EXPECT_FLOAT_EQ(c.cx, 56);
  EXPECT_FLOAT_EQ(c.cy, 60);
  EXPECT_FLOAT_EQ(c.w, 24);
  EXPECT_FLOAT_EQ(c.h, 40);
  const Box back = to_corners(c);
  EXPECT_FLOAT_EQ(back.xmin, 44);
  EXPECT_FLOAT_EQ(back.ymin, 40);
  EXPECT_FLOAT_EQ(back.xmax, 68);
  EXPECT_FLOAT_EQ(back.ymax, 80);
}

TEST(BoxMath, EncodeHandComputed) {
  // Anchor: centre (50, 50), 20 x 40. Box [44, 68) x [40, 80): centre (56, 60), 24 x 40.
  const CenterBox anchor{50, 50, 20, 40};
  const Box truth{44, 40, 68, 80};
  // Default variances 0.1, 0.2:
  //   dx = (56 - 50) / (20 * 0.1) = 3,  dy = (60 - 50) / (40 * 0.1) = 2.5,
  //   dw = log(24 / 20) / 0.2 = 0.1823216 / 0.2 = 0.9116078,  dh = log(1) / 0.2 = 0.
  const BoxOffsets d = encode_box(truth, anchor);
  EXPECT_NEAR(d.dx, 3.0, kTol);
  EXPECT_NEAR(d.dy, 2.5, kTol);
  EXPECT_NEAR(d.dw, std::log(1.2) / 0.2, 1e-5);
  EXPECT_NEAR(d.dw, 0.9116078, 1e-5);
  EXPECT_NEAR(d.dh, 0.0, kTol);
  // Variances 0.2, 0.5: dx = 6 / (20 * 0.2) = 1.5, dy = 10 / (40 * 0.2) = 1.25,
  // dw = 0.1823216 / 0.5 = 0.3646431.
  const Variances var{0.2f, 0.5f};
  const BoxOffsets e = encode_box(truth, anchor, var);
  EXPECT_NEAR(e.dx, 1.5, kTol);
  EXPECT_NEAR(e.dy, 1.25, kTol);
  EXPECT_NEAR(e.dw, 0.3646431, 1e-5);
  // Decoding with the same variances gives the box back.
  for (const auto& [offsets, v] : {std::pair{d, Variances{}}, std::pair{e, var}}) {
    const Box b = decode_box(offsets, anchor, v);
    EXPECT_NEAR(b.xmin, 44, 1e-4);
    EXPECT_NEAR(b.ymin, 40, 1e-4);
    EXPECT_NEAR(b.xmax, 68, 1e-4);
    EXPECT_NEAR(b.ymax, 80, 1e-4);
  }
}

TEST(BoxMath, DecodeHandComputed) {
  // Anchor centre (10, 20), 8 x 16; offsets (1, -0.5, 0, 5) with variances 0.1, 0.2:
  //   cx = 10 + 1 * 0.1 * 8 = 10.8, cy = 20 - 0.5 * 0.1 * 16 = 19.2,
  //   w = 8 * exp(0) = 8, h = 16 * exp(5 * 0.2) = 16 e = 43.49251.
  const Box b = decode_box({1, -0.5f, 0, 5}, {10, 20, 8, 16});
  EXPECT_NEAR(b.xmin, 10.8 - 4, 1e-5);
  EXPECT_NEAR(b.xmax, 10.8 + 4, 1e-5);
  EXPECT_NEAR(b.height(), 16 * std::exp(1.0), 1e-4);
  EXPECT_NEAR((b.ymin + b.ymax) / 2, 19.2, 1e-5);
}

TEST(BoxMath, EncodeRefusesEmptyBoxes) {
  EXPECT_THROW(encode_box({5, 5, 5, 10}, {0, 0, 10, 10}), Error);
  EXPECT_THROW(encode_box({0, 0, 10, 10}, {5, 5, 0, 10}), Error);
}

TEST(BoxMath, MatchForcesBestAnchorsThenThresholds) {
  // Anchors on the strip: A0 [0,10), A1 [10,20), A2 [20,30), A3 [30,40), A4 [100,110), A5 [1,11).
  const std::vector<Box> anchors{strip(0, 10),  strip(10, 20),   strip(20, 30),
                                 strip(30, 40), strip(100, 110), strip(1, 11)};
  // G0 [2,12): A0 8x10=80 / (200-80) = 2/3, A1 2x10=20 / 180 = 1/9, A5 9x10=90 / 110 = 9/11.
  // G1 [25,35): A2 5x10=50 / 150 = 1/3, A3 1/3 as well; no anchor reaches 0.35.
  const std::vector<Box> truths{strip(2, 12), strip(25, 35)};
  // Forcing: the best pair is (G0, A5) at 9/11; then G1's best free anchor is
  // A2 (1/3, tied with A3: the lower index). G1 is matched though below 0.35.
  // Thresholds 0.35 / 0.35: A0's best is G0 at 2/3 -> G0; A1 (1/9), A3 (1/3) and
  // A4 (0) are background.
  EXPECT_EQ(match_anchors(truths, anchors),
            (std::vector<int>{0, kBackgroundAnchor, 1, kBackgroundAnchor, kBackgroundAnchor, 0}));
  // Positive 0.5, negative 0.3: A3 at 1/3 lies in between -> ignored; A1 at 1/9 -> background.
  EXPECT_EQ(match_anchors(truths, anchors, {0.5, 0.3}),
            (std::vector<int>{0, kBackgroundAnchor, 1, kIgnoredAnchor, kBackgroundAnchor, 0}));
}

TEST(BoxMath, MatchTwoTruthsWantingTheSameAnchor) {
  // A0 [0,10), A1 [10,20).
  // G0 [3,13): A0 7x10=70 / 130 = 0.538, A1 3x10=30 / 170 = 0.176.
  // G1 [1,11): A0 9x10=90 / 110 = 0.818, A1 1x10=10 / 190 = 0.053.
  // Both have A0 as their best anchor. The pair (G1, A0) has the higher IoU,
  // so G1 keeps A0; G0 is forced onto its next best, A1, although 0.176 < 0.35.
  const std::vector<Box> anchors{strip(0, 10), strip(10, 20)};
  EXPECT_EQ(match_anchors({strip(3, 13), strip(1, 11)}, anchors), (std::vector<int>{1, 0}));
  // Same with the truths listed the other way round: the result follows the IoUs, not the order.
  EXPECT_EQ(match_anchors({strip(1, 11), strip(3, 13)}, anchors), (std::vector<int>{0, 1}));
}

TEST(BoxMath, MatchLeavesTruthsWithoutOverlapAndEmptyInputs) {
  const std::vector<Box> anchors{strip(0, 10), strip(10, 20)};
  // [200,210) overlaps nothing: not forced, every anchor stays background.
  EXPECT_EQ(match_anchors({strip(200, 210)}, anchors), (std::vector<int>{kBackgroundAnchor, kBackgroundAnchor}));
  EXPECT_EQ(match_anchors({}, anchors), (std::vector<int>{kBackgroundAnchor, kBackgroundAnchor}));
  EXPECT_TRUE(match_anchors({strip(0, 10)}, {}).empty());
}

TEST(BoxMath, NmsHandComputed) {
  // B0 [0,10) 0.9, B1 [1,11) 0.8, B2 [5,15) 0.9, B3 [50,60) 0.7, B4 [20,30) 0.9.
  // IoU(B0, B1) = 9/11 = 0.818, IoU(B0, B2) = 5/15 = 0.333, IoU(B1, B2) = 6/14 = 0.43; B3, B4 touch none.
  // Order: the 0.9 ties by index B0, B2, B4; then B1, B3.
  const std::vector<Box> boxes{strip(0, 10), strip(1, 11), strip(5, 15), strip(50, 60), strip(20, 30)};
  const std::vector<float> scores{0.9f, 0.8f, 0.9f, 0.7f, 0.9f};
  // Threshold 0.5: B0 kept, B2 kept (0.333), B4 kept, B1 suppressed by B0 (0.818), B3 kept.
  EXPECT_EQ(non_max_suppression(boxes, scores, 0.5, 10), (std::vector<std::size_t>{0, 2, 4, 3}));
  // Threshold 0.3: B2 is suppressed by B0 (0.333 > 0.3) too.
  EXPECT_EQ(non_max_suppression(boxes, scores, 0.3, 10), (std::vector<std::size_t>{0, 4, 3}));
  // At most two.
  EXPECT_EQ(non_max_suppression(boxes, scores, 0.5, 2), (std::vector<std::size_t>{0, 2}));
}

TEST(BoxMath, NmsTiesKeepTheLowerIndex) {
  // Two identical boxes with equal scores behind a weaker, distinct one: index 1 wins over 2.
  const std::vector<Box> boxes{strip(50, 60), strip(0, 10), strip(0, 10)};
  EXPECT_EQ(non_max_suppression(boxes, {0.2f, 0.6f, 0.6f}, 0.5, 10), (std::vector<std::size_t>{1, 0}));
  // An IoU equal to the threshold does not suppress: [0,10) vs [5,15) is 1/3.
  EXPECT_EQ(non_max_suppression({strip(0, 10), strip(5, 15)}, {0.9f, 0.8f}, 50.0 / 150, 10).size(), 2u);
  EXPECT_TRUE(non_max_suppression({}, {}, 0.5, 10).empty());
  EXPECT_THROW(non_max_suppression(boxes, {0.1f}, 0.5, 10), Error);
}

// Detections in order take the best free ground truth at IoU >= 0.5.
TEST(BoxMath, MatchDetectionsGreedyInOrder) {
  const std::vector<Box> truths{{0, 0, 10, 10}, {20, 0, 30, 10}};
  const std::vector<Box> found{
      {0, 0, 10, 9},    // truth 0 (IoU 0.9)
      {1, 0, 11, 10},   // truth 0 again, but taken: none (IoU with truth 1 is 0)
      {20, 0, 30, 10},  // truth 1
      {50, 50, 60, 60}  // nothing
  };
  EXPECT_EQ(match_detections(truths, found, 0.5), (std::vector<int>{0, -1, 1, -1}));
  // IoU exactly at the threshold matches: (0,0,10,10) against (0,0,10,5) is 0.5.
  EXPECT_EQ(match_detections({{0, 0, 10, 10}}, {{0, 0, 10, 5}}, 0.5), (std::vector<int>{0}));
  EXPECT_EQ(match_detections({{0, 0, 10, 10}}, {{0, 0, 10, 4.9f}}, 0.5), (std::vector<int>{-1}));
  // Equal IoUs with two truths: the lower index; the next detection gets the other.
  const std::vector<Box> twins{{0, 0, 10, 10}, {0, 0, 10, 10}};
  EXPECT_EQ(match_detections(twins, {{0, 0, 10, 10}, {0, 0, 10, 10}}, 0.5), (std::vector<int>{0, 1}));
  EXPECT_TRUE(match_detections({}, {{0, 0, 1, 1}}, 0.5) == std::vector<int>{-1});
  EXPECT_TRUE(match_detections(truths, {}, 0.5).empty());
}
