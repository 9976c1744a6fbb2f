// maskwatch benchmark: the scheduled job, once.
#include "cli/cli.h"
#include "lambda/handler.h"

namespace mw::cli {

namespace {
struct BenchmarkArgs {
  BenchmarkOptions options;
  std::string sizes = "100,200,400", results;
};
}  // namespace

Run add_benchmark(CLI::App& app, const Globals& g) {
  auto* c = app.add_subcommand("benchmark", "time and score the model on seeded random sets of images");
  auto a = std::make_shared<BenchmarkArgs>();
  add_benchmark_options(*c, a->options, a->sizes);
  c->add_flag("!--no-record", a->options.record, "measure only; write nothing to the results table");
  add_results_option(*c, a->results);
  return [&g, a] {
    require_store(g.store);
    BenchmarkOptions bo = a->options;
    bo.store = g.store;
    bo.threads = g.threads;
    bo.results = a->results;
    bo.sizes = parse_sizes(a->sizes, "--sizes");
    auto r = benchmark(bo, reporter(g));
    g.json ? print_json(r) : print_benchmark(r);
    return 0;
  };
}

}  // namespace mw::cli
