// The bookkeeping of a run: after each epoch, validation, the history row,
// the best epoch's weights, the checkpoint (and runs/latest); at the end, the
// best epoch published as a model.
#pragma once
#include <torch/torch.h>

#include <chrono>
#include <string>

#include "data/shard.h"
#include "maskwatch.h"
#include "model/network.h"
#include "store/object_store.h"
#include "train/checkpoint.h"
#include "train/distill.h"
#include "train/step.h"

namespace mw {

struct RunInfo {
  std::string run;
  json shard_meta;       // shards/meta.json
  int crop_size = 0;     // stored crop side
  bool fit_val = false;  // --holdout none
  const Teacher* teacher = nullptr;
};

class RunBook {
 public:
  using Clock = std::chrono::steady_clock;
  RunBook(ObjectStore& store, const TrainOptions& o, RunInfo info, const Shard& val_set, const Reporter& rep);
  TrainState& state() { return st_; }
  const std::string& checkpoint_key() const { return ckpt_key_; }
  // After the steps of `epoch` (begun at `start`): validates `published`
  // (the EMA, else net), records the epoch, keeps best.pt when it is the best
  // one, saves the checkpoint and says the epoch's line.
  void end_epoch(int epoch, const EpochStats& stats, Clock::time_point start, NetworkImpl& published, NetworkImpl& net,
                 torch::optim::Optimizer& optimizer, NetworkImpl* ema);
  // Loads the best epoch into net and publishes it; returns the model's metadata.
  json publish(NetworkImpl& net);

 private:
  void save(NetworkImpl& net, torch::optim::Optimizer& optimizer, NetworkImpl* ema);
  json model_meta(NetworkImpl& net) const;

  ObjectStore& store_;
  const TrainOptions& o_;
  RunInfo info_;
  const Shard& val_set_;
  const Reporter& rep_;
  std::string ckpt_key_, best_key_;
  TrainState st_;
  bool latest_ = false;  // runs/latest names this run
  Clock::time_point process_start_ = Clock::now();
};

}  // namespace mw
