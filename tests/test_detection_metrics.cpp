#include <gtest/gtest.h>

#include "detect/detection_metrics.h"
#include "detect/face_size.h"

using namespace mw;

namespace {

// A box on the strip y in [0, 10): [x0, x1) x [0, 10).
Box strip(float x0, float x1) { return {x0, 0, x1, 10}; }

constexpr double kTol = 1e-9;
const std::vector<std::string> kOneClass{"face"};

DetectionEvalOptions options(std::vector<std::string> classes, float score_threshold = 0.5f) {
  DetectionEvalOptions o;
  o.classes = std::move(classes);
  o.score_threshold = score_threshold;
  return o;
}

// Two images, one class, three ground truths (one difficult), five detections:
//   image 0: G0 [0,10); G1 [50,60) difficult.
//            d0a [0,10) 0.9 -> G0 IoU 1: TP.
//            d0b [1,11) 0.8 -> best G0 (9/11), matched already: duplicate, FP.
//            d0c [50,60) 0.85 -> G1 IoU 1, difficult: ignored.
//   image 1: G2 [0,10).
//            d1a [30,40) 0.6 -> no overlap: FP.
//            d1b [2,12) 0.8 -> G2 IoU 8x10 / (200 - 80) = 2/3: TP.
// Recall's denominator: G0 and G2 (2). Order by score: d0a 0.9, d0c 0.85 (ignored),
// then the tie at 0.8 in image order: d0b (image 0), d1b (image 1); then d1a.
//   d0a TP: tp 1 fp 0 -> R 0.5, P 1
//   d0b FP: tp 1 fp 1 -> R 0.5, P 0.5
//   d1b TP: tp 2 fp 1 -> R 1,   P 2/3
//   d1a FP: tp 2 fp 2 -> R 1,   P 0.5
// Envelope over recall: 1 up to R 0.5, then 2/3 up to R 1.
// AP = 0.5 * 1 + 0.5 * 2/3 = 5/6.
// (The tie the other way round would give 1; d0c counted as a FP, 0.75; G1 in the denominator, less.)
std::vector<ImageDetections> worked_example() {
  ImageDetections a, b;
  a.truths = {{strip(0, 10), 0, false}, {strip(50, 60), 0, true}};
  a.detections = {{strip(0, 10), 0, 0.9f}, {strip(1, 11), 0, 0.8f}, {strip(50, 60), 0, 0.85f}};
  b.truths = {{strip(0, 10), 0, false}};
  b.detections = {{strip(30, 40), 0, 0.6f}, {strip(2, 12), 0, 0.8f}};
  return {a, b};
}

}  // namespace

TEST(DetectionMetrics, WorkedExampleAp) {
  const ClassAp c = evaluate_class(worked_example(), 0, 0.5);
  EXPECT_EQ(c.truths, 2);
  EXPECT_EQ(c.detections, 5);
  EXPECT_EQ(c.true_positives, 2);
  EXPECT_EQ(c.false_positives, 2);
  ASSERT_EQ(c.curve.size(), 4u);
  const double recall[] = {0.5, 0.5, 1, 1}, precision[] = {1, 0.5, 2.0 / 3, 0.5};
  const float score[] = {0.9f, 0.8f, 0.8f, 0.6f};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(c.curve[i].recall, recall[i], kTol) << i;
    EXPECT_NEAR(c.curve[i].precision, precision[i], kTol) << i;
    EXPECT_EQ(c.curve[i].score, score[i]) << i;
  }
  ASSERT_TRUE(c.ap);
  EXPECT_NEAR(*c.ap, 5.0 / 6, kTol);
  const DetectionEval eval = evaluate_detections(worked_example(), options(kOneClass));
  ASSERT_TRUE(eval.map_50);
  EXPECT_NEAR(*eval.map_50, 5.0 / 6, kTol);
  EXPECT_EQ(eval.classes.at(0).name, "face");
}

TEST(DetectionMetrics, TiesFollowImageOrder) {
  // The same data with the images swapped: at 0.8 the TP (now image 0's d1b) comes
  // before the duplicate: points (0.5, 1), (1, 1), (1, 2/3), (1, 0.5) -> AP 1.
  auto images = worked_example();
  std::swap(images[0], images[1]);
  EXPECT_NEAR(*evaluate_class(images, 0, 0.5).ap, 1.0, kTol);
}

