// Evaluation runs the same engine as classify and benchmark (the Classifier),
// on the prepared shard of a split.
#include <sstream>

#include "core/paths.h"
#include "core/svg_chart.h"
#include "data/shard.h"
#include "data/split.h"
#include "detect/face_size.h"
#include "model/catalog.h"
#include "store/object_store.h"
#include "train/confidence.h"
#include "train/metrics.h"

namespace mw {

namespace {
// One row per face: image, face size, label, prediction, softmax scores.
std::string predictions_csv(const Shard& shard, const std::vector<Face>& preds,
                            const std::vector<std::string>& labels) {
  std::ostringstream out;
  out << "image,face_px,label,predicted";
  for (const auto& name : labels) out << ",score_" << name;
  out << "\n";
  for (std::size_t i = 0; i < shard.count(); ++i) {
    out << shard.stems[i] << ',' << shard.face_px[i] << ',' << class_names()[shard.labels[i]] << ','
        << labels.at(static_cast<std::size_t>(preds[i].label));
    for (float p : preds[i].scores) out << ',' << p;
    out << "\n";
  }
  return out.str();
}
// Expected calibration error with temperature 1 and with the model's; the risk-coverage points.
json confidence_report(const LabelledLogits& data, double temperature, const std::vector<RiskCoveragePoint>& curve) {
  return {{"temperature", temperature},
          {"bins", kCalibrationBins},
          {"ece_before", expected_calibration_error(confidences(data, 1))},
          {"ece_after", expected_calibration_error(confidences(data, temperature))},
          {"risk_coverage", risk_coverage_json(curve)}};
}

std::string risk_plot(const std::vector<RiskCoveragePoint>& curve, const std::string& model, const std::string& split) {
  UnitCurve c;
  c.title = "maskwatch " + model + ": accuracy of the answered faces (" + split + " split)";
  c.x_label = "share of faces answered (the most confident first)";
  c.y_label = "accuracy of the answered faces";
  for (const auto& p : curve) c.points.emplace_back(p.coverage, p.accuracy);
  for (double coverage : risk_coverages()) {
    const auto p = risk_coverage_at(curve, coverage);
    c.marked.emplace_back(p.coverage, p.accuracy);
  }
  return plot_unit_curve_svg(c);
}

}  // namespace

json evaluate(const EvaluateOptions& opt, const Reporter& rep) {
  split_index(opt.split);
  Classifier clf(opt.store, opt.model, opt.threads);
  const json& meta = clf.metadata();
  if (clf.labels() != std::vector<std::string>(class_names().begin(), class_names().end()))
    throw Error("model " + meta.value("id", opt.model), "its labels are not this dataset's classes");
  auto store = open_store(opt.store);
  auto shard = load_shard(*store, opt.split);
  const int crop = meta.value("crop_size", shard.size);
  if (crop != shard.size)
    throw Error(store->uri() + "/" + shard_key(opt.split),
                "shards hold " + std::to_string(shard.size) + " px crops but the model was trained on " +
                    std::to_string(crop) + " px crops: run 'maskwatch prepare --crop-size " + std::to_string(crop) +
                    "'");
  if (meta.value("manifest_hash", "") != json::parse(store->get("shards/meta.json")).value("manifest_hash", ""))
    rep.say("warning: the model was trained on another split of the data; these figures may include training images");
  if (opt.split == "val" && meta.value("holdout", "val") == "none")
    rep.say("warning: this model was trained on the validation crops (--holdout none); these figures are not held out");
  LabelledLogits data;
  data.classes = static_cast<int>(clf.labels().size());
  data.logits = clf.logits(shard.pixels.data(), shard.count(), shard.size);
  data.labels.assign(shard.labels.begin(), shard.labels.end());
  const auto preds = predictions_from_logits(data.logits.data(), data.count(), data.classes, clf.temperature());
  const auto curve = risk_coverage_curve(confidences(data, clf.temperature()));
  ConfusionMatrix all;
  std::map<std::string, ConfusionMatrix> bands;
  for (std::size_t i = 0; i < shard.count(); ++i) {
    all.add(shard.labels[i], preds[i].label);
    bands[face_size_band(shard.face_px[i])].add(shard.labels[i], preds[i].label);
  }
  json out = all.to_json();
  out["split"] = opt.split;
  out["model"] = meta.at("id");
  out["engine"] = clf.engine();
  json by_size = json::object();
  for (const auto& [name, cm] : bands)
    by_size[name] = {{"objects", cm.total()}, {"accuracy", cm.accuracy()}, {"macro_f1", cm.macro_f1()}};
  out["by_face_size"] = by_size;
  out["confidence"] = confidence_report(data, clf.temperature(), curve);
  store->put(evaluation_key(meta.at("id"), opt.split), out.dump(2));  // for 'maskwatch models'
  out["text"] = all.to_text();
  if (!opt.predictions.empty()) {
    write_file_atomic(opt.predictions, predictions_csv(shard, preds, clf.labels()));
    out["predictions"] = opt.predictions;
  }
  if (!opt.risk_plot.empty()) {
    write_file_atomic(opt.risk_plot, risk_plot(curve, meta.at("id").get<std::string>(), opt.split));
    out["risk_plot"] = opt.risk_plot;
  }
  return out;
}

}  // namespace mw
