#include "train/confidence.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "data/shard.h"
#include "infer/calibrate.h"

namespace mw {

namespace {

constexpr int kGoldenSteps = 80;  // the bracket shrinks by 0.618 a step: far below float precision
constexpr double kCoverageSlack = 1e-9;

// -log softmax(logits / T)[label], in double.
double face_nll(const float* logits, int classes, double temperature, int label) {
  double top = -INFINITY;
  for (int k = 0; k < classes; ++k) top = std::max(top, double(logits[k]) / temperature);
  double sum = 0;
  for (int k = 0; k < classes; ++k) sum += std::exp(double(logits[k]) / temperature - top);
  return top + std::log(sum) - double(logits[label]) / temperature;
}

}  // namespace

void softmax_with_temperature(const float* logits, int classes, double temperature, float* out) {
  const double top = *std::max_element(logits, logits + classes);
  double sum = 0;
  for (int k = 0; k < classes; ++k) sum += out[k] = float(std::exp((double(logits[k]) - top) / temperature));
  for (int k = 0; k < classes; ++k) out[k] = float(out[k] / sum);
}

std::vector<Face> predictions_from_logits(const float* logits, std::size_t n, int classes, double temperature) {
  std::vector<Face> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const float* l = logits + i * std::size_t(classes);
    auto& p = out[i];
    p.scores.resize(std::size_t(classes));
    softmax_with_temperature(l, classes, temperature, p.scores.data());
    p.label = static_cast<int>(std::max_element(l, l + classes) - l);
    p.confidence = p.scores[std::size_t(p.label)];
  }
  return out;
}

double temperature_nll(const LabelledLogits& data, double temperature) {
  if (data.count() == 0) return 0;
  double total = 0;
  for (std::size_t i = 0; i < data.count(); ++i)
    total += face_nll(data.logits.data() + i * std::size_t(data.classes), data.classes, temperature, data.labels[i]);
  return total / double(data.count());
}

double fit_temperature(const LabelledLogits& data) {
  if (data.count() == 0) throw Error("fit_temperature", "no faces to fit a temperature on");
  const double ratio = (std::sqrt(5.0) - 1) / 2;
  double lo = std::log(kMinModelTemperature), hi = std::log(kMaxModelTemperature);
  auto nll = [&data](double log_t) { return temperature_nll(data, std::exp(log_t)); };
  double a = hi - ratio * (hi - lo), b = lo + ratio * (hi - lo);
  double fa = nll(a), fb = nll(b);
  for (int step = 0; step < kGoldenSteps; ++step) {
    if (fa <= fb) {
      hi = b, b = a, fb = fa;
      a = hi - ratio * (hi - lo), fa = nll(a);
    } else {
      lo = a, a = b, fa = fb;
      b = lo + ratio * (hi - lo), fb = nll(b);
    }
  }
  return std::exp(0.5 * (lo + hi));
}

Confidences confidences(const LabelledLogits& data, double temperature) {
  Confidences c;
  for (const auto& p : predictions_from_logits(data.logits.data(), data.count(), data.classes, temperature)) {
    c.confidence.push_back(p.confidence);
    c.correct.push_back(p.label == data.labels[c.correct.size()]);
  }
  return c;
}

double expected_calibration_error(const Confidences& c, int bins) {
  const std::size_t n = c.confidence.size();
  if (n == 0) return 0;
  std::vector<double> confidence_sum(std::size_t(bins), 0), right(std::size_t(bins), 0), count(std::size_t(bins), 0);
  for (std::size_t i = 0; i < n; ++i) {
    const double p = c.confidence[i];
    const auto b = std::size_t(std::clamp(int(std::ceil(p * bins)) - 1, 0, bins - 1));
    confidence_sum[b] += p, right[b] += c.correct[i] ? 1 : 0, count[b] += 1;
  }
  double ece = 0;
  for (std::size_t b = 0; b < std::size_t(bins); ++b)
    if (count[b] > 0) ece += std::abs(right[b] - confidence_sum[b]) / double(n);
  return ece;
}

std::vector<RiskCoveragePoint> risk_coverage_curve(const Confidences& c) {
  const std::size_t n = c.confidence.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::stable_sort(order.begin(), order.end(),
                   [&c](std::size_t a, std::size_t b) { return c.confidence[a] > c.confidence[b]; });
  std::vector<RiskCoveragePoint> curve;
  std::size_t right = 0;
  for (std::size_t k = 0; k < n; ++k) {
    right += c.correct[order[k]] ? 1 : 0;
    curve.push_back({k + 1, double(k + 1) / double(n), double(right) / double(k + 1), c.confidence[order[k]]});
  }
  return curve;
}

RiskCoveragePoint risk_coverage_at(const std::vector<RiskCoveragePoint>& curve, double coverage) {
  for (const auto& p : curve)
    if (p.coverage >= coverage - kCoverageSlack) return p;
  return curve.empty() ? RiskCoveragePoint{} : curve.back();
}

json risk_coverage_json(const std::vector<RiskCoveragePoint>& curve) {
  json out = json::array();
  for (double coverage : risk_coverages()) {
    const auto p = risk_coverage_at(curve, coverage);
    out.push_back({{"coverage", coverage},
                   {"answered", p.answered},
                   {"accuracy", p.accuracy},
                   {"min_confidence", p.min_confidence}});
  }
  return out;
}

double model_temperature(const json& meta) {
  const auto conf = meta.find("confidence");
  if (conf == meta.end() || !conf->is_object()) return 1;
  return conf->value("temperature", 1.0);
}

json fit_model_temperature(ObjectStore& store, const ModelRef& model, int threads) {
  const std::string where = store.uri() + "/" + model.dir + "model.json";
  if (model.meta.value("holdout", "val") == "none")
    throw Error(where, "the model was trained on its validation crops (--holdout none); no held-out split to fit on");
  const Shard val =
      load_model_shard(store, model, "val", "their validation crops could be the model's training images");
  const Classifier clf(store.uri(), model.meta.at("id").get<std::string>(), threads);
  LabelledLogits data;
  data.classes = static_cast<int>(clf.labels().size());
  data.logits = clf.logits(val.pixels.data(), val.count(), val.size);
  data.labels.assign(val.labels.begin(), val.labels.end());
  const double t = fit_temperature(data);
  json meta = model.meta;
  meta["confidence"] = {{"temperature", t},
                        {"fitted_on", "val"},
                        {"faces", val.count()},
                        {"engine", clf.engine()},
                        {"ece_val_before", expected_calibration_error(confidences(data, 1))},
                        {"ece_val_after", expected_calibration_error(confidences(data, t))}};
  store.put(model.dir + "model.json", meta.dump(2));
  return meta;
}

}  // namespace mw