TEST(DetectionMetrics, BestTruthTakenEvenWhenMatchedAsTheDevkitDoes) {
  // Ga [0,10), Gb [4,14). D1 [0,10) 0.9 -> Ga: TP. D2 [1,11) 0.8: IoU Ga 9/11 = 0.818,
  // Gb 7x10 / 130 = 0.538; its best is Ga, matched already -> duplicate FP (not Gb).
  // Points (0.5, 1), (0.5, 0.5) -> AP 0.5.
  ImageDetections image;
  image.truths = {{strip(0, 10), 0, false}, {strip(4, 14), 0, false}};
  image.detections = {{strip(0, 10), 0, 0.9f}, {strip(1, 11), 0, 0.8f}};
  const ClassAp c = evaluate_class({image}, 0, 0.5);
  EXPECT_EQ(c.true_positives, 1);
  EXPECT_EQ(c.false_positives, 1);
  EXPECT_NEAR(*c.ap, 0.5, kTol);
}

TEST(DetectionMetrics, AllPointInterpolation) {
  // Points (R, P): (0.25, 1), (0.25, 0.5), (0.5, 0.667), (0.75, 0.6), (0.75, 0.5).
  // Envelope: 1 on (0, 0.25], 0.667 on (0.25, 0.5], 0.6 on (0.5, 0.75], 0 beyond.
  // AP = 0.25 * 1 + 0.25 * 2/3 + 0.25 * 0.6 = 0.25 + 0.1666667 + 0.15 = 0.5666667.
  const std::vector<PrPoint> curve{{0.25, 1}, {0.25, 0.5}, {0.5, 2.0 / 3}, {0.75, 0.6}, {0.75, 0.5}};
  EXPECT_NEAR(voc_average_precision(curve), 0.25 + 0.25 * 2.0 / 3 + 0.25 * 0.6, kTol);
  EXPECT_DOUBLE_EQ(voc_average_precision({}), 0.0);
}

TEST(DetectionMetrics, ClassWithoutTruthsIsLeftOutOfTheMean) {
  // Class 1 ("hand") has only a detection: VOC's recall is 0/0, no AP; the mean is class 0's alone.
  auto images = worked_example();
  images[1].detections.push_back({strip(70, 80), 1, 0.99f});
  const DetectionEval eval = evaluate_detections(images, options({"face", "hand"}));
  ASSERT_EQ(eval.classes.size(), 2u);
  EXPECT_FALSE(eval.classes[1].ap);
  EXPECT_EQ(eval.classes[1].detections, 1);
  EXPECT_EQ(eval.classes[1].false_positives, 1);
  EXPECT_TRUE(eval.classes[1].curve.empty());
  EXPECT_NEAR(*eval.map_50, 5.0 / 6, kTol);
  const json j = to_json(eval);
  EXPECT_TRUE(j["per_class"]["hand"]["ap_50"].is_null());
  EXPECT_NEAR(j["per_class"]["face"]["ap_50"].get<double>(), 5.0 / 6, kTol);
  EXPECT_EQ(j["per_class"]["face"]["pr_curve"]["recall"].size(), 4u);
}

TEST(DetectionMetrics, ClassWithoutDetectionsHasApZero) {
  // Class 1 has a ground truth and no detection: AP 0, and it counts in the mean.
  auto images = worked_example();
  images[0].truths.push_back({strip(80, 90), 1, false});
  const DetectionEval eval = evaluate_detections(images, options({"face", "hand"}));
  ASSERT_TRUE(eval.classes[1].ap);
  EXPECT_DOUBLE_EQ(*eval.classes[1].ap, 0.0);
  EXPECT_NEAR(*eval.map_50, (5.0 / 6 + 0) / 2, kTol);
  // The class's ground truth is missed by the class-agnostic face recall, too.
  EXPECT_EQ(to_json(eval)["recall_by_face_size"]["under_12px"]["faces"], 3);
}

TEST(DetectionMetrics, NoGroundTruthAtAllHasNoMean) {
  ImageDetections image;
  image.detections = {{strip(0, 10), 0, 0.9f}};
  const DetectionEval eval = evaluate_detections({image}, options(kOneClass));
  EXPECT_FALSE(eval.map_50);
  EXPECT_FALSE(eval.map_50_95);
  EXPECT_TRUE(to_json(eval)["map_50_95"].is_null());
}

