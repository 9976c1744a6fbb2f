// maskwatch schedule: the benchmark on an EventBridge schedule, until stopped.
#include <filesystem>
#include <iostream>

#include "cli/cli.h"
#include "core/hash.h"
#include "core/paths.h"
#include "jobs/scheduler.h"
#include "lambda/handler.h"
#include "store/object_store.h"

namespace fs = std::filesystem;

namespace mw::cli {

namespace {
struct ScheduleArgs {
  SchedulerOptions schedule;
  BenchmarkOptions benchmark;
  std::string sizes = "100,200,400", results;
};

// The scheduler's lock: in a folder store, else in the temporary folder, named by the store.
std::string default_lock_path(const std::string& store) {
  if (auto dir = local_store_dir(store)) {
    require_store(store);
    return (fs::path(*dir) / "schedule.lock").string();
  }
  return (fs::temp_directory_path() / ("maskwatch-schedule-" + sha256_hex(store).substr(0, 12) + ".lock")).string();
}
}  // namespace

Run add_schedule(CLI::App& app, const Globals& g) {
  auto* c = app.add_subcommand("schedule", "run the benchmark on a schedule until SIGTERM (one run at a time)");
  auto a = std::make_shared<ScheduleArgs>();
  a->schedule.expression = "rate(1 hour)";
  c->add_option("--rate,--cron,--expression", a->schedule.expression,
                "EventBridge schedule expression, UTC: rate(1 hour), rate(15 minutes), cron(0 6 * * ? *)")
      ->capture_default_str();
  c->add_flag("--now", a->schedule.run_now, "run once at start, then on the schedule");
  c->add_option("--max-runs", a->schedule.max_runs, "stop after this many runs (-1: never)")->capture_default_str();
  c->add_option("--lock", a->schedule.lock_path,
                "lock file that keeps a second scheduler off (default: in the store folder, or the temporary folder)");
  add_benchmark_options(*c, a->benchmark, a->sizes);
  add_results_option(*c, a->results);
  return [&g, a] {
    BenchmarkOptions bo = a->benchmark;
    bo.store = g.store;
    bo.threads = g.threads;
    bo.results = a->results;
    bo.sizes = parse_sizes(a->sizes, "--sizes");
    SchedulerOptions so = a->schedule;
    if (so.lock_path.empty()) so.lock_path = default_lock_path(g.store);
    auto log = [](const std::string& line) { std::cerr << utc_now_iso() << " " << line << std::endl; };
    const Reporter run_rep{log, {}};
    const int runs = run_scheduler(
        so,
        [&](int) {
          auto r = benchmark(bo, run_rep);
          if (g.json) std::cout << r.dump() << std::endl;
        },
        log);
    log("schedule: " + std::to_string(runs) + " run" + (runs == 1 ? "" : "s") + " done");
    return 0;
  };
}

}  // namespace mw::cli
