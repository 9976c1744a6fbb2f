#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "core/hash.h"
#include "core/paths.h"
#include "core/rng.h"
#include "data/augment.h"
#include "data/composite.h"
#include "data/shard.h"
#include "data/split.h"
#include "model/artifact.h"
#include "model/face_resnet.h"
#include "model/network.h"
#include "model/resnet.h"
#include "model/runtime.h"
#include "model/torch_checkpoint.h"
#include "train/checkpoint.h"
#include "train/distill.h"
#include "train/metrics.h"
#include "train/sampler.h"

namespace mw {

namespace F = torch::nn::functional;

namespace {

constexpr double kWarmupStartFactor = 0.1;

void check_options(const TrainOptions& o) {
  auto bad = [](const std::string& flag, const std::string& why) { throw Error("train " + flag, why); };
  if (o.epochs < 1) bad("--epochs", "must be at least 1");
  if (o.batch < 2) bad("--batch", "must be at least 2 (BatchNorm needs two samples)");
  if (o.input_size < 16 || o.input_size > 512) bad("--input-size", "must be in 16..512");
  if (o.lr <= 0) bad("--lr", "must be positive");
  if (o.optimizer != "sgd" && o.optimizer != "adamw") bad("--optimizer", "must be sgd or adamw");
  if (o.balance != "none" && o.balance != "weights" && o.balance != "sampler")
    bad("--balance", "must be none, weights or sampler");
  if (o.augment_strength < 0 || o.augment_strength > 3) bad("--augment-strength", "must be in 0..3");
  if (o.balance_power > 2) bad("--balance-power", "must be at most 2 (or negative: the default)");
  if (o.ema < 0 || o.ema >= 1) bad("--ema", "must be in [0, 1)");
  if (o.label_smoothing < 0 || o.label_smoothing >= 1) bad("--label-smoothing", "must be in [0, 1)");
  if (o.mixup < 0 || o.mixup > 10) bad("--mixup", "must be in 0..10");
  if (o.synthesize < 0 || o.synthesize > 1) bad("--synthesize", "must be in [0, 1]");
  if (o.distill < 0 || o.distill > 1) bad("--distill", "must be in [0, 1]");
  if (o.temperature <= 0 || o.temperature > 20) bad("--temperature", "must be in (0, 20]");
  if (o.body_lr_scale <= 0 || o.body_lr_scale > 1) bad("--body-lr-scale", "must be in (0, 1]");
  if (o.holdout != "val" && o.holdout != "none") bad("--holdout", "must be val or none");
  if (!o.init.empty() && o.arch != "resnet18" && o.arch != "resnet34")
    bad("--init", "a torchvision checkpoint fits only --arch resnet18 or resnet34, not " + o.arch);
}

// --init: a torchvision state_dict into the fresh network; returns the file's SHA-256.
std::string load_init(const std::string& path, NetworkImpl& net, const Reporter& rep) {
  auto* resnet = dynamic_cast<ResNetImpl*>(&net);
  if (!resnet) throw Error("train --init", net.arch + " cannot start from a torchvision checkpoint");
  const std::string bytes = read_file(path);
  auto skipped = load_torchvision_state(*resnet, parse_torch_state_dict(bytes, path), path);
  std::string line = "init: " + path;
  for (std::size_t k = 0; k < skipped.size(); ++k) line += (k ? ", " : " (skipped ") + skipped[k];
  rep.say(skipped.empty() ? line : line + ": its class count differs)");
  return sha256_hex(bytes);
}

json fingerprint_of(const TrainOptions& o, int threads, const json& shard_meta, std::size_t n_train) {
  return {{"arch", o.arch},
          {"input_size", o.input_size},
          {"epochs", o.epochs},
          {"batch", o.batch},
          {"optimizer", o.optimizer},
          {"lr", o.lr},
          {"momentum", o.momentum},
          {"weight_decay", o.weight_decay},
          {"freeze", o.freeze},
          {"balance", o.balance},
          {"label_smoothing", o.label_smoothing},
          {"mixup", o.mixup},
          {"synthesize", o.synthesize},
          {"augment", o.augment},
          {"augment_strength", o.augment_strength},
          {"ema", o.ema},
          {"balance_power", balance_power_of(o)},
          {"teacher", o.teacher},
          {"distill", o.teacher.empty() ? 0.0 : o.distill},
          {"temperature", o.teacher.empty() ? 0.0 : o.temperature},
          {"warmup_epochs", o.warmup_epochs},
          {"holdout", o.holdout},
          {"body_lr_scale", o.body_lr_scale},
          {"seed", o.seed},
          {"threads", threads},
          {"train_crops", n_train},
          {"manifest_hash", shard_meta.value("manifest_hash", "")},
          {"crop_size", shard_meta.value("crop_size", 0)}};
}

// Four parameter groups: {head, body} x {weights with decay, biases and norms without}.
// The body's learning rate is --lr times --body-lr-scale (discriminative rates for a
// pretrained start); lr_scale_of_group gives each group's factor, in order.
constexpr std::size_t kGroups = 4;
double lr_scale_of_group(const TrainOptions& o, std::size_t g) { return g < 2 ? 1.0 : o.body_lr_scale; }

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

// Linear warm-up from kWarmupStartFactor*lr, then cosine decay to zero.
double lr_at(const TrainOptions& o, long step, long steps_per_epoch) {
  long warm = o.warmup_epochs * steps_per_epoch, total = o.epochs * steps_per_epoch;
  if (step < warm) return o.lr * (kWarmupStartFactor + (1 - kWarmupStartFactor) * double(step) / warm);
  double t = double(step - warm) / std::max<long>(1, total - warm);
  return o.lr * 0.5 * (1 + std::cos(M_PI * t));
}

// Mixup: the weight of each sample (lambda ~ Beta(a, a)) and the partner it
// is blended with (a seeded permutation of the batch).
constexpr std::uint64_t kMixupStream = 1ULL << 40;  // apart from the augmentation streams
struct Mixup {
  double weight = 1;
  std::vector<std::int64_t> partner;
};
Mixup mixup_batch(Rng& rng, double a, std::size_t n) {
  std::mt19937_64 gen(rng.next());
  std::gamma_distribution<double> gamma(a, 1.0);
  const double g1 = gamma(gen), g2 = gamma(gen);
  Mixup m;
  m.weight = g1 + g2 > 0 ? g1 / (g1 + g2) : 1.0;
  m.partner.resize(n);
  std::iota(m.partner.begin(), m.partner.end(), 0);
  rng.shuffle(m.partner.begin(), m.partner.end());
  return m;
}

// --synthesize: a drawn mask_weared_incorrect (or with_mask) example is, with
// chance p, replaced by a composite of a without_mask face over a with_mask
// face, the seam below (or above) the nose. Its own stream of draws.
constexpr std::uint64_t kSynthStream = 2ULL << 40;
class Synthesizer {
 public:
  Synthesizer(const Shard& s, double p) : s_(s), p_(p), buf_(s.crop_bytes()) {
    for (std::size_t i = 0; i < s.count(); ++i) {
      if (s.labels[i] == without_) tops_.push_back(i);
      if (s.labels[i] == with_) bottoms_.push_back(i);
    }
  }
  // The crop to train on for draw j of the epoch: example i itself, or a composite.
  const std::uint8_t* crop(std::size_t i, std::uint64_t seed, int epoch, std::size_t j) {
    const int label = s_.labels[i];
    if (p_ <= 0 || tops_.empty() || bottoms_.empty() || (label != incorrect_ && label != with_)) return s_.crop(i);
    Rng rng = Rng::derive(seed, static_cast<std::uint64_t>(epoch), kSynthStream + j);
    if (rng.uniform() >= p_) return s_.crop(i);
    const std::size_t top = tops_[rng.below(tops_.size())], bottom = bottoms_[rng.below(bottoms_.size())];
    const double seam = draw_seam(rng, label == incorrect_ ? kSeamBelowNose : kSeamAboveNose);
    composite_faces(s_.crop(top), s_.crop(bottom), s_.size, seam, buf_.data());
    return buf_.data();
  }

