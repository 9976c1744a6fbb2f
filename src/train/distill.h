// Distillation: a published model of the same store (the teacher) gives soft
// targets that a network learns from beside the labels. The teacher must have
// been trained on this split with the validation crops held out, so that
// neither validation nor test figures see anything it learnt from them.
#pragma once
#include <torch/torch.h>

#include <string>

#include "maskwatch.h"
#include "model/artifact.h"
#include "store/object_store.h"

namespace mw {

struct Teacher {
  LoadedModel model;
  std::string id;
  int input_size = 0;
};

// Loads --teacher and checks that it fits the shards (same manifest, same
// labels, validation held out); errors name the model and the mismatch.
Teacher load_teacher(const ObjectStore& store, const std::string& id, const json& shard_meta);

// The teacher's class probabilities at temperature t for a batch of its normalised input.
torch::Tensor teacher_probabilities(Teacher& teacher, const torch::Tensor& input, double t);

// t^2 * KL(teacher || student at temperature t), averaged over the batch
// (the t^2 keeps its gradient on the scale of the label term's).
torch::Tensor distillation_loss(const torch::Tensor& student_logits, const torch::Tensor& teacher_probs, double t);

}  // namespace mw
