// Each architecture's tuned training recipe (chosen on the validation split;
// docs/measurements.md). Free of LibTorch, so that the CLI can show it.
#include "maskwatch.h"
#include "model/arch.h"

namespace mw {

TrainOptions train_recipe(const std::string& arch) {
  TrainOptions o;  // its defaults are the from-scratch recipe (resnet18, resnet34)
  o.arch = arch;
  if (arch == "face-resnet") {
    // Fine-tuning: the new head at lr, the whole pretrained body (stem
    // included: nothing frozen, as in TrainOptions{}) at 1/20 of it.
    o.input_size = kFaceMinInput;
    o.epochs = 12;
    o.optimizer = "adamw";
    o.lr = 2e-3;
    o.body_lr_scale = 0.05;
    o.weight_decay = 0.01;
  }
  return o;
}

}  // namespace mw

namespace mw {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TrainOptions, store, arch, input_size, epochs, batch, optimizer, lr,
                                                momentum, weight_decay, freeze, balance, balance_power, label_smoothing,
                                                mixup, synthesize, teacher, distill, temperature, ema, augment,
                                                augment_strength, seed, threads, resume, run, init, warmup_epochs,
                                                body_lr_scale, holdout, limit, val_limit, stop_after_batches)

json to_json(const TrainOptions& o) {
  json j;
  nlohmann::to_json(j, o);
  return j;
}

TrainOptions resolve_train_options(const std::string& store, const json& given) {
  if (!given.is_object()) throw Error("train options", "expected a JSON object of settings");
  const TrainOptions fallback = train_recipe(given.value("arch", TrainOptions{}.arch));
  json merged;
  nlohmann::to_json(merged, fallback);
  for (auto& [key, value] : given.items()) {
    if (!merged.contains(key)) throw Error("train options", "unknown setting '" + key + "'");
    merged[key] = value;
  }
  merged["store"] = store;
  return merged.get<TrainOptions>();
}

}  // namespace mw