 private:
  const Shard& s_;
  double p_;
  std::vector<std::uint8_t> buf_;
  std::vector<std::size_t> tops_, bottoms_;
  const int with_ = class_index("with_mask"), without_ = class_index("without_mask"),
            incorrect_ = class_index("mask_weared_incorrect");
};

// ema = d * ema + (1 - d) * weights; BatchNorm statistics are copied.
void update_ema(NetworkImpl& ema, NetworkImpl& net, double decay) {
  torch::NoGradGuard no_grad;
  auto e = ema.parameters(), w = net.parameters();
  for (std::size_t i = 0; i < e.size(); ++i) e[i].mul_(decay).add_(w[i], 1 - decay);
  auto eb = ema.buffers(), wb = net.buffers();
  for (std::size_t i = 0; i < eb.size(); ++i) eb[i].copy_(wb[i]);
}

std::string new_run_id(std::uint64_t seed) {
  auto t = utc_now_iso();
  std::string id;
  for (char c : t)
    if (c != '-' && c != ':') id += c;
  return id + "-s" + std::to_string(seed);
}

std::string fmt(const char* f, double a, double b = 0, double c = 0, double d = 0, double e = 0, double g = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, a, b, c, d, e, g);
  return buf;
}

}  // namespace

json train(const TrainOptions& opt, const Reporter& rep) {
  check_options(opt);
  const int threads = set_threads(opt.threads);
  auto store = open_store(opt.store);
  if (!store->exists("shards/meta.json"))
    throw Error(store->uri() + "/shards/meta.json", "no prepared shards: run 'maskwatch prepare' first");
  const json shard_meta = json::parse(store->get("shards/meta.json"));
  const Shard val_set = load_shard(*store, "val").head(opt.val_limit);
  // --holdout none: the validation crops join the training set (the recipe was chosen with them held out).
  const bool fit_val = opt.holdout == "none";
  const Shard train_set = fit_val ? load_shard(*store, "train").head(opt.limit).joined(val_set)
                                  : load_shard(*store, "train").head(opt.limit);
  if (train_set.count() < 2 || val_set.count() < 1) throw Error(store->uri(), "too few crops to train on");
  const int crop_size = train_set.size, S = opt.input_size;

  std::string run = opt.run;
  if (run.empty()) {
    if (opt.resume) {
      if (!store->exists("runs/latest")) throw Error(store->uri() + "/runs/latest", "no run to resume");
      run = store->get("runs/latest");
      while (!run.empty() && run.back() == '\n') run.pop_back();
    } else {
      run = new_run_id(opt.seed);
      for (int n = 2; !store->list("runs/" + run + "/").empty(); ++n)
        run = new_run_id(opt.seed) + "-" + std::to_string(n);
    }
  }
  check_key("runs/" + run);
  if (!opt.resume && store->exists("runs/" + run + "/checkpoint.pt"))
    throw Error(store->uri() + "/runs/" + run, "run exists: continue it with --resume or name another with --run");
  store->put("runs/latest", run + "\n");
  const std::string ckpt_key = "runs/" + run + "/checkpoint.pt", best_key = "runs/" + run + "/best.pt";

  torch::manual_seed(opt.seed);
  Network net = make_network(opt.arch, kNumClasses);
  // On --resume the checkpoint's weights replace these; the fingerprint holds the init's hash.
  const std::string init_sha256 = opt.init.empty() || opt.resume ? "" : load_init(opt.init, *net, rep);
  if (S < net->min_input_size())
    throw Error("train --input-size", opt.arch + " needs at least " + std::to_string(net->min_input_size()) + " px");
  freeze_stages(*net, opt.freeze);
  auto optimizer = make_optimizer(opt, *net);
  // The averaged weights start as a copy of the initial ones.
  Network ema;
  if (opt.ema > 0) {
    ema = make_network(opt.arch, kNumClasses, /*pretrained=*/false);
    weights_from_bytes(*ema, weights_to_bytes(*net), "initial weights");
  }
  NetworkImpl& published = ema ? *ema : *net;  // what is validated and kept
  std::unique_ptr<Teacher> teacher;
  if (!opt.teacher.empty()) teacher = std::make_unique<Teacher>(load_teacher(*store, opt.teacher, shard_meta));
  auto weights = class_weights(train_set, opt);
  auto weight_t = torch::tensor(weights);

  TrainState st;
  st.fingerprint = fingerprint_of(opt, threads, shard_meta, train_set.count());
  if (!opt.init.empty()) st.fingerprint["init"] = opt.init;  // compared on --resume
  if (!init_sha256.empty()) st.fingerprint["init_sha256"] = init_sha256;
  if (teacher) st.fingerprint["teacher"] = teacher->id;
  if (opt.resume) {
    TrainState saved;
    if (!load_checkpoint(*store, ckpt_key, *net, *optimizer, saved, ema.get()))
      throw Error(store->uri() + "/" + ckpt_key, "no checkpoint to resume from");
    for (auto& [k, v] : st.fingerprint.items())
      if (saved.fingerprint.value(k, json()) != v)
        throw Error(store->uri() + "/" + ckpt_key, "cannot resume: '" + k + "' was " +
                                                       saved.fingerprint.value(k, json()).dump() + ", now " + v.dump());
    st = saved;
    rep.say("resuming run " + run + " after epoch " + std::to_string(st.epoch) + " of " + std::to_string(opt.epochs));
  } else {
    rep.say("run " + run + ": " + opt.arch + " at " + std::to_string(S) + " px, " + std::to_string(train_set.count()) +
            (fit_val ? " train+val crops (validation figures below are on crops it trains on)"
                     : " train / " + std::to_string(val_set.count()) + " val crops") +
            ", " + std::to_string(threads) + " threads" +
            (teacher ? ", taught by " + teacher->model.meta.value("arch", "") + " " + teacher->id.substr(0, 16) : ""));
  }

  const AugmentOptions aug = AugmentOptions().scaled(static_cast<float>(opt.augment_strength));
  const long steps = static_cast<long>((train_set.count() + opt.batch - 1) / opt.batch);
  const std::size_t out_bytes = std::size_t(S) * S * 3;
  const int T = teacher ? teacher->input_size : 0;
  const std::size_t teacher_bytes = std::size_t(T) * T * 3;
  std::vector<std::uint8_t> batch_px, teacher_px;
  std::vector<std::int64_t> batch_lb;
  Synthesizer synth(train_set, opt.synthesize);
  long batches_run = 0;
  auto run_start = std::chrono::steady_clock::now();

  for (int epoch = st.epoch + 1; epoch <= opt.epochs; ++epoch) {
    auto t0 = std::chrono::steady_clock::now();
    auto order = epoch_order(opt, train_set, epoch);
    set_train_mode(*net, opt.freeze);
    double loss_sum = 0;
    long correct = 0, seen = 0;
    for (long b = 0; b < steps; ++b) {
      std::size_t lo = b * opt.batch, hi = std::min(order.size(), lo + opt.batch);
      if (hi - lo < 2) break;  // BatchNorm cannot train on one sample
      const long step = (epoch - 1) * steps + b;
      auto& groups = optimizer->param_groups();
      for (std::size_t g = 0; g < groups.size(); ++g)
        groups[g].options().set_lr(lr_at(opt, step, steps) * lr_scale_of_group(opt, g));
      batch_px.resize((hi - lo) * out_bytes);
      batch_lb.resize(hi - lo);
      teacher_px.resize((hi - lo) * teacher_bytes);
      for (std::size_t j = lo; j < hi; ++j) {
        std::size_t i = order[j];
        const std::uint8_t* src = synth.crop(i, opt.seed, epoch, j);
        std::uint8_t* dst = batch_px.data() + (j - lo) * out_bytes;
        // The teacher sees the same view (the same draws) at its own input size.
        std::uint8_t* tdst = teacher_px.data() + (j - lo) * teacher_bytes;
        if (opt.augment) {
          const Rng draws = Rng::derive(opt.seed, static_cast<std::uint64_t>(epoch), 2 + j);
          Rng rng = draws;
          augment_crop(src, crop_size, dst, S, rng, aug);
          if (teacher) {
            Rng teacher_rng = draws;
            augment_crop(src, crop_size, tdst, T, teacher_rng, aug);
          }
        } else {
          resize_crop(src, crop_size, dst, S);
          if (teacher) resize_crop(src, crop_size, tdst, T);
        }
        batch_lb[j - lo] = train_set.labels[i];
      }
      torch::Tensor xt;  // the teacher's input
      if (teacher)
        xt = crops_to_tensor(teacher_px.data(), static_cast<std::int64_t>(hi - lo), T,
                             teacher->model.net->normalisation());
      auto x = crops_to_tensor(batch_px.data(), static_cast<std::int64_t>(hi - lo), S, net->normalisation());
      auto y = torch::from_blob(batch_lb.data(), {static_cast<std::int64_t>(hi - lo)}, torch::kLong);
      const auto ce = F::CrossEntropyFuncOptions().weight(weight_t).label_smoothing(opt.label_smoothing);
      torch::Tensor logits, loss;
      if (opt.mixup > 0) {
        Rng rng =
            Rng::derive(opt.seed, static_cast<std::uint64_t>(epoch), kMixupStream + static_cast<std::uint64_t>(b));
        const auto mix = mixup_batch(rng, opt.mixup, hi - lo);
        auto perm = torch::tensor(mix.partner);
        logits = net->forward(x.mul(mix.weight).add(x.index_select(0, perm), 1 - mix.weight));
        loss = F::cross_entropy(logits, y, ce).mul(mix.weight) +
               F::cross_entropy(logits, y.index_select(0, perm), ce).mul(1 - mix.weight);
        if (teacher) xt = xt.mul(mix.weight).add(xt.index_select(0, perm), 1 - mix.weight);
      } else {
        logits = net->forward(x);
        loss = F::cross_entropy(logits, y, ce);
      }
      if (teacher)
        loss = loss.mul(1 - opt.distill) +
               distillation_loss(logits, teacher_probabilities(*teacher, xt, opt.temperature), opt.temperature)
                   .mul(opt.distill);
      optimizer->zero_grad();
      loss.backward();
      optimizer->step();
      if (ema) update_ema(*ema, *net, opt.ema);
      loss_sum += loss.item<double>() * double(hi - lo);
      correct += logits.argmax(1).eq(y).sum().item<long>();
      seen += static_cast<long>(hi - lo);
      rep.tick("epoch " + std::to_string(epoch) + "/" + std::to_string(opt.epochs), b + 1, steps);
      if (opt.stop_after_batches >= 0 && ++batches_run >= opt.stop_after_batches)
        throw Error("train", "stopped after " + std::to_string(batches_run) + " batches (--stop-after-batches)");
    }

    // Validation: plain crops, eval mode.
    auto logits =
        logits_for_crops(published, val_set.pixels.data(), static_cast<std::int64_t>(val_set.count()), crop_size, S);
    std::vector<std::int64_t> vl(val_set.labels.begin(), val_set.labels.end());
    auto vy = torch::from_blob(vl.data(), {static_cast<std::int64_t>(vl.size())}, torch::kLong);
    double val_loss = F::cross_entropy(logits, vy).item<double>();
    auto pred = logits.argmax(1);
    ConfusionMatrix cm;
    for (std::size_t i = 0; i < vl.size(); ++i) cm.add(static_cast<int>(vl[i]), static_cast<int>(pred[i].item<long>()));
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    const bool best = fit_val ? epoch == opt.epochs : cm.macro_f1() > st.best_f1;
    st.history.push_back({{"epoch", epoch},
                          {"train_loss", loss_sum / std::max(1L, seen)},
                          {"train_accuracy", double(correct) / std::max(1L, seen)},
                          {"val_loss", val_loss},
                          {"val_accuracy", cm.accuracy()},
                          {"val_macro_f1", cm.macro_f1()},
                          {"val_recall", {cm.recall(0), cm.recall(1), cm.recall(2)}},
                          {"seconds", secs}});
    if (best) {
      st.best_f1 = cm.macro_f1();
      st.best_epoch = epoch;
      store->put(best_key, weights_to_bytes(published));
    }
    st.epoch = epoch;
    save_checkpoint(*store, ckpt_key, *net, *optimizer, st, ema.get());
    rep.say(fmt("epoch %2.0f/%-2.0f train loss %.4f acc %.4f | ", epoch, opt.epochs, loss_sum / std::max(1L, seen),
                double(correct) / std::max(1L, seen)) +
            fmt("val loss %.4f acc %.4f macro-F1 %.4f | %.1f s", val_loss, cm.accuracy(), cm.macro_f1(), secs) +
            (best && !fit_val ? "  *best" : ""));
  }

  // Publish the best epoch.
  weights_from_bytes(*net, store->get(best_key), store->uri() + "/" + best_key);
  const auto& best_row = st.history.at(st.best_epoch - 1);
  json meta = {{"arch", opt.arch},
               {"labels", class_names()},
               {"input_size", S},
               {"crop_size", crop_size},
               {"margin", shard_meta.value("margin", 0.0)},
               {"normalisation",
                {{"mean", net->normalisation().mean},
                 {"inv_scale", net->normalisation().inv_scale},
                 {"formula", "(pixel - mean) * inv_scale, pixels 0..255 RGB"}}},
               {"manifest_hash", shard_meta.value("manifest_hash", "")},
               {"run", run},
               {"best_epoch", st.best_epoch},
               {"holdout", opt.holdout},
               {"metrics",
                {{"val_accuracy", best_row.at("val_accuracy")},
                 {"val_macro_f1", best_row.at("val_macro_f1")},
                 {"val_loss", best_row.at("val_loss")},
                 {"val_held_out", !fit_val}}},
               {"history", st.history},
               {"train", st.fingerprint},
               {"train_seconds_this_process",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count()},
               {"created_at", utc_now_iso()}};
  if (teacher)
    meta["teacher"] = {{"id", teacher->id},
                       {"arch", teacher->model.meta.value("arch", "")},
                       {"distill", opt.distill},
                       {"temperature", opt.temperature}};
  if (st.fingerprint.contains("init"))
    meta["init"] = {{"file", st.fingerprint["init"]}, {"sha256", st.fingerprint.value("init_sha256", "")}};
  return publish_model(*store, *net, meta);
}

}  // namespace mw
