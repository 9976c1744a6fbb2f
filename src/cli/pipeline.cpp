// maskwatch pipeline: the main job, ingest to benchmark, in one command.
#include <iostream>

#include "cli/cli.h"
#include "cli/torch_loader.h"
#include "lambda/handler.h"

namespace mw::cli {

namespace {
struct PipelineArgs {
  std::string data, sizes = "100,200,400", results;
};

void print_pipeline(const json& r) {
  print_ingest(r["ingest"]);
  print_prepare(r["prepare"]);
  std::cout << "trained model " << r["train"]["model"].get<std::string>() << " in " << fixed(r["train"]["seconds"], 1)
            << " s\n\n";
  print_eval(r["evaluate"]);
  if (r.contains("train_detector")) {
    const auto& d = r["train_detector"];
    std::cout << "\ntrained detector " << d["detector"].get<std::string>() << " in " << fixed(d["seconds"], 1)
              << " s (best epoch " << d["best_epoch"] << ", val face AP@0.5 " << fixed(d["val"]["face_ap_50"], 3)
              << ")\n\n";
    print_detect_eval(r["evaluate_detect"]);
  }
  std::cout << "\n";
  print_benchmark(r["benchmark"]);
  if (r.contains("benchmark_detect")) print_benchmark(r["benchmark_detect"]);
}
}  // namespace

Run add_pipeline(CLI::App& app, const Globals& g) {
  auto* c = app.add_subcommand("pipeline", "the main job: ingest, prepare, train, evaluate, benchmark, report");
  auto a = std::make_shared<PipelineArgs>();
  c->add_option("--data", a->data, "dataset folder (default: $MASKWATCH_DATA, then ../shared/data/...)");
  auto pr = add_prepare_options(*c);
  auto given = add_train_options(*c, false);
  c->add_option("--sizes", a->sizes, "benchmark set sizes, comma-separated")->capture_default_str();
  auto det = std::make_shared<DetectorTrainOptions>();
  c->add_option("--detector-epochs", det->epochs,
                "epochs of face-detector fine-tuning (0: none; commands then use the pretrained detector)")
      ->capture_default_str();
  c->add_option("--detector-arch", det->arch,
                "the detector fine-tuned: faceboxes (fast) | centernet (stride 4, validated and run at 640 px)")
      ->capture_default_str();
  c->add_option("--detector-limit", det->limit, "train the detector on the first N photos only (0: all)");
  c->add_option("--detector-val-limit", det->val_limit, "validate the detector on the first N photos only (0: all)");
  add_results_option(*c, a->results);
  return [&g, a, pr, given, det] {
    if (det->epochs < 0) throw Error("pipeline --detector-epochs", "must be 0 (no detector training) or more");
    const auto& torch = load_torch_module();
    PipelineOptions po;
    po.ingest.store = po.prepare.store = g.store;
    po.ingest.data_dir = a->data;
    po.prepare = *pr;
    po.prepare.store = g.store;
    po.train = resolve_train_options(g.store, given());
    po.train.threads = g.threads;
    po.benchmark.sizes = parse_sizes(a->sizes, "--sizes");
    po.benchmark.results = a->results;
    po.detector = *det;
    auto r = torch.pipeline(po, reporter(g));
    if (!g.json) return print_pipeline(r), 0;
    r["evaluate"].erase("text");
    print_json(r);
    return 0;
  };
}

}  // namespace mw::cli
