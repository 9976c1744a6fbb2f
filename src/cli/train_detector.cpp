// maskwatch train-detector: fine-tunes the face detector on the training split's boxes.
#include <iostream>

#include "cli/cli.h"
#include "cli/torch_loader.h"

namespace mw::cli {

namespace {

void print_detector(const json& m) {
  std::cout << "detector " << m["id"].get<std::string>() << ": best epoch " << m["best_epoch"] << " of " << m["epochs"]
            << ", val face AP@0.5 " << fixed(m["val"]["face_ap_50"], 3) << " at canvas " << m["val"]["canvas"]
            << " px\n";
}

}  // namespace

Run add_train_detector(CLI::App& app, const Globals& g) {
  auto* c = app.add_subcommand(
      "train-detector",
      "fine-tune the face detector (FaceBoxes or CenterNet) on the training split's boxes, checkpointing "
      "each epoch; publish the best epoch by validation face AP to detectors/");
  auto o = std::make_shared<DetectorTrainOptions>();
  c->add_option("--arch", o->arch,
                "faceboxes (fast; strides 32-128) | centernet (stride 4; slower, not yet better: docs/measurements.md)")
      ->capture_default_str();
  c->add_option("--epochs", o->epochs, "passes over the training photos")->capture_default_str();
  c->add_option("--batch", o->batch, "photos a step")->capture_default_str();
  c->add_option("--optimizer", o->optimizer, "adam | sgd")->capture_default_str();
  c->add_option("--lr", o->lr, "learning rate (small: it starts pretrained)")->capture_default_str();
  c->add_option("--lr-schedule", o->lr_schedule, "constant | cosine (to 0 over the run)")->capture_default_str();
  c->add_option("--warmup-epochs", o->warmup_epochs, "cosine: epochs of linear warm-up first")->capture_default_str();
  c->add_option("--momentum", o->momentum, "SGD momentum")->capture_default_str();
  c->add_option("--weight-decay", o->weight_decay, "L2 on every tensor")->capture_default_str();
  c->add_option("--clip-norm", o->clip_norm, "clip the gradients' L2 norm to this each step (0: off)")
      ->capture_default_str();
  c->add_option("--head-lr-scale", o->head_lr_scale, "centernet: its decoder and heads train at --lr x this")
      ->capture_default_str();
  c->add_option("--crop", o->crop, "training canvas side (a multiple of 128 for faceboxes, 32 for centernet)")
      ->capture_default_str();
  c->add_option("--canvas", o->canvas,
                "inference canvas: the scale rule and validation (multiple as --crop; 0: 1024 for faceboxes, 640 for "
                "centernet)")
      ->capture_default_str();
  c->add_option("--min-scale", o->min_scale, "least photo size, times the canvas rule's")->capture_default_str();
  c->add_option("--max-scale", o->max_scale, "largest photo size, times the canvas rule's")->capture_default_str();
  c->add_option("--zoom-chance", o->zoom_chance,
                "chance a photo is replaced by a zoomed-in view of one of its faces (close photos)")
      ->capture_default_str();
  c->add_option("--train-seed", o->seed, "order and augmentation seed")->capture_default_str();
  c->add_option("--weights", o->weights_dir, "the pretrained detector's folder (default: the bundled one)");
  c->add_option("--limit", o->limit, "train on the first N photos only (0: all)");
  c->add_option("--val-limit", o->val_limit, "validate on the first N photos only (0: all)");
  c->add_option("--run", o->run, "run name (default: a new one; with --resume: the latest detector run)");
  c->add_flag("--resume", o->resume, "continue the run from its last checkpoint");
  c->add_option("--stop-after-batches", o->stop_after_batches, "abort, as a crash would")->group("");
  return [&g, o] {
    const auto& torch = load_torch_module();
    o->store = g.store;
    o->threads = g.threads;
    const json m = torch.train_detector(*o, reporter(g));
    g.json ? print_json(m) : print_detector(m);
    return 0;
  };
}

}  // namespace mw::cli
