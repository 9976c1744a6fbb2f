#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "api/faces.h"
#include "core/base64.h"
#include "train/confidence.h"

using namespace mw;

namespace {

constexpr int kSyntheticFaces = 20000;

// Faces drawn from a calibrated model whose logits were multiplied by `t`:
// true logits ~ N(0, 2^2) per class, each label drawn from their softmax.
// softmax(logits / t) is then calibrated, so the fit should find t.
LabelledLogits scaled_calibrated_faces(double t, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0, 2);
  std::uniform_real_distribution<double> uniform(0, 1);
  LabelledLogits data;
  for (int i = 0; i < kSyntheticFaces; ++i) {
    double logit[kNumClasses], sum = 0;
    for (double& l : logit) sum += std::exp(l = normal(rng));
    double u = uniform(rng) * sum;
    int label = 0;
    while (label < kNumClasses - 1 && (u -= std::exp(logit[label])) > 0) ++label;
    for (double l : logit) data.logits.push_back(float(l * t));
    data.labels.push_back(label);
  }
  return data;
}

Confidences hand_confidences(const std::vector<float>& confidence, const std::vector<bool>& correct) {
  Confidences c;
  c.confidence = confidence;
  c.correct = correct;
  return c;
}

}  // namespace

TEST(Confidence, SoftmaxWithTemperature) {
  const float logits[3] = {2, 0, 0};
  float p[3];
  softmax_with_temperature(logits, 3, 1, p);
  EXPECT_NEAR(p[0], std::exp(2.0) / (std::exp(2.0) + 2), 1e-6);
  softmax_with_temperature(logits, 3, 2, p);
  EXPECT_NEAR(p[0], std::exp(1.0) / (std::exp(1.0) + 2), 1e-6);
  EXPECT_NEAR(p[1], 1 / (std::exp(1.0) + 2), 1e-6);
  const auto preds = predictions_from_logits(logits, 1, 3, 2);
  ASSERT_EQ(preds.size(), 1u);
  EXPECT_EQ(preds[0].label, 0);
  EXPECT_FLOAT_EQ(preds[0].confidence, p[0]);
}

TEST(Confidence, FitRecoversAKnownTemperature) {
  for (double t : {2.5, 0.5}) {
    const auto data = scaled_calibrated_faces(t, 7);
    const double fitted = fit_temperature(data);
    EXPECT_NEAR(fitted, t, 0.05 * t);
    EXPECT_LE(temperature_nll(data, fitted), temperature_nll(data, t) + 1e-9);
    EXPECT_LT(temperature_nll(data, fitted), temperature_nll(data, 1));
    // Uncalibrated at temperature 1 (over- or under-confident); calibrated after.
    EXPECT_GT(expected_calibration_error(confidences(data, 1)), 0.05) << t;
    EXPECT_LT(expected_calibration_error(confidences(data, fitted)), 0.02) << t;
  }
  EXPECT_THROW(fit_temperature(LabelledLogits{}), Error);
}

TEST(Confidence, ExpectedCalibrationErrorHandWorked) {
  // 15 bins of width 1/15: 0.95 -> (14/15, 1], 0.55 -> (8/15, 9/15], 0.35 -> (5/15, 6/15].
  // |0.5 - 0.95| * 2/6 + |2/3 - 0.55| * 3/6 + |0 - 0.35| * 1/6 = (0.9 + 0.35 + 0.35) / 6.
  const auto c = hand_confidences({0.95f, 0.55f, 0.35f, 0.95f, 0.55f, 0.55f}, {true, true, false, false, true, false});
  EXPECT_NEAR(expected_calibration_error(c), 1.6 / 6, 1e-6);
  // One bin: all faces share it.
  EXPECT_NEAR(expected_calibration_error(c, 1), std::abs(0.5 - (0.95 * 2 + 0.55 * 3 + 0.35) / 6), 1e-6);
  // A score of exactly 1 is in the top bin; a perfectly calibrated set scores 0.
  EXPECT_NEAR(expected_calibration_error(hand_confidences({1.0f, 1.0f}, {true, true})), 0, 1e-9);
  EXPECT_NEAR(expected_calibration_error(hand_confidences({1.0f, 1.0f}, {true, false})), 0.5, 1e-9);
  EXPECT_EQ(expected_calibration_error(Confidences{}), 0);
}

