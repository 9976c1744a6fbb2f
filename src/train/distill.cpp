#include "train/distill.h"

namespace mw {

namespace F = torch::nn::functional;

Teacher load_teacher(const ObjectStore& store, const std::string& id, const json& shard_meta) {
  Teacher t{load_model(store, id), "", 0};
  const json& meta = t.model.meta;
  t.id = meta.at("id").get<std::string>();
  t.input_size = meta.at("input_size").get<int>();
  const std::string where = store.uri() + "/models/" + t.id;
  auto bad = [&](const std::string& why) { throw Error("train --teacher " + id, why + " (" + where + ")"); };
  if (meta.value("manifest_hash", "") != shard_meta.value("manifest_hash", ""))
    bad("the teacher was trained on another split than the prepared shards");
  if (meta.at("labels") != json(class_names())) bad("the teacher's labels differ from " + json(class_names()).dump());
  if (meta.value("holdout", "val") != "val")
    bad("the teacher trained on the validation crops (--holdout " + meta.value("holdout", "") +
        "), so validation could not choose the student's epoch fairly");
  return t;
}

torch::Tensor teacher_probabilities(Teacher& teacher, const torch::Tensor& input, double t) {
  c10::InferenceMode inference;  // load_model left it in eval mode, and nothing trains it
  return F::softmax(teacher.model.net->forward(input).div(t), 1);
}

torch::Tensor distillation_loss(const torch::Tensor& student_logits, const torch::Tensor& teacher_probs, double t) {
  auto log_p = F::log_softmax(student_logits.div(t), 1);
  // KL(q || p) = sum q (log q - log p); the q log q part has no gradient but keeps the loss >= 0.
  auto q = teacher_probs.clone();
  return (q * (q.clamp_min(1e-12).log() - log_p)).sum(1).mean().mul(t * t);
}

}  // namespace mw
