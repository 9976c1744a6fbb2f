// Batch assembly for training: the epoch's order (sampler), composite faces
// (--synthesize), augmentation and mixup, from the seed, the epoch and the
// position alone, so that an epoch can be replayed from its start.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "data/augment.h"
#include "data/framing.h"
#include "data/shard.h"
#include "maskwatch.h"
#include "model/network.h"

namespace mw {

// One step's input: normalised crops (mixed when mixup is on) and labels.
struct Batch {
  torch::Tensor x;          // [n, 3, S, S], the network's input
  torch::Tensor teacher_x;  // the same views at the teacher's size; undefined without one
  torch::Tensor y;          // [n] class indices
  // Mixup: x = mix_weight * crops + (1 - mix_weight) * crops[partner];
  // partner is undefined when mixup is off.
  double mix_weight = 1;
  torch::Tensor partner;
  std::int64_t size() const { return y.size(0); }
};

// The side and normalisation of a network's input.
struct InputSpec {
  int size = 0;
  Normalisation norm;
};

class BatchMaker {
 public:
  // `teacher`: the teacher's input, when there is one; it sees the same views.
  BatchMaker(const TrainOptions& o, const Shard& train_set, InputSpec student, std::optional<InputSpec> teacher);
  ~BatchMaker();
  // Framing augmentation (data/framing.h): each view is a window of the face's
  // context crop (`context`: train_set's faces in the same order, with the
  // context framing needs), then augmented as without it. Before the first epoch.
  void frame_from(const Shard& context, const FramingOptions& framing);
  long steps_per_epoch() const { return steps_; }
  void start_epoch(int epoch);
  // Batch b of the epoch; nullopt when it holds fewer than two crops
  // (BatchNorm cannot train on one).
  std::optional<Batch> make(long b);

 private:
  // Crop j of the epoch into dst (the student's) and tdst (the teacher's).
  void view(std::size_t j, std::uint8_t* dst, std::uint8_t* tdst);
  void mix(long b, Batch& batch) const;

  class Synthesizer;
  const TrainOptions& o_;
  const Shard& set_;
  InputSpec student_;
  std::optional<InputSpec> teacher_;
  AugmentOptions aug_;
  long steps_;
  int epoch_ = 0;
  std::vector<std::size_t> order_;
  std::vector<std::uint8_t> px_, teacher_px_;
  std::vector<std::int64_t> labels_;
  std::unique_ptr<Synthesizer> synth_;
  const Shard* context_ = nullptr;  // frame_from's; null without framing
  FramingOptions framing_;
  std::vector<std::uint8_t> window_;
};

}  // namespace mw
