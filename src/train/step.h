// One training step: learning rate schedule, loss (class weights, label
// smoothing, mixup, distillation), the optimiser's step and the weight EMA.
#pragma once
#include <torch/torch.h>

#include <memory>

#include "data/shard.h"
#include "maskwatch.h"
#include "model/network.h"
#include "train/batches.h"
#include "train/distill.h"

namespace mw {

// SGD or AdamW over four parameter groups: {head, body} x {weights with
// decay, biases and norms without}; the body learns at --body-lr-scale.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainOptions& o, NetworkImpl& net);

// What an epoch's steps add up to.
struct EpochStats {
  double loss_sum = 0;  // loss times batch size
  long correct = 0, seen = 0;
  double loss() const { return loss_sum / std::max(1L, seen); }
  double accuracy() const { return double(correct) / std::max(1L, seen); }
};

class Stepper {
 public:
  // `ema` (the averaged weights) and `teacher` may be null.
  Stepper(const TrainOptions& o, const Shard& train_set, NetworkImpl& net, torch::optim::Optimizer& optimizer,
          NetworkImpl* ema, Teacher* teacher);
  // Step `step` of the run (epochs * steps_per_epoch in all) on batch.
  void step(const Batch& batch, long step, long steps_per_epoch, EpochStats& stats);

 private:
  void set_learning_rates(long step, long steps_per_epoch);
  torch::Tensor loss_of(const Batch& batch, const torch::Tensor& logits) const;

  const TrainOptions& o_;
  NetworkImpl& net_;
  torch::optim::Optimizer& optimizer_;
  NetworkImpl* ema_;
  Teacher* teacher_;
  torch::Tensor class_weights_;
};

}  // namespace mw
