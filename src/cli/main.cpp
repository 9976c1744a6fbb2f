// maskwatch: the command-line shell over the library (include/maskwatch.h).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "core/hash.h"
#include "core/paths.h"
#include "core/progress.h"
#include "jobs/scheduler.h"
#include "lambda/handler.h"
#include "maskwatch.h"
#include "model/artifact.h"
#include "model/torch_engine.h"
#include "results/plot.h"
#include "results/results_table.h"

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

// The scheduler's lock: in a folder store, else in the temporary folder, named by the store.
std::string default_lock_path(const std::string& store) {
  if (store.find("://") == std::string::npos || store.rfind("file://", 0) == 0) {
    const std::string dir = store.rfind("file://", 0) == 0 ? store.substr(7) : store;
    fs::create_directories(dir);
    return (fs::path(dir) / "schedule.lock").string();
  }
  return (fs::temp_directory_path() / ("maskwatch-schedule-" + mw::sha256_hex(store).substr(0, 12) + ".lock")).string();
}

// JSON writes NaN (an accuracy over no faces) as null.
double number_or_nan(const mw::json& v) { return v.is_number() ? v.get<double>() : std::nan(""); }

void print_benchmark(const mw::json& r) {
  std::cout << "benchmark run " << r["run_id"].get<std::string>() << " (" << r["started_at"].get<std::string>()
            << (r["results"].is_string() ? "), recorded in " + r["results"].get<std::string>()
                                         : std::string("), not recorded"))
            << "\n"
            << "   set  images   faces  seconds   faces/s  accuracy  held-out (faces)  load  decode  infer\n";
  for (const auto& s : r["sets"]) {
    char line[256];
    std::snprintf(line, sizeof line, "  %4d  %6d  %6d  %7.2f  %8.0f  %8.3f  %8.3f (%5d)  %4.2f  %6.2f  %5.2f\n",
                  s["set_size"].get<int>(), s["images"].get<int>(), s["objects"].get<int>(), s["seconds"].get<double>(),
                  s["objects_per_second"].get<double>(), number_or_nan(s["accuracy"]),
                  number_or_nan(s["heldout_accuracy"]), s["heldout_objects"].get<int>(),
                  s["timing"]["load_s"].get<double>(), s["timing"]["read_decode_crop_s"].get<double>(),
                  s["timing"]["inference_s"].get<double>());
    std::cout << line;
    for (const auto& e : s["rejected"])
      std::cout << "        rejected " << e["image"].get<std::string>() << ": " << e["error"].get<std::string>()
                << "\n";
  }
}

mw::json records_json(const std::vector<mw::BenchmarkRecord>& records) {
  mw::json out = mw::json::array();
  for (const auto& r : records) out.push_back(mw::to_json(r));
  return out;
}

void print_records(const std::vector<mw::BenchmarkRecord>& records, const std::string& uri) {
  std::cout << records.size() << " record" << (records.size() == 1 ? "" : "s") << " in " << uri << "\n";
  if (records.empty()) return;
  std::cout << "  started_at            run       set  images  faces  seconds  faces/s  accuracy  held-out  model"
               "             threads  host\n";
  for (const auto& r : records) {
    char line[320];
    std::snprintf(line, sizeof line, "  %-20s  %-8s  %4d  %6d  %5d  %7.2f  %7.0f  %8.3f  %8.3f  %-16s  %7d  %s\n",
                  r.started_at.c_str(), r.run_id.c_str(), r.set_size, r.images, r.objects, r.seconds, r.throughput,
                  r.accuracy, r.heldout_accuracy, r.model_id.c_str(), r.threads, r.host.c_str());
    std::cout << line;
  }
}

}  // namespace