TEST(DetectionMetrics, MapOverIouThresholds) {
  // Class 0: G [0,10), D [1,11): IoU 9x10 / (200 - 90) = 9/11 = 0.818: a TP at
  //   0.50 ... 0.80 (7 thresholds, AP 1), a FP at 0.85, 0.90, 0.95 (AP 0).
  // Class 1: G [0,10), D [2,12): IoU 8x10 / 120 = 2/3 = 0.667: a TP at 0.50 ... 0.65
  //   (4 thresholds), a FP at the 6 others.
  // Means per threshold: 1 (x4), 0.5 (x3), 0 (x3) -> mAP@0.5:0.95 = (4 + 1.5) / 10 = 0.55.
  ImageDetections a, b;
  a.truths = {{strip(0, 10), 0, false}};
  a.detections = {{strip(1, 11), 0, 0.9f}};
  b.truths = {{strip(0, 10), 1, false}};
  b.detections = {{strip(2, 12), 1, 0.9f}};
  const DetectionEval eval = evaluate_detections({a, b}, options({"a", "b"}));
  EXPECT_NEAR(*eval.map_50, 1.0, kTol);
  EXPECT_NEAR(*eval.map_50_95, 0.55, kTol);
  EXPECT_NEAR(*evaluate_detections({a}, options({"a", "b"})).map_50_95, 0.7, kTol);
  EXPECT_NEAR(*evaluate_detections({b}, options({"a", "b"})).map_50_95, 0.4, kTol);
}

TEST(DetectionMetrics, FaceSizeBands) {
  EXPECT_STREQ(fine_face_size_band(11.9), "under_12px");
  EXPECT_STREQ(fine_face_size_band(12), "12_to_24px");
  EXPECT_STREQ(fine_face_size_band(23.9), "12_to_24px");
  EXPECT_STREQ(fine_face_size_band(24), "24_to_64px");
  EXPECT_STREQ(fine_face_size_band(64), "24_to_64px");
  EXPECT_STREQ(fine_face_size_band(64.5), "over_64px");
  EXPECT_STREQ(face_size_band(11), "under_24px");  // the crop evaluation's three bands
  EXPECT_STREQ(face_size_band(64), "24_to_64px");
  EXPECT_DOUBLE_EQ(shorter_side({0, 0, 30, 8}), 8);
}

