#include <sstream>

#include "core/paths.h"
#include "data/shard.h"
#include "data/split.h"
#include "model/artifact.h"
#include "model/runtime.h"
#include "train/metrics.h"

namespace mw {

namespace {
// Face-size bands (shorter side of the box, in pixels).
constexpr int kSmallFace = 24, kLargeFace = 64;
const char* band_of(int px) { return px < kSmallFace ? "under_24px" : px <= kLargeFace ? "24_to_64px" : "over_64px"; }

// One row per face: image, face size, label, prediction, softmax scores.
std::string predictions_csv(const Shard& shard, const torch::Tensor& logits, const torch::Tensor& pred) {
  auto prob = torch::softmax(logits, 1).contiguous();
  auto pr = prob.accessor<float, 2>();
  auto p = pred.accessor<long, 1>();
  std::ostringstream out;
  out << "image,face_px,label,predicted";
  for (const auto& name : class_names()) out << ",score_" << name;
  out << "\n";
  for (std::size_t i = 0; i < shard.count(); ++i) {
    const auto row = static_cast<std::int64_t>(i);
    out << shard.stems[i] << ',' << shard.face_px[i] << ',' << class_names()[shard.labels[i]] << ','
        << class_names()[static_cast<std::size_t>(p[row])];
    for (std::int64_t k = 0; k < kNumClasses; ++k) out << ',' << pr[row][k];
    out << "\n";
  }
  return out.str();
}
}  // namespace

json evaluate(const EvaluateOptions& opt, const Reporter& rep) {
  set_threads(opt.threads);
  split_index(opt.split);
  auto store = open_store(opt.store);
  auto model = load_model(*store, opt.model);
  model.net->fold_batchnorm();
  auto shard = load_shard(*store, opt.split);
  const int crop = model.meta.value("crop_size", shard.size);
  if (crop != shard.size)
    throw Error(store->uri() + "/" + shard_key(opt.split),
                "shards hold " + std::to_string(shard.size) + " px crops but the model was trained on " +
                    std::to_string(crop) + " px crops: run 'maskwatch prepare --crop-size " + std::to_string(crop) +
                    "'");
  if (model.meta.value("manifest_hash", "") != json::parse(store->get("shards/meta.json")).value("manifest_hash", ""))
    rep.say("warning: the model was trained on another split of the data; these figures may include training images");
  if (opt.split == "val" && model.meta.value("holdout", "val") == "none")
    rep.say("warning: this model was trained on the validation crops (--holdout none); these figures are not held out");
  auto logits = logits_for_crops(*model.net, shard.pixels.data(), static_cast<std::int64_t>(shard.count()), shard.size,
                                 model.meta.at("input_size"));
  auto pred = logits.argmax(1).contiguous();
  auto p = pred.accessor<long, 1>();
  ConfusionMatrix all;
  std::map<std::string, ConfusionMatrix> bands;
  for (std::size_t i = 0; i < shard.count(); ++i) {
    all.add(shard.labels[i], static_cast<int>(p[i]));
    bands[band_of(shard.face_px[i])].add(shard.labels[i], static_cast<int>(p[i]));
  }
  json out = all.to_json();
  out["split"] = opt.split;
  out["model"] = model.meta.at("id");
  json by_size = json::object();
  for (const auto& [name, cm] : bands)
    by_size[name] = {{"objects", cm.total()}, {"accuracy", cm.accuracy()}, {"macro_f1", cm.macro_f1()}};
  out["by_face_size"] = by_size;
  out["text"] = all.to_text();
  if (!opt.predictions.empty()) {
    write_file_atomic(opt.predictions, predictions_csv(shard, logits, pred));
    out["predictions"] = opt.predictions;
  }
  return out;
}

}  // namespace mw
