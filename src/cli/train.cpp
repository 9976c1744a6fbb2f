// maskwatch train: the training flags (shared with pipeline) and the command.
#include <iostream>
#include <sstream>

#include "cli/cli.h"
#include "cli/torch_loader.h"
#include "core/text.h"

namespace mw::cli {

namespace {

// The flags of train, bound to a TrainOptions; given() holds only those named.
struct TrainFlags {
  TrainOptions parsed;
  std::vector<std::function<void(json&)>> given_if_set;
  json given() const {
    json j = json::object();
    for (const auto& put : given_if_set) put(j);
    return j;
  }
};

template <class T>
void flag(CLI::App& c, TrainFlags& f, const std::string& name, const char* field, T TrainOptions::*member,
          const std::string& help) {
  CLI::Option* o = c.add_option(name, f.parsed.*member, help);
  f.given_if_set.push_back([o, field, member, &f](json& j) {
    if (o->count() > 0) j[field] = f.parsed.*member;
  });
}

// --framing MIN,MAX,SHIFT | off: three settings from one flag.
void add_framing_flag(CLI::App& c, TrainFlags& f) {
  auto text = std::make_shared<std::string>();
  CLI::Option* o = c.add_option(
      "--framing", *text,
      "frame each training face as the box plus a margin drawn from MIN..MAX of its side, its centre shifted by up "
      "to SHIFT of the side each way (e.g. 0,0.6,0.25), cut from the photo; 'off': the shard's crops as prepared");
  f.given_if_set.push_back([o, text](json& j) {
    if (o->count() == 0) return;
    if (*text == "off") {
      j["framing_min"] = 0.0, j["framing_max"] = -1.0, j["framing_shift"] = 0.0;
      return;
    }
    double v[3];
    if (!parse_decimals(*text, v, 3))
      throw Error("train --framing " + *text, "expected MIN,MAX,SHIFT (three numbers) or off");
    j["framing_min"] = v[0], j["framing_max"] = v[1], j["framing_shift"] = v[2];
  });
}

std::string framing_text(const TrainOptions& r) {
  if (r.framing_max < 0) return "off";
  std::ostringstream s;
  s << r.framing_min << "-" << r.framing_max << " shifted " << r.framing_shift;
  return s.str();
}

std::string recipe_line(const std::string& arch) {
  const TrainOptions r = train_recipe(arch);
  std::ostringstream s;
  s << "  " << arch << ": " << r.input_size << " px, " << r.epochs << " epochs, " << r.optimizer << " lr " << r.lr
    << " (body x" << r.body_lr_scale << "), weight decay " << r.weight_decay << ", freeze " << r.freeze
    << ", synthesize " << r.synthesize << ", balance " << r.balance << ", framing " << framing_text(r) << "\n";
  return s.str();
}

}  // namespace

std::function<json()> add_train_options(CLI::App& c, bool with_run) {
  auto f = std::make_shared<TrainFlags>();
  auto& t = *f;
  flag(c, t, "--arch", "arch", &TrainOptions::arch,
       "face-resnet (the default: pretrained on faces, the most accurate; input >= 112) | resnet18 (the fast "
       "option) | resnet34 (both from random initialisation); each has its own recipe (below), which the flags "
       "override");
  flag(c, t, "--input-size", "input_size", &TrainOptions::input_size, "network input side in pixels");
  flag(c, t, "--epochs", "epochs", &TrainOptions::epochs, "passes over the training crops");
  flag(c, t, "--batch", "batch", &TrainOptions::batch, "crops per step");
  flag(c, t, "--optimizer", "optimizer", &TrainOptions::optimizer, "sgd | adamw");
  flag(c, t, "--lr", "lr", &TrainOptions::lr, "peak learning rate");
  flag(c, t, "--momentum", "momentum", &TrainOptions::momentum, "SGD momentum");
  flag(c, t, "--weight-decay", "weight_decay", &TrainOptions::weight_decay, "L2 on weights (not biases or norms)");
  flag(c, t, "--warmup-epochs", "warmup_epochs", &TrainOptions::warmup_epochs, "linear warm-up, then cosine decay");
  flag(c, t, "--freeze", "freeze", &TrainOptions::freeze, "freeze the first N stages (stem, layer1..layer4)");
  flag(c, t, "--balance", "balance", &TrainOptions::balance, "class balance: none | weights | sampler");
  flag(c, t, "--balance-power", "balance_power", &TrainOptions::balance_power,
       "each example of class k counts (n_largest / n_k)^power, in the draw (sampler) or the loss (weights); "
       "default 1 for sampler, 0.5 for weights");
  flag(c, t, "--augment-strength", "augment_strength", &TrainOptions::augment_strength,
       "scale of every augmentation range");
  flag(c, t, "--ema", "ema", &TrainOptions::ema,
       "decay of a moving average of the weights that is validated and kept (0: off)");
  flag(c, t, "--body-lr-scale", "body_lr_scale", &TrainOptions::body_lr_scale,
       "learning rate of every layer but the new head, as a fraction of --lr (pretrained starts)");
  flag(c, t, "--holdout", "holdout", &TrainOptions::holdout,
       "val: keep the epoch with the best validation macro-F1 | none: also train on the validation crops and keep "
       "the last epoch (once the recipe is chosen)");
  flag(c, t, "--label-smoothing", "label_smoothing", &TrainOptions::label_smoothing, "cross-entropy label smoothing");
  flag(c, t, "--mixup", "mixup", &TrainOptions::mixup,
       "mixup: blend each batch with itself shuffled, weight ~ Beta(a, a) (0: off)");
  flag(c, t, "--synthesize", "synthesize", &TrainOptions::synthesize,
       "chance that a drawn incorrect-mask (or with-mask) face is replaced by a composite: a face without a mask "
       "over a masked one, the seam below (or above) the nose (0: off)");
  flag(c, t, "--teacher", "teacher", &TrainOptions::teacher,
       "distil from this model of the store (an id; trained on the same split)");
  flag(c, t, "--distill", "distill", &TrainOptions::distill, "weight of the teacher's term (the labels get 1 - it)");
  flag(c, t, "--temperature", "temperature", &TrainOptions::temperature, "softmax temperature of the teacher's term");
  flag(c, t, "--augment", "augment", &TrainOptions::augment, "augment training crops (true/false)");
  add_framing_flag(c, t);
  flag(c, t, "--train-seed", "seed", &TrainOptions::seed, "initialisation, order and augmentation seed");
  flag(c, t, "--init", "init", &TrainOptions::init,
       "start from a torchvision ResNet state_dict (FILE.pth from torch.save; fc skipped if classes differ)");
  flag(c, t, "--limit", "limit", &TrainOptions::limit, "train on the first N crops only (0: all)");
  flag(c, t, "--val-limit", "val_limit", &TrainOptions::val_limit, "validate on the first N crops only (0: all)");
  if (with_run) {
    flag(c, t, "--run", "run", &TrainOptions::run,
         "run name for checkpoints (default: a new one; with --resume: the latest)");
    CLI::Option* resume = c.add_flag("--resume", t.parsed.resume,
                                     "continue the run from its last checkpoint, with "
                                     "its own settings");
    t.given_if_set.push_back([resume](json& j) {
      if (resume->count() > 0) j["resume"] = true;
    });
    CLI::Option* stop = c.add_option("--stop-after-batches", t.parsed.stop_after_batches, "abort, as a crash would");
    stop->group("");
    t.given_if_set.push_back([stop, &t](json& j) {
      if (stop->count() > 0) j["stop_after_batches"] = t.parsed.stop_after_batches;
    });
  }
  c.footer("Recipes (each --arch's defaults; a flag overrides them):\n" + recipe_line("face-resnet") +
           recipe_line("resnet18") + recipe_line("resnet34"));
  return [f] { return f->given(); };
}

Run add_train(CLI::App& app, const Globals& g) {
  auto* c = app.add_subcommand("train", "train a classifier on the prepared shards, checkpointing each epoch");
  auto given = add_train_options(*c, true);
  return [&g, given] {
    const auto& torch = load_torch_module();
    TrainOptions opt = resolve_train_options(g.store, given());
    opt.store = g.store;
    opt.threads = g.threads;
    auto m = torch.train(opt, reporter(g));
    g.json ? print_json(m) : print_model(m);
    return 0;
  };
}

}  // namespace mw::cli
