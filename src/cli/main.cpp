// maskwatch: the command-line shell over the library (include/maskwatch.h).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "core/paths.h"
#include "core/progress.h"
#include "maskwatch.h"

namespace fs = std::filesystem;

namespace {

// OpenMP reads its settings when the library loads, before main(): set the
// passive wait policy (busy-waiting threads collapse throughput when another
// process holds a core) and run this program again with it.
void ensure_passive_openmp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") || std::getenv("MASKWATCH_NO_REEXEC")) return;
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  ::execv("/proc/self/exe", argv);  // returns only on failure; then go on as we are
}

void print_json(const mw::json& j) { std::cout << j.dump(2) << "\n"; }

std::string fixed(double v, int digits = 4) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

void print_ingest(const mw::json& r) {
  std::cout << "ingested " << r["images"] << " images from " << r["data_dir"].get<std::string>() << " into "
            << r["store"].get<std::string>() << "\n"
            << "  boxes: " << r["boxes"] << " (";
  bool first = true;
  for (const auto& name : mw::class_names()) {
    std::cout << (first ? "" : ", ") << name << " " << r["boxes_per_class"][name];
    first = false;
  }
  std::cout << ")\n  boxes clipped to the image: " << r["boxes_clipped"] << "\n"
            << "  rejected: " << r["rejected_images"] << " images, " << r["rejected_boxes"] << " boxes\n";
  for (const auto& e : r.value("rejects", mw::json::array()))
    std::cout << "    " << e["kind"].get<std::string>() << " " << e["file"].get<std::string>() << ": "
              << e["reason"].get<std::string>() << "\n";
}

void print_prepare(const mw::json& r) {
  std::cout << "split " << r["manifest_hash"].get<std::string>().substr(0, 12) << " (seed " << r["seed"] << "), crops "
            << r["crop_size"] << " px, margin " << r["margin"] << "\n";
  for (auto& [split, c] : r["splits"].items()) {
    std::cout << "  " << split << ": " << c["images"] << " images, " << c["crops"] << " crops (";
    bool first = true;
    for (const auto& name : mw::class_names()) {
      std::cout << (first ? "" : ", ") << name << " " << c[name];
      first = false;
    }
    std::cout << ")\n";
  }
  if (r["rejected_images"].get<long>() > 0) std::cout << "  rejected images: " << r["rejected_images"] << "\n";
}

void print_model(const mw::json& m) {
  std::cout << "model " << m["id"].get<std::string>() << " (" << m["arch"].get<std::string>() << ", " << m["input_size"]
            << " px), best epoch " << m["best_epoch"] << ": val accuracy " << fixed(m["metrics"]["val_accuracy"])
            << ", val macro-F1 " << fixed(m["metrics"]["val_macro_f1"]) << "\n";
}

void print_eval(const mw::json& r) {
  std::cout << "model " << r["model"].get<std::string>() << " on the " << r["split"].get<std::string>() << " split\n\n"
            << r["text"].get<std::string>() << "\nby face size (shorter side)\n";
  for (auto& [band, v] : r["by_face_size"].items())
    std::cout << "  " << band << ": " << v["objects"] << " objects, accuracy " << fixed(v["accuracy"]) << ", macro-F1 "
              << fixed(v["macro_f1"]) << "\n";
}

mw::Box parse_box(const std::string& s) {
  float v[4];
  char tail;
  if (std::sscanf(s.c_str(), "%f,%f,%f,%f%c", &v[0], &v[1], &v[2], &v[3], &tail) != 4)
    throw mw::Error("--box " + s, "expected XMIN,YMIN,XMAX,YMAX");
  return {v[0], v[1], v[2], v[3]};
}

}  // namespace