int main(int argc, char** argv) {
  ensure_passive_openmp(argv);
  mw::use_torch_engine();
  // As a Lambda function's bootstrap: serve the Runtime API loop.
  if (const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API"); api && *api)
    return mw::serve_lambda(api, [] { return mw::make_lambda_handler(mw::lambda_config_from_env()); });

  CLI::App app{
      "maskwatch: who wears a face mask, who wears none, who wears it incorrectly.\n"
      "Runs the pipeline ingest -> prepare -> train -> evaluate, and classifies faces."};
  app.require_subcommand(1);
  std::string store = "maskwatch-data";
  bool as_json = false, quiet = false;
  int threads = 0;
  app.add_option("--store", store, "object store: a folder, file:///abs/path or s3://bucket/prefix")
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
    c->add_option("--arch", tr.arch,
                  "resnet18 | resnet34 (from random initialisation) | face-resnet (pretrained on faces, input >= "
                  "112); each has its own tuned recipe (input size, epochs, optimiser, learning rates, weight "
                  "decay, freeze) that the flags below override")
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
    c->add_option("--balance-power", tr.balance_power,
                  "each example of class k counts (n_largest / n_k)^power, in the draw (sampler) or the loss "
                  "(weights); default 1 for sampler, 0.5 for weights");
    c->add_option("--augment-strength", tr.augment_strength, "scale of every augmentation range")
        ->capture_default_str();
    c->add_option("--ema", tr.ema, "decay of a moving average of the weights that is validated and kept (0: off)")
        ->capture_default_str();
    c->add_option("--body-lr-scale", tr.body_lr_scale,
                  "learning rate of every layer but the new head, as a fraction of --lr (pretrained starts)")
        ->capture_default_str();
    c->add_option("--holdout", tr.holdout,
                  "val: keep the epoch with the best validation macro-F1 | none: also train on the validation "
                  "crops and keep the last epoch (once the recipe is chosen)")
        ->capture_default_str();
    c->add_option("--label-smoothing", tr.label_smoothing, "cross-entropy label smoothing")->capture_default_str();
    c->add_option("--mixup", tr.mixup, "mixup: blend each batch with itself shuffled, weight ~ Beta(a, a) (0: off)")
        ->capture_default_str();
    c->add_option("--synthesize", tr.synthesize,
                  "chance that a drawn incorrect-mask (or with-mask) face is replaced by a composite: a face "
                  "without a mask over a masked one, the seam below (or above) the nose (0: off)")
        ->capture_default_str();
    c->add_option("--teacher", tr.teacher,
                  "distil from this model of the store (an id; trained on the same split): its softened outputs "
                  "are a second target")
        ->type_name("MODEL");
    c->add_option("--distill", tr.distill, "weight of the teacher's term (the labels get 1 minus it)")
        ->capture_default_str();
    c->add_option("--temperature", tr.temperature, "softmax temperature of the teacher's term")->capture_default_str();
    c->add_option("--augment", tr.augment, "augment training crops (true/false)")->capture_default_str();
    c->add_option("--train-seed", tr.seed, "initialisation, order and augmentation seed")->capture_default_str();
    c->add_option("--init", tr.init,
                  "start from a torchvision ResNet state_dict (FILE.pth from torch.save; fc skipped if classes differ)")
        ->type_name("FILE.pth");
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
  c_eval->add_option("--predictions", ev.predictions, "write every face's label, prediction and scores to this CSV");

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
  auto* c_pipe = app.add_subcommand("pipeline", "the main job: ingest, prepare, train, evaluate, benchmark, report");
  c_pipe->add_option("--data", data_flag, "dataset folder (default: $MASKWATCH_DATA, then ../shared/data/...)");
  add_prepare(c_pipe);
  add_train(c_pipe, false);

  // benchmark
  mw::BenchmarkOptions bo;
  std::string sizes_arg = "100,200,400", results_uri;
  auto* c_bench = app.add_subcommand("benchmark", "time and score the model on seeded random sets of images");
  c_bench->add_option("--sizes", sizes_arg, "images per set, comma-separated")->capture_default_str();
  c_bench->add_option("--model", bo.model, "model id or 'latest'")->capture_default_str();
  c_bench->add_option("--model-store", bo.model_store, "store holding the model (default: --store)");
  c_bench->add_option("--seed", bo.seed, "which images make each set")->capture_default_str();
  c_bench->add_flag("!--no-record", bo.record, "measure only; write nothing to the results table");
  auto add_results_option = [&results_uri](CLI::App* c) {
    c->add_option("--results", results_uri,
                  "results table: sqlite:///path.db or dynamodb://TABLE "
                  "(default: sqlite://<store>/results.db)")
        ->envname("MASKWATCH_RESULTS");
  };
  add_results_option(c_bench);
  c_pipe->add_option("--sizes", sizes_arg, "benchmark set sizes, comma-separated")->capture_default_str();
  add_results_option(c_pipe);

  // results
  int results_size = 0;
  std::string plot_path;
  auto* c_results = app.add_subcommand("results", "the benchmark history, oldest first");
  add_results_option(c_results);
  c_results->add_option("--size", results_size, "only sets of this many images");
  c_results->add_option("--plot", plot_path, "also write seconds against set size as an SVG file");

  // schedule
  mw::SchedulerOptions so;
  so.expression = "rate(1 hour)";
  auto* c_sched = app.add_subcommand("schedule", "run the benchmark on a schedule until SIGTERM (one run at a time)");
  c_sched
      ->add_option("--rate,--cron,--expression", so.expression,
                   "EventBridge schedule expression, UTC: rate(1 hour), rate(15 minutes), cron(0 6 * * ? *)")
      ->capture_default_str();
  c_sched->add_flag("--now", so.run_now, "run once at start, then on the schedule");
  c_sched->add_option("--max-runs", so.max_runs, "stop after this many runs (-1: never)")->capture_default_str();
  c_sched->add_option("--lock", so.lock_path,
                      "lock file that keeps a second scheduler off (default: in the store "
                      "folder, or the temporary folder)");
  c_sched->add_option("--sizes", sizes_arg, "images per set, comma-separated")->capture_default_str();
  c_sched->add_option("--model", bo.model, "model id or 'latest'")->capture_default_str();
  c_sched->add_option("--model-store", bo.model_store, "store holding the model (default: --store)");
  c_sched->add_option("--seed", bo.seed, "which images make each set")->capture_default_str();
  add_results_option(c_sched);

  // package
  mw::PackageOptions po;
  auto* c_pkg = app.add_subcommand("package", "build the AWS Lambda deployment zip (see deploy/README.md)");
  c_pkg->add_option("--model", po.model, "model id or 'latest'")->capture_default_str();
  c_pkg->add_option("-o,--output", po.output, "zip file to write")->capture_default_str();
  c_pkg->add_option("--zip-level", po.zip_level, "compression, 0 (none) to 9 (smallest)")->capture_default_str();
  c_pkg->add_option("--binary", po.lambda_binary, "the Lambda build (default: maskwatch-lambda beside this program)");

  CLI11_PARSE(app, argc, argv);
  auto rep = mw::console_reporter(quiet);
  // Recipe settings the user did not give come from the chosen architecture's recipe.
  for (auto* c : {c_train, c_pipe})
    if (c->parsed()) {
      const auto recipe = mw::train_recipe(tr.arch);
      auto keep = [c](const char* flag) { return c->count(flag) > 0; };
      if (!keep("--input-size")) tr.input_size = recipe.input_size;
      if (!keep("--epochs")) tr.epochs = recipe.epochs;
      if (!keep("--optimizer")) tr.optimizer = recipe.optimizer;
      if (!keep("--lr")) tr.lr = recipe.lr;
      if (!keep("--body-lr-scale")) tr.body_lr_scale = recipe.body_lr_scale;
      if (!keep("--weight-decay")) tr.weight_decay = recipe.weight_decay;
      if (!keep("--freeze")) tr.freeze = recipe.freeze;
    }
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
    } else if (*c_bench) {
      bo.store = store;
      bo.threads = threads;
      bo.results = results_uri;
      bo.sizes = mw::parse_sizes(sizes_arg, "--sizes");
      auto r = mw::benchmark(bo, rep);
      if (as_json)
        print_json(r);
      else
        print_benchmark(r);
    } else if (*c_sched) {
      bo.store = store;
      bo.threads = threads;
      bo.results = results_uri;
      bo.sizes = mw::parse_sizes(sizes_arg, "--sizes");
      if (so.lock_path.empty()) so.lock_path = default_lock_path(store);
      auto log = [](const std::string& line) { std::cerr << mw::utc_now_iso() << " " << line << std::endl; };
      mw::Reporter run_rep{log, {}};
      const int runs = mw::run_scheduler(
          so,
          [&](int) {
            auto r = mw::benchmark(bo, run_rep);
            if (as_json) std::cout << r.dump() << std::endl;
          },
          log);
      log("schedule: " + std::to_string(runs) + " run" + (runs == 1 ? "" : "s") + " done");
    } else if (*c_pkg) {
      po.store = store;
      {
        auto s = mw::open_store(store);
        if (!mw::ensure_plain_export(*s, po.model))
          throw mw::Error("package", "the model's architecture has no plain export; the Lambda build runs ResNets");
      }
      auto r = mw::package_lambda(po, rep);
      if (as_json) {
        print_json(r);
      } else {
        std::cout << "wrote " << r["zip"].get<std::string>() << ": " << fixed(r["zipped_bytes"].get<double>() / 1e6, 1)
                  << " MB zipped, " << fixed(r["unzipped_bytes"].get<double>() / 1e6, 1)
                  << " MB unzipped (Lambda's limit: 250 MB), model " << r["model"].get<std::string>() << "\n";
      }
    } else if (*c_results) {
      const std::string uri = results_uri.empty() ? mw::default_results_uri(store) : results_uri;
      // Reading must not create: a mistyped path would otherwise show an empty, new table.
      const std::string sqlite_scheme = "sqlite://";
      if (uri.rfind(sqlite_scheme, 0) == 0 && !fs::exists(uri.substr(sqlite_scheme.size())))
        throw mw::Error(uri, "no results table here yet: run 'maskwatch benchmark' first");
      auto table = mw::open_results(uri);
      auto records = table->history(results_size > 0 ? std::optional<int>(results_size) : std::nullopt);
      if (!plot_path.empty()) {
        mw::write_file_atomic(plot_path, mw::plot_seconds_vs_size_svg(records));
        if (!quiet) std::cerr << "wrote " << plot_path << "\n";
      }
      if (as_json)
        print_json(records_json(records));
      else
        print_records(records, table->uri());
    } else if (*c_pipe) {
      mw::PipelineOptions po{in, pr, tr, {}};
      po.ingest.data_dir = data_flag;
      po.benchmark.sizes = mw::parse_sizes(sizes_arg, "--sizes");
      po.benchmark.results = results_uri;
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
        std::cout << "\n";
        print_benchmark(r["benchmark"]);
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
