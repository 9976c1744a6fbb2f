#include <chrono>

#include "core/hash.h"
#include "core/paths.h"
#include "data/framing.h"
#include "data/shard.h"
#include "model/artifact.h"
#include "model/network.h"
#include "model/resnet.h"
#include "model/torch_checkpoint.h"
#include "train/batches.h"
#include "train/checkpoint.h"
#include "train/distill.h"
#include "train/options.h"
#include "train/run_book.h"
#include "train/sampler.h"
#include "train/step.h"

namespace mw {

namespace {

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
  if (framing_on(o) && !(o.framing_min >= 0 && o.framing_min <= o.framing_max && o.framing_max <= 1))
    bad("--framing", "margins must be 0 <= MIN <= MAX <= 1");
  if (framing_on(o) && !(o.framing_shift >= 0 && o.framing_shift <= 0.5))
    bad("--framing", "the shift must be in 0..0.5 (of the box's side)");
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

// --framing's settings, null when off.
json framing_json(const TrainOptions& o) {
  if (!framing_on(o)) return nullptr;
  return {{"margin_min", o.framing_min}, {"margin_max", o.framing_max}, {"shift", o.framing_shift}};
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
          {"framing", framing_json(o)},
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

// The crops a run trains and validates on.
struct TrainData {
  json shard_meta;  // shards/meta.json
  Shard val_set, train_set;
  // --holdout none: the validation crops join the training set (the recipe was
  // chosen with them held out).
  bool fit_val = false;
  // --framing: the training faces with the context framings need (data/framing.h), in train_set's order.
  std::optional<FramingOptions> framing;
  Shard context_set;
};

TrainData load_data(const ObjectStore& store, const TrainOptions& opt) {
  if (!store.exists("shards/meta.json"))
    throw Error(store.uri() + "/shards/meta.json", "no prepared shards: run 'maskwatch prepare' first");
  TrainData d;
  d.shard_meta = json::parse(store.get("shards/meta.json"));
  d.val_set = load_shard(store, "val").head(opt.val_limit);
  d.fit_val = opt.holdout == "none";
  d.train_set = d.fit_val ? load_shard(store, "train").head(opt.limit).joined(d.val_set)
                          : load_shard(store, "train").head(opt.limit);
  if (d.train_set.count() < 2 || d.val_set.count() < 1) throw Error(store.uri(), "too few crops to train on");
  if (framing_on(opt)) {
    FramingOptions f;
    f.margin_min = opt.framing_min, f.margin_max = opt.framing_max, f.shift = opt.framing_shift;
    f.prepare_margin = d.shard_meta.value("margin", 0.15);
    const double margin = context_margin(f);
    const int size = context_size(f, d.train_set.size);
    auto context = [&](const std::string& split) {
      return context_shard(store, split, load_shard(store, split), margin, size, opt.threads);
    };
    d.context_set = d.fit_val ? context("train").head(opt.limit).joined(context("val").head(opt.val_limit))
                              : context("train").head(opt.limit);
    d.framing = f;
  }
  return d;
}

// What learns: the network, its weight average, the optimiser, the teacher.
struct Learner {
  Network net;
  Network ema;  // null without --ema
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::unique_ptr<Teacher> teacher;
  std::string init_sha256;                                // --init's file, on a new run
  NetworkImpl& published() { return ema ? *ema : *net; }  // what is validated and kept
};

Learner make_learner(const ObjectStore& store, const TrainOptions& opt, const json& shard_meta, const Reporter& rep) {
  Learner l;
  torch::manual_seed(opt.seed);
  l.net = make_network(opt.arch, kNumClasses);
  // On --resume the checkpoint's weights replace these; the fingerprint holds the init's hash.
  if (!opt.init.empty() && !opt.resume) l.init_sha256 = load_init(opt.init, *l.net, rep);
  if (opt.input_size < l.net->min_input_size())
    throw Error("train --input-size", opt.arch + " needs at least " + std::to_string(l.net->min_input_size()) + " px");
  freeze_stages(*l.net, opt.freeze);
  l.optimizer = make_optimizer(opt, *l.net);
  if (opt.ema > 0) {  // the averaged weights start as a copy of the initial ones
    l.ema = make_network(opt.arch, kNumClasses, /*pretrained=*/false);
    weights_from_bytes(*l.ema, weights_to_bytes(*l.net), "initial weights");
  }
  if (!opt.teacher.empty()) l.teacher = std::make_unique<Teacher>(load_teacher(store, opt.teacher, shard_meta));
  return l;
}

json run_fingerprint(const TrainOptions& opt, int threads, const TrainData& d, const Learner& l) {
  json f = fingerprint_of(opt, threads, d.shard_meta, d.train_set.count());
  if (!opt.init.empty()) f["init"] = opt.init;  // compared on --resume
  if (!l.init_sha256.empty()) f["init_sha256"] = l.init_sha256;
  if (l.teacher) f["teacher"] = l.teacher->id;
  return f;
}

// Continues from the run's checkpoint, refusing one trained with other settings.
void resume(const ObjectStore& store, const TrainOptions& opt, const std::string& run, RunBook& book, Learner& l,
            const Reporter& rep) {
  const std::string where = store.uri() + "/" + book.checkpoint_key();
  const json now = book.state().fingerprint;
  auto same_settings = [&](const TrainState& saved) {
    for (auto& [k, v] : now.items())
      if (saved.fingerprint.value(k, json()) != v)
        throw Error(
            where, "cannot resume: '" + k + "' was " + saved.fingerprint.value(k, json()).dump() + ", now " + v.dump());
  };
  if (!load_checkpoint(store, book.checkpoint_key(), *l.net, *l.optimizer, book.state(), l.ema.get(), same_settings))
    throw Error(where, "no checkpoint to resume from");
  rep.say("resuming run " + run + " after epoch " + std::to_string(book.state().epoch) + " of " +
          std::to_string(opt.epochs));
}

// A new run: says what it trains and records its options (runs/<run>/options.json).
void start(ObjectStore& store, const TrainOptions& opt, const std::string& run, int threads, const TrainData& d,
           const Learner& l, const Reporter& rep) {
  TrainOptions recorded = opt;
  recorded.run = run;
  store.put(run_key(run, kOptionsFile), recorded_json(recorded).dump(2) + "\n");
  rep.say(
      "run " + run + ": " + opt.arch + " at " + std::to_string(opt.input_size) + " px, " +
      std::to_string(d.train_set.count()) +
      (d.fit_val ? " train+val crops (validation figures below are on crops it trains on)"
                 : " train / " + std::to_string(d.val_set.count()) + " val crops") +
      ", " + std::to_string(threads) + " threads" +
      (l.teacher ? ", taught by " + l.teacher->model.meta.value("arch", "") + " " + l.teacher->id.substr(0, 16) : ""));
}

// The steps of one epoch; `batches_run` counts the steps of this process (--stop-after-batches).
EpochStats run_epoch(const TrainOptions& opt, int epoch, BatchMaker& batches, Stepper& stepper, long& batches_run,
                     const Reporter& rep) {
  const long steps = batches.steps_per_epoch();
  batches.start_epoch(epoch);
  EpochStats stats;
  for (long b = 0; b < steps; ++b) {
    const auto batch = batches.make(b);
    if (!batch) break;
    stepper.step(*batch, (epoch - 1) * steps + b, steps, stats);
    rep.tick("epoch " + std::to_string(epoch) + "/" + std::to_string(opt.epochs), b + 1, steps);
    if (opt.stop_after_batches >= 0 && ++batches_run >= opt.stop_after_batches)
      throw Error("train", "stopped after " + std::to_string(batches_run) + " batches (--stop-after-batches)");
  }
  return stats;
}

void run_epochs(const TrainOptions& opt, const TrainData& d, Learner& l, RunBook& book, const Reporter& rep) {
  std::optional<InputSpec> teacher_input;
  if (l.teacher) teacher_input = InputSpec{l.teacher->input_size, l.teacher->model.net->normalisation()};
  BatchMaker batches(opt, d.train_set, {opt.input_size, l.net->normalisation()}, teacher_input);
  if (d.framing) batches.frame_from(d.context_set, *d.framing);
  Stepper stepper(opt, d.train_set, *l.net, *l.optimizer, l.ema.get(), l.teacher.get());
  long batches_run = 0;
  for (int epoch = book.state().epoch + 1; epoch <= opt.epochs; ++epoch) {
    const auto start = RunBook::Clock::now();
    set_train_mode(*l.net, opt.freeze);
    const EpochStats stats = run_epoch(opt, epoch, batches, stepper, batches_run, rep);
    book.end_epoch(epoch, stats, start, l.published(), *l.net, *l.optimizer, l.ema.get());
  }
}

}  // namespace

json train(const TrainOptions& opt, const Reporter& rep) {
  check_options(opt);
  const int threads = set_threads(opt.threads);
  auto store = open_store(opt.store);
  const TrainData data = load_data(*store, opt);
  const std::string run = choose_run(*store, opt.run, opt.resume, opt.seed, kLatestRunKey);
  Learner learner = make_learner(*store, opt, data.shard_meta, rep);
  RunBook book(*store, opt, {run, data.shard_meta, data.train_set.size, data.fit_val, learner.teacher.get()},
               data.val_set, rep);
  book.state().fingerprint = run_fingerprint(opt, threads, data, learner);
  if (opt.resume)
    resume(*store, opt, run, book, learner, rep);
  else
    start(*store, opt, run, threads, data, learner, rep);
  run_epochs(opt, data, learner, book, rep);
  return book.publish(*learner.net);
}

}  // namespace mw