int main(int argc, char** argv) {
  ensure_passive_openmp(argv);

  CLI::App app{
      "maskwatch: who wears a face mask, who wears none, who wears it incorrectly.\n"
      "Runs the pipeline ingest -> prepare -> train -> evaluate, and classifies faces."};
  app.require_subcommand(1);
  std::string store = "maskwatch-data";
  bool as_json = false, quiet = false;
  int threads = 0;
  app.add_option("--store", store, "object store: a folder or file:///abs/path")
      ->envname("MASKWATCH_STORE")
      ->capture_default_str();
  app.add_flag("--json", as_json, "print JSON instead of text");
  app.add_flag("-q,--quiet", quiet, "no progress or log lines on stderr");
  app.add_option("--threads", threads, "compute threads (0: all cores)")->capture_default_str();

  // ingest
  mw::IngestOptions in;
  std::string data_flag;
  auto* c_ingest = app.add_subcommand("ingest", "validate a Pascal VOC dataset and copy it into the store");
  c_ingest->add_option("--data", data_flag,
                       "dataset folder (images/ + annotations/); default $MASKWATCH_DATA, then "
                       "../shared/data/face-mask-detection");
  c_ingest->add_flag("--strict", in.strict, "stop at the first bad record");

  // prepare
  mw::PrepareOptions pr;
  auto add_prepare = [&pr](CLI::App* c) {
    c->add_option("--seed", pr.seed, "split seed")->capture_default_str();
    c->add_option("--train-fraction", pr.train_fraction, "share of images for training")->capture_default_str();
    c->add_option("--val-fraction", pr.val_fraction, "share of images for validation")->capture_default_str();
    c->add_option("--crop-size", pr.crop_size, "stored crop side in pixels")->capture_default_str();
    c->add_option("--margin", pr.margin, "context around each box, as a fraction of its side")->capture_default_str();
  };
  auto* c_prepare = app.add_subcommand("prepare", "split by image (60/20/20), crop every face, write shards");
  add_prepare(c_prepare);

  // train
  mw::TrainOptions tr;
  auto add_train = [&tr](CLI::App* c, bool with_run) {
    c->add_option("--arch", tr.arch, "resnet18 | resnet34 | face-resnet (pretrained on faces; input >= 112)")
        ->capture_default_str();
    c->add_option("--input-size", tr.input_size, "network input side in pixels")->capture_default_str();
    c->add_option("--epochs", tr.epochs, "passes over the training crops")->capture_default_str();
    c->add_option("--batch", tr.batch, "crops per step")->capture_default_str();
    c->add_option("--optimizer", tr.optimizer, "sgd | adamw")->capture_default_str();
    c->add_option("--lr", tr.lr, "peak learning rate")->capture_default_str();
    c->add_option("--momentum", tr.momentum, "SGD momentum")->capture_default_str();
    c->add_option("--weight-decay", tr.weight_decay, "L2 on weights (not on biases or BatchNorm)")
        ->capture_default_str();
    c->add_option("--warmup-epochs", tr.warmup_epochs, "linear warm-up, then cosine decay")->capture_default_str();
    c->add_option("--freeze", tr.freeze, "freeze the first N stages (stem, layer1..layer4)")->capture_default_str();
    c->add_option("--balance", tr.balance, "class balance: none | weights | sampler")->capture_default_str();
    c->add_option("--balance-power", tr.balance_power, "class weight = (n_largest / n_class)^power")
        ->capture_default_str();
    c->add_option("--augment-strength", tr.augment_strength, "scale of every augmentation range")
        ->capture_default_str();
    c->add_option("--ema", tr.ema, "decay of a moving average of the weights that is validated and kept (0: off)")
        ->capture_default_str();
    c->add_option("--label-smoothing", tr.label_smoothing, "cross-entropy label smoothing")->capture_default_str();
    c->add_option("--augment", tr.augment, "augment training crops (true/false)")->capture_default_str();
    c->add_option("--train-seed", tr.seed, "initialisation, order and augmentation seed")->capture_default_str();
    c->add_option("--limit", tr.limit, "train on the first N crops only (0: all)")->capture_default_str();
    c->add_option("--val-limit", tr.val_limit, "validate on the first N crops only (0: all)")->capture_default_str();
    if (with_run) {
      c->add_option("--run", tr.run, "run name for checkpoints (default: a new one; with --resume: the latest)");
      c->add_flag("--resume", tr.resume, "continue the run from its last checkpoint");
      c->add_option("--stop-after-batches", tr.stop_after_batches, "abort after N batches, as a crash would")
          ->group("");
    }
  };
  auto* c_train = app.add_subcommand("train", "train a classifier on the prepared shards, checkpointing each epoch");
  add_train(c_train, true);

  // evaluate
  mw::EvaluateOptions ev;
  auto* c_eval = app.add_subcommand("evaluate", "accuracy, per-class precision/recall/F1, confusion matrix");
  c_eval->add_option("--model", ev.model, "model id or 'latest'")->capture_default_str();
  c_eval->add_option("--split", ev.split, "train | val | test")->capture_default_str();

  // classify
  std::vector<std::string> images, box_args, box_files;
  std::string model_id = "latest";
  bool whole = false;
  auto* c_cls = app.add_subcommand("classify", "label the faces in images");
  c_cls->add_option("images", images, "image files")->required();
  c_cls->add_option("--model", model_id, "model id or 'latest'")->capture_default_str();
  c_cls
      ->add_option("--boxes", box_files, "Pascal VOC annotation per image (or a folder holding <image-name>.xml files)")
      ->allow_extra_args(false);
  c_cls->add_option("--box", box_args, "a face box XMIN,YMIN,XMAX,YMAX (repeatable, applies to every image)")
      ->allow_extra_args(false);
  c_cls->add_flag("--whole-image", whole, "each image is one face crop");

  // pipeline
  auto* c_pipe = app.add_subcommand("pipeline", "the main job: ingest, prepare, train, evaluate, report");
  c_pipe->add_option("--data", data_flag, "dataset folder (default: $MASKWATCH_DATA, then ../shared/data/...)");
  add_prepare(c_pipe);
  add_train(c_pipe, false);

  CLI11_PARSE(app, argc, argv);
  auto rep = mw::console_reporter(quiet);
  in.store = pr.store = tr.store = ev.store = store;
  tr.threads = ev.threads = threads;

  try {
    if (*c_ingest) {
      in.data_dir = mw::resolve_data_dir(data_flag);
      auto r = mw::ingest(in, rep);
      as_json ? print_json(r) : print_ingest(r);
    } else if (*c_prepare) {
      auto r = mw::prepare(pr, rep);
      as_json ? print_json(r) : print_prepare(r);
    } else if (*c_train) {
      auto m = mw::train(tr, rep);
      as_json ? print_json(m) : print_model(m);
    } else if (*c_eval) {
      auto r = mw::evaluate(ev, rep);
      if (as_json) {
        r.erase("text");
        print_json(r);
      } else {
        print_eval(r);
      }
    } else if (*c_cls) {
      int sources = (box_files.empty() ? 0 : 1) + (box_args.empty() ? 0 : 1) + (whole ? 1 : 0);
      if (sources != 1) throw mw::Error("classify", "give the faces by exactly one of --boxes, --box, --whole-image");
      if (!box_files.empty() && box_files.size() != 1 && box_files.size() != images.size())
        throw mw::Error("classify --boxes", "give one annotation per image, or one folder");
      mw::Classifier clf(store, model_id, threads);
      mw::json out = mw::json::array();
      int failed = 0;
      for (std::size_t i = 0; i < images.size(); ++i) {
        const auto& path = images[i];
        try {
          auto bytes = mw::read_file(path, 64u << 20);
          std::vector<mw::Box> boxes;
          for (const auto& b : box_args) boxes.push_back(parse_box(b));
          if (!box_files.empty()) {
            std::string xml = box_files.size() == 1 ? box_files[0] : box_files[i];
            if (fs::is_directory(xml)) xml = (fs::path(xml) / (fs::path(path).stem().string() + ".xml")).string();
            boxes = mw::read_voc_boxes(xml);
          }
          auto preds = whole ? std::vector<mw::Prediction>{clf.classify_face_crop(bytes)} : clf.classify(bytes, boxes);
          mw::json faces = mw::json::array();
          for (const auto& p : preds) {
            mw::json scores;
            for (int k = 0; k < mw::kNumClasses; ++k) scores[mw::class_names()[k]] = p.scores[k];
            faces.push_back({{"box", {p.box.xmin, p.box.ymin, p.box.xmax, p.box.ymax}},
                             {"label", mw::class_names()[p.label]},
                             {"scores", scores}});
          }
          out.push_back({{"image", path}, {"faces", faces}});
          if (!as_json) {
            std::cout << path << ": " << preds.size() << " face" << (preds.size() == 1 ? "" : "s") << "\n";
            for (const auto& f : faces) {
              auto b = f["box"];
              std::cout << "  [" << b[0] << "," << b[1] << "," << b[2] << "," << b[3] << "] "
                        << f["label"].get<std::string>() << " "
                        << fixed(f["scores"][f["label"].get<std::string>()].get<double>(), 3) << "\n";
            }
          }
        } catch (const mw::Error& e) {
          ++failed;
          out.push_back({{"image", path}, {"error", e.what()}});
          std::cerr << "error: " << e.what() << "\n";
        }
      }
      if (as_json) print_json(out);
      if (failed) {
        std::cerr << failed << " of " << images.size() << " images failed\n";
        return 1;
      }
    } else if (*c_pipe) {
      mw::PipelineOptions po{in, pr, tr};
      po.ingest.data_dir = data_flag;
      auto r = mw::pipeline(po, rep);
      if (as_json) {
        r["evaluate"].erase("text");
        print_json(r);
      } else {
        print_ingest(r["ingest"]);
        print_prepare(r["prepare"]);
        std::cout << "trained model " << r["train"]["model"].get<std::string>() << " in "
                  << fixed(r["train"]["seconds"], 1) << " s\n\n";
        print_eval(r["evaluate"]);
      }
    }
  } catch (const mw::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: unexpected failure: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
