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
  std::cout << "\n";
  print_benchmark(r["benchmark"]);
}
}  // namespace

Run add_pipeline(CLI::App& app, const Globals& g) {
  auto* c = app.add_subcommand("pipeline", "the main job: ingest, prepare, train, evaluate, benchmark, report");
  auto a = std::make_shared<PipelineArgs>();
  c->add_option("--data", a->data, "dataset folder (default: $MASKWATCH_DATA, then ../shared/data/...)");
  auto pr = add_prepare_options(*c);
  auto given = add_train_options(*c, false);
  c->add_option("--sizes", a->sizes, "benchmark set sizes, comma-separated")->capture_default_str();
  add_results_option(*c, a->results);
  return [&g, a, pr, given] {
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
    auto r = torch.pipeline(po, reporter(g));
    if (!g.json) return print_pipeline(r), 0;
    r["evaluate"].erase("text");
    print_json(r);
    return 0;
  };
}

}  // namespace mw::cli