TEST(DetectionMetrics, RecallBySizeAndFalsePositivesPerImage) {
  // Image 0 (shorter side -> band), class-agnostic, operating point score >= 0.5:
  //   F8   [0,8) x [0,20)        8 px -> under_12: detected (label 2 on a label 0 face), 0.9 -> found
  //   F12  [100,112) x [0,30)   12 px -> 12_to_24: no detection
  //   F20  [200,220) x [0,20)   20 px -> 12_to_24: detected at 0.4, below the point -> missed
  //   F24  [300,324) x [0,40)   24 px -> 24_to_64: detected at 0.6 -> found
  //   F64  [400,464) x [0,64)   64 px -> 24_to_64: no detection
  //   F100 [500,600) x [0,100) 100 px -> over_64: detected at exactly 0.5 -> found
  //   a difficult 5 px face, detected at 0.9: not counted, and its detection is no FP
  //   [900,910) at 0.7: FP; [950,960) at 0.3: below the point, not counted.
  // Image 1: no faces, [0,10) at 0.8: FP.
  // Recall: under_12 1/1, 12_to_24 0/2, 24_to_64 1/2, over_64 1/1. FP per image: 2 / 2 = 1.
  ImageDetections a, b;
  a.truths = {{{0, 0, 8, 20}, 0, false},     {{100, 0, 112, 30}, 1, false}, {{200, 0, 220, 20}, 0, false},
              {{300, 0, 324, 40}, 0, false}, {{400, 0, 464, 64}, 2, false}, {{500, 0, 600, 100}, 1, false},
              {{700, 0, 705, 5}, 0, true}};
  a.detections = {{{0, 0, 8, 20}, 2, 0.9f},      {{200, 0, 220, 20}, 0, 0.4f}, {{300, 0, 324, 40}, 0, 0.6f},
                  {{500, 0, 600, 100}, 1, 0.5f}, {{700, 0, 705, 5}, 0, 0.9f},  {{900, 0, 910, 10}, 0, 0.7f},
                  {{950, 0, 960, 10}, 0, 0.3f}};
  b.detections = {{{0, 0, 10, 10}, 1, 0.8f}};
  const DetectionEval eval = evaluate_detections({a, b}, options({"x", "y", "z"}));
  ASSERT_EQ(eval.recall_by_size.size(), 4u);
  const char* bands[] = {"under_12px", "12_to_24px", "24_to_64px", "over_64px"};
  const long faces[] = {1, 2, 2, 1}, found[] = {1, 0, 1, 1};
  const double recall[] = {1, 0, 0.5, 1};
  for (std::size_t i = 0; i < 4; ++i) {
    const BandRecall& r = eval.recall_by_size[i];
    EXPECT_EQ(r.band, bands[i]);
    EXPECT_EQ(r.faces, faces[i]) << bands[i];
    EXPECT_EQ(r.found, found[i]) << bands[i];
    ASSERT_TRUE(r.recall) << bands[i];
    EXPECT_DOUBLE_EQ(*r.recall, recall[i]) << bands[i];
  }
  EXPECT_DOUBLE_EQ(eval.false_positives_per_image, 1.0);
  const json j = to_json(eval);
  EXPECT_DOUBLE_EQ(j["recall_by_face_size"]["24_to_64px"]["recall"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["false_positives_per_image"].get<double>(), 1.0);
  EXPECT_EQ(j["images"], 2);
  // Lowering the point to 0.3 finds F20 and counts [950,960) as a third FP.
  const DetectionEval low = evaluate_detections({a, b}, options({"x", "y", "z"}, 0.3f));
  EXPECT_EQ(low.recall_by_size[1].found, 1);
  EXPECT_DOUBLE_EQ(low.false_positives_per_image, 1.5);
}

TEST(DetectionMetrics, EmptyBandHasNoRecall) {
  ImageDetections image;
  image.truths = {{strip(0, 10), 0, false}};
  const DetectionEval eval = evaluate_detections({image}, options(kOneClass));
  EXPECT_EQ(eval.recall_by_size[0].faces, 1);
  EXPECT_DOUBLE_EQ(*eval.recall_by_size[0].recall, 0.0);
  EXPECT_FALSE(eval.recall_by_size[3].recall);
  EXPECT_TRUE(to_json(eval)["recall_by_face_size"]["over_64px"]["recall"].is_null());
}

TEST(DetectionMetrics, RefusesLabelsOutsideTheClasses) {
  auto images = worked_example();
  images[1].detections.push_back({strip(0, 10), 3, 0.5f});
  try {
    evaluate_detections(images, options(kOneClass));
    ADD_FAILURE() << "a label outside the classes was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("image 1, detection 2"), std::string::npos) << e.what();
  }
  images = worked_example();
  images[0].truths[0].label = -1;
  EXPECT_THROW(evaluate_detections(images, options(kOneClass)), Error);
}

TEST(DetectionMetrics, SvgHasOnePathPerClass) {
  // Three classes with ground truths (one of them without detections) and one without: three paths.
  auto images = worked_example();
  images[0].truths.push_back({strip(80, 90), 1, false});
  images[0].detections.push_back({strip(80, 90), 1, 0.7f});
  images[1].truths.push_back({strip(80, 90), 2, false});
  images[1].detections.push_back({strip(20, 30), 3, 0.7f});
  const std::string svg = plot_pr_curves_svg(evaluate_detections(images, options({"face", "b", "c<&>", "d"})));
  std::size_t paths = 0;
  for (auto at = svg.find("<path"); at != std::string::npos; at = svg.find("<path", at + 1)) ++paths;
  EXPECT_EQ(paths, 3u) << svg;
  EXPECT_NE(svg.find("face: AP 0.833"), std::string::npos) << svg;
  EXPECT_NE(svg.find("b: AP 1.000"), std::string::npos) << svg;
  EXPECT_NE(svg.find("c&lt;&amp;&gt;: AP 0.000"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("d: AP"), std::string::npos) << svg;
  EXPECT_EQ(svg.rfind("</svg>\n"), svg.size() - 7);
}