TEST(Confidence, RiskCoverageHandWorked) {
  // By confidence: 0.9 right, 0.8 right, 0.7 right, 0.6 wrong, 0.5 right, 0.4 right, 0.3 wrong,
  // 0.2 right, 0.1 wrong, 0.05 wrong; given shuffled.
  const auto c = hand_confidences({0.3f, 0.9f, 0.05f, 0.6f, 0.2f, 0.8f, 0.5f, 0.1f, 0.7f, 0.4f},
                                  {false, true, false, false, true, true, true, false, true, true});
  const auto curve = risk_coverage_curve(c);
  ASSERT_EQ(curve.size(), 10u);
  const double want[10] = {1, 1, 1, 0.75, 0.8, 5.0 / 6, 5.0 / 7, 0.75, 6.0 / 9, 0.6};
  for (std::size_t k = 0; k < 10; ++k) {
    EXPECT_EQ(curve[k].answered, k + 1);
    EXPECT_DOUBLE_EQ(curve[k].coverage, double(k + 1) / 10);
    EXPECT_NEAR(curve[k].accuracy, want[k], 1e-12) << k;
  }
  EXPECT_FLOAT_EQ(float(curve[4].min_confidence), 0.5f);
  const json points = risk_coverage_json(curve);
  ASSERT_EQ(points.size(), risk_coverages().size());
  const double at[7] = {0.8, 5.0 / 6, 5.0 / 7, 0.75, 6.0 / 9, 0.6, 0.6};  // 0.5 ... 0.9, 0.95 (10 faces), 1
  const std::size_t answered[7] = {5, 6, 7, 8, 9, 10, 10};
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_NEAR(points[i]["accuracy"].get<double>(), at[i], 1e-12) << points[i];
    EXPECT_EQ(points[i]["answered"].get<std::size_t>(), answered[i]) << points[i];
  }
  // Ties keep the faces' order: the first of two equal scores is answered first.
  const auto tied = risk_coverage_curve(hand_confidences({0.7f, 0.7f}, {false, true}));
  EXPECT_EQ(tied[0].accuracy, 0);
  EXPECT_EQ(tied[1].accuracy, 0.5);
}

TEST(Confidence, ModelTemperatureDefaultsToOne) {
  EXPECT_EQ(model_temperature(json{{"arch", "resnet18"}}), 1);
  EXPECT_EQ(model_temperature(json{{"confidence", {{"temperature", 1.7}}}}), 1.7);
}

TEST(Unsure, MinimumConfidenceParsedAndChecked) {
  EXPECT_EQ(parse_min_confidence("0.75", "--min-confidence"), 0.75);
  EXPECT_EQ(parse_min_confidence("1", "--min-confidence"), 1);
  EXPECT_EQ(check_min_confidence(json(0), "min_confidence"), 0);
  for (const char* bad : {"1.5", "-0.1", "abc", "nan", "", "0x1"}) {
    try {
      parse_min_confidence(bad, "--min-confidence");
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("expected a number from 0 to 1"), std::string::npos) << e.what();
      EXPECT_NE(e.where().find("--min-confidence"), std::string::npos) << e.where();
    }
  }
  EXPECT_THROW(check_min_confidence(json("0.5"), "min_confidence"), Error);
  EXPECT_THROW(check_min_confidence(json(2), "min_confidence"), Error);

  const std::string image = base64_encode("x");
  EXPECT_EQ(parse_faces_request(json{{"image", image}}).min_confidence, 0);
  EXPECT_EQ(parse_faces_request(json{{"image", image}, {"min_confidence", 0.9}}).min_confidence, 0.9);
  try {
    parse_faces_request(json{{"image", image}, {"min_confidence", 1.2}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.where(), "min_confidence");
  }
}

TEST(Unsure, FacesUnderTheMinimumAnswerUnsureAndKeepTheirGuess) {
  const std::vector<std::string> labels = {"with_mask", "without_mask", "mask_weared_incorrect"};
  const float logits[6] = {3, 0, 0, 0.2f, 0, 0.1f};
  auto faces = predictions_from_logits(logits, 2, 3, 1);
  mark_unsure(faces, 0.5);
  EXPECT_FALSE(faces[0].unsure);
  EXPECT_TRUE(faces[1].unsure);
  const json out = faces_json(faces, labels);
  EXPECT_EQ(out[0]["label"], "with_mask");
  EXPECT_FALSE(out[0].contains("guess"));
  EXPECT_EQ(out[1]["label"], kUnsureLabel);
  EXPECT_EQ(out[1]["guess"], "with_mask");
  EXPECT_NEAR(out[1]["confidence"].get<double>(), faces[1].confidence, 1e-6);
  EXPECT_LT(out[1]["confidence"].get<double>(), 0.5);
  EXPECT_EQ(out[1]["scores"].size(), 3u);
  mark_unsure(faces, 0);  // the default answers every face
  EXPECT_FALSE(faces[0].unsure || faces[1].unsure);
  EXPECT_EQ(answer_label(faces[1], labels), "with_mask");
}
