// Confidence that means what it says: one softmax temperature per model,
// fitted on the validation split; expected calibration error; and the
// risk-coverage curve (how accurate the answered faces are when only the
// most confident share of them is answered).
#pragma once
#include <cstddef>
#include <vector>

#include "maskwatch.h"
#include "model/model_ref.h"
#include "store/object_store.h"

namespace mw {

inline constexpr int kCalibrationBins = 15;  // equal-width bins of the top score, over (0, 1]
// The coverages risk_coverage_json reports (the full curve goes to the plot).
inline const std::vector<double>& risk_coverages() {
  static const std::vector<double> points = {0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0};
  return points;
}

// The logits of n faces (`classes` per face, face after face) and each face's true class.
struct LabelledLogits {
  std::vector<float> logits;
  std::vector<int> labels;
  int classes = kNumClasses;
  std::size_t count() const { return labels.size(); }
};

// softmax(logits / temperature) of one face into out[0 .. classes).
void softmax_with_temperature(const float* logits, int classes, double temperature, float* out);
// Predictions from the logits of n faces (classes per face): scores
// softmax(logits / temperature), label the top one, confidence its score.
std::vector<Face> predictions_from_logits(const float* logits, std::size_t n, int classes, double temperature);
// The mean negative log-likelihood of the true classes under softmax(logits / temperature).
double temperature_nll(const LabelledLogits& data, double temperature);
// The temperature in [kMinModelTemperature, kMaxModelTemperature] that
// minimises temperature_nll: a golden-section search over log T (the
// likelihood has one minimum there), a fixed number of steps. Throws Error
// when data holds no face.
double fit_temperature(const LabelledLogits& data);

// Each face's top score under `temperature`, and whether its top class is the true one.
struct Confidences {
  std::vector<float> confidence;
  std::vector<bool> correct;
};
Confidences confidences(const LabelledLogits& data, double temperature);

// Expected calibration error: the faces binned by confidence into `bins`
// equal-width bins over (0, 1] (bin b holds (b/bins, (b+1)/bins]); the sum
// over bins of (share of faces) * |accuracy - mean confidence|. 0 for no face.
double expected_calibration_error(const Confidences& c, int bins = kCalibrationBins);

// One point of the risk-coverage curve: the `answered` most confident faces
// (confidence descending, ties in input order), their share of all faces,
// their accuracy, and the lowest confidence among them (a --min-confidence
// at that value answers at least these faces).
struct RiskCoveragePoint {
  std::size_t answered = 0;
  double coverage = 0, accuracy = 0, min_confidence = 0;
};
// The whole curve: one point per answered count 1..n.
std::vector<RiskCoveragePoint> risk_coverage_curve(const Confidences& c);
// The point of `curve` with the fewest answered faces whose coverage is at least `coverage`.
RiskCoveragePoint risk_coverage_at(const std::vector<RiskCoveragePoint>& curve, double coverage);
// [{"coverage", "answered", "accuracy", "min_confidence"}, ...] at risk_coverages().
json risk_coverage_json(const std::vector<RiskCoveragePoint>& curve);

// The model's temperature (model.json "confidence.temperature"; 1 without it).
double model_temperature(const json& meta);

// Fits the model's temperature on the store's validation shard (which must be
// the split the model was trained on), through the Classifier (the engine
// classify runs), and records "confidence" in its model.json: the
// temperature, the split, and the expected calibration error on it before
// and after. Returns the new model.json. Throws Error when the shards are
// another split's or the model was trained on its validation crops.
json fit_model_temperature(ObjectStore& store, const ModelRef& model, int threads = 0);

}  // namespace mw
