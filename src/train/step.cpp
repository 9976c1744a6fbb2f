#include "train/step.h"

#include <array>
#include <cmath>

#include "train/lr_schedule.h"
#include "train/sampler.h"

namespace mw {

namespace F = torch::nn::functional;

namespace {

// Four parameter groups: {head, body} x {weights with decay, biases and norms without}.
// The body's learning rate is --lr times --body-lr-scale (discriminative rates for a
// pretrained start); lr_scale_of_group gives each group's factor, in order.
constexpr std::size_t kGroups = 4;
double lr_scale_of_group(const TrainOptions& o, std::size_t g) { return g < 2 ? 1.0 : o.body_lr_scale; }

double lr_at(const TrainOptions& o, long step, long steps_per_epoch) {
  return warmup_cosine_lr(o.lr, step, o.warmup_epochs * steps_per_epoch, o.epochs * steps_per_epoch);
}

// ema = d * ema + (1 - d) * weights; BatchNorm statistics are copied.
void update_ema(NetworkImpl& ema, NetworkImpl& net, double decay) {
  torch::NoGradGuard no_grad;
  auto e = ema.parameters(), w = net.parameters();
  for (std::size_t i = 0; i < e.size(); ++i) e[i].mul_(decay).add_(w[i], 1 - decay);
  auto eb = ema.buffers(), wb = net.buffers();
  for (std::size_t i = 0; i < eb.size(); ++i) eb[i].copy_(wb[i]);
}

}  // namespace

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainOptions& o, NetworkImpl& net) {
  std::array<std::vector<torch::Tensor>, kGroups> params;
  for (auto& item : net.named_parameters()) {
    if (!item.value().requires_grad()) continue;
    const bool head = item.key().rfind("fc.", 0) == 0;
    params[(head ? 0 : 2) + (item.value().dim() > 1 ? 0 : 1)].push_back(item.value());
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  for (std::size_t g = 0; g < kGroups; ++g) {
    const double lr = o.lr * lr_scale_of_group(o, g), wd = g % 2 == 0 ? o.weight_decay : 0.0;
    if (o.optimizer == "sgd")
      groups.emplace_back(params[g], std::make_unique<torch::optim::SGDOptions>(
                                         torch::optim::SGDOptions(lr).momentum(o.momentum).weight_decay(wd)));
    else
      groups.emplace_back(
          params[g], std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(lr).weight_decay(wd)));
  }
  if (o.optimizer == "sgd")
    return std::make_unique<torch::optim::SGD>(std::move(groups), torch::optim::SGDOptions(o.lr));
  return std::make_unique<torch::optim::AdamW>(std::move(groups), torch::optim::AdamWOptions(o.lr));
}

Stepper::Stepper(const TrainOptions& o, const Shard& train_set, NetworkImpl& net, torch::optim::Optimizer& optimizer,
                 NetworkImpl* ema, Teacher* teacher)
    : o_(o),
      net_(net),
      optimizer_(optimizer),
      ema_(ema),
      teacher_(teacher),
      class_weights_(torch::tensor(class_weights(train_set, o))) {}

void Stepper::step(const Batch& batch, long step, long steps_per_epoch, EpochStats& stats) {
  set_learning_rates(step, steps_per_epoch);
  auto logits = net_.forward(batch.x);
  auto loss = loss_of(batch, logits);
  optimizer_.zero_grad();
  loss.backward();
  optimizer_.step();
  if (ema_) update_ema(*ema_, net_, o_.ema);
  stats.loss_sum += loss.item<double>() * double(batch.size());
  stats.correct += logits.argmax(1).eq(batch.y).sum().item<long>();
  stats.seen += static_cast<long>(batch.size());
}

void Stepper::set_learning_rates(long step, long steps_per_epoch) {
  auto& groups = optimizer_.param_groups();
  for (std::size_t g = 0; g < groups.size(); ++g)
    groups[g].options().set_lr(lr_at(o_, step, steps_per_epoch) * lr_scale_of_group(o_, g));
}

// Cross-entropy on the labels (both partners' under mixup, by their weights),
// then, with a teacher, 1 - distill of it plus distill of the teacher's term.
torch::Tensor Stepper::loss_of(const Batch& batch, const torch::Tensor& logits) const {
  const auto ce = F::CrossEntropyFuncOptions().weight(class_weights_).label_smoothing(o_.label_smoothing);
  torch::Tensor loss = F::cross_entropy(logits, batch.y, ce);
  if (batch.partner.defined())
    loss = loss.mul(batch.mix_weight) +
           F::cross_entropy(logits, batch.y.index_select(0, batch.partner), ce).mul(1 - batch.mix_weight);
  if (!teacher_) return loss;
  const auto soft = teacher_probabilities(*teacher_, batch.teacher_x, o_.temperature);
  return loss.mul(1 - o_.distill) + distillation_loss(logits, soft, o_.temperature).mul(o_.distill);
}

}  // namespace mw
