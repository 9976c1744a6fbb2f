#include "train/run_book.h"

#include <cstdio>

#include "core/paths.h"
#include "infer/calibrate.h"
#include "model/artifact.h"
#include "model/runtime.h"
#include "train/confidence.h"
#include "train/metrics.h"
#include "train/options.h"

namespace mw {

namespace F = torch::nn::functional;

namespace {

struct Validation {
  double loss = 0;
  ConfusionMatrix cm;
};

// Plain crops, eval mode.
Validation validate(NetworkImpl& net, const Shard& val_set, int crop_size, int input_size) {
  const auto n = static_cast<std::int64_t>(val_set.count());
  auto logits = logits_for_crops(net, val_set.pixels.data(), n, crop_size, input_size);
  std::vector<std::int64_t> labels(val_set.labels.begin(), val_set.labels.end());
  auto y = torch::from_blob(labels.data(), {n}, torch::kLong);
  Validation v;
  v.loss = F::cross_entropy(logits, y).item<double>();
  auto pred = logits.argmax(1);
  for (std::size_t i = 0; i < labels.size(); ++i)
    v.cm.add(static_cast<int>(labels[i]), static_cast<int>(pred[i].item<long>()));
  return v;
}

std::string fmt(const char* f, double a, double b = 0, double c = 0, double d = 0, double e = 0, double g = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, a, b, c, d, e, g);
  return buf;
}

}  // namespace

RunBook::RunBook(ObjectStore& store, const TrainOptions& o, RunInfo info, const Shard& val_set, const Reporter& rep)
    : store_(store),
      o_(o),
      info_(std::move(info)),
      val_set_(val_set),
      rep_(rep),
      ckpt_key_(run_key(info_.run, "checkpoint.pt")),
      best_key_(run_key(info_.run, "best.pt")) {}

void RunBook::end_epoch(int epoch, const EpochStats& stats, Clock::time_point start, NetworkImpl& published,
                        NetworkImpl& net, torch::optim::Optimizer& optimizer, NetworkImpl* ema) {
  const Validation v = validate(published, val_set_, info_.crop_size, o_.input_size);
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  const bool best = info_.fit_val ? epoch == o_.epochs : v.cm.macro_f1() > st_.best_f1;
  st_.history.push_back({{"epoch", epoch},
                         {"train_loss", stats.loss()},
                         {"train_accuracy", stats.accuracy()},
                         {"val_loss", v.loss},
                         {"val_accuracy", v.cm.accuracy()},
                         {"val_macro_f1", v.cm.macro_f1()},
                         {"val_recall", {v.cm.recall(0), v.cm.recall(1), v.cm.recall(2)}},
                         {"seconds", secs}});
  if (best) {
    st_.best_f1 = v.cm.macro_f1();
    st_.best_epoch = epoch;
    store_.put(best_key_, weights_to_bytes(published));
  }
  st_.epoch = epoch;
  save(net, optimizer, ema);
  rep_.say(fmt("epoch %2.0f/%-2.0f train loss %.4f acc %.4f | ", epoch, o_.epochs, stats.loss(), stats.accuracy()) +
           fmt("val loss %.4f acc %.4f macro-F1 %.4f | %.1f s", v.loss, v.cm.accuracy(), v.cm.macro_f1(), secs) +
           (best && !info_.fit_val ? "  *best" : ""));
}

// The checkpoint, then (once) runs/latest: a run killed before its first
// checkpoint leaves the pointer on the previous, resumable run.
void RunBook::save(NetworkImpl& net, torch::optim::Optimizer& optimizer, NetworkImpl* ema) {
  save_checkpoint(store_, ckpt_key_, net, optimizer, st_, ema);
  if (latest_) return;
  store_.put(kLatestRunKey, info_.run + "\n");
  latest_ = true;
}

json RunBook::publish(NetworkImpl& net) {
  weights_from_bytes(net, store_.get(best_key_), store_.uri() + "/" + best_key_);
  json meta = publish_model(store_, net, model_meta(net));
  // int8 ranges on this run's training crops (the model is usable without them: fp32).
  if (meta.contains("plain_sha256")) meta = calibrate_model(store_, find_model(store_, meta.at("id")));
  // The softmax temperature on the held-out validation crops (without them: 1).
  if (!info_.fit_val) meta = fit_model_temperature(store_, find_model(store_, meta.at("id")), o_.threads);
  return meta;
}

json RunBook::model_meta(NetworkImpl& net) const {
  const auto& best_row = st_.history.at(st_.best_epoch - 1);
  const auto norm = net.normalisation();
  json meta = {{"arch", o_.arch},
               {"labels", class_names()},
               {"input_size", o_.input_size},
               {"crop_size", info_.crop_size},
               {"margin", info_.shard_meta.value("margin", 0.0)},
               {"normalisation",
                {{"mean", norm.mean},
                 {"inv_scale", norm.inv_scale},
                 {"formula", "(pixel - mean) * inv_scale, pixels 0..255 RGB"}}},
               {"manifest_hash", info_.shard_meta.value("manifest_hash", "")},
               {"run", info_.run},
               {"best_epoch", st_.best_epoch},
               {"holdout", o_.holdout},
               {"metrics",
                {{"val_accuracy", best_row.at("val_accuracy")},
                 {"val_macro_f1", best_row.at("val_macro_f1")},
                 {"val_loss", best_row.at("val_loss")},
                 {"val_held_out", !info_.fit_val}}},
               {"history", st_.history},
               {"train", st_.fingerprint},
               {"train_seconds_this_process", std::chrono::duration<double>(Clock::now() - process_start_).count()},
               {"created_at", utc_now_iso()}};
  if (info_.teacher)
    meta["teacher"] = {{"id", info_.teacher->id},
                       {"arch", info_.teacher->model.meta.value("arch", "")},
                       {"distill", o_.distill},
                       {"temperature", o_.temperature}};
  if (st_.fingerprint.contains("init"))
    meta["init"] = {{"file", st_.fingerprint["init"]}, {"sha256", st_.fingerprint.value("init_sha256", "")}};
  return meta;
}

}  // namespace mw
