// The maskwatch command line: one file per command (src/cli/<command>.cpp),
// each registering its options and what it runs; main.cpp only dispatches.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "api/face_labeller.h"
#include "detect/detector.h"
#include "maskwatch.h"

namespace mw::cli {

// Options every command takes, before or after the command's name.
struct Globals {
  std::string store = "maskwatch-data";
  bool json = false;
  bool quiet = false;
  int threads = 0;
};

// A command's run: returns the process's exit code (0 ok, 1 an error of the
// input or of some items, 2 an unexpected failure).
using Run = std::function<int()>;

// Each registers its subcommand on `app` and returns what runs when it is
// chosen; options are read from `g` at run time.
Run add_ingest(CLI::App& app, const Globals& g);
Run add_prepare(CLI::App& app, const Globals& g);
Run add_train(CLI::App& app, const Globals& g);
Run add_train_detector(CLI::App& app, const Globals& g);
Run add_evaluate(CLI::App& app, const Globals& g);
Run add_classify(CLI::App& app, const Globals& g);
Run add_predict(CLI::App& app, const Globals& g);
Run add_watch(CLI::App& app, const Globals& g);
Run add_pipeline(CLI::App& app, const Globals& g);
Run add_benchmark(CLI::App& app, const Globals& g);
Run add_results(CLI::App& app, const Globals& g);
Run add_schedule(CLI::App& app, const Globals& g);
Run add_package(CLI::App& app, const Globals& g);
Run add_models(CLI::App& app, const Globals& g);
Run add_serve(CLI::App& app, const Globals& g);
Run add_scan(CLI::App& app, const Globals& g);

// ---- shared by several commands (src/cli/common.cpp) ----------------------
void print_json(const json& j);
std::string fixed(double v, int digits = 4);
Reporter reporter(const Globals& g);
// Checks for numeric options, refusing with "--every: expected 1 or more, got 0"
// (CLI11's own range checks print the largest double in full).
CLI::Validator at_least(double min);
CLI::Validator between(double min, double max);
// Commands that only read a store refuse a local folder that does not exist
// (a mistyped --store would otherwise look like an empty store).
void require_store(const std::string& store);

// The options of prepare and train that pipeline shares.
std::shared_ptr<PrepareOptions> add_prepare_options(CLI::App& c);
// Train's settings as given: only the flags the user named end up in the JSON
// (keys as TrainOptions' fields); the rest come from the recipe or the run.
std::function<json()> add_train_options(CLI::App& c, bool with_run);
void add_results_option(CLI::App& c, std::string& uri);
// --detector ID|latest|pretrained (detect/detector_artifact.h open_detector).
void add_detector_option(CLI::App& c, std::string& id);
// What finds the faces: --detector, --min-score, --min-face, --canvas.
struct DetectionArgs {
  std::string detector = "latest";
  DetectorOptions options;
  double min_face = 0;
};
void add_detection_options(CLI::App& c, DetectionArgs& d);
// The classifier `model` and the detector of --detection, both from --store.
LabellerParts labeller_parts(const Globals& g, const std::string& model, const DetectionArgs& d);
void add_benchmark_options(CLI::App& c, BenchmarkOptions& bo, std::string& sizes);

void print_ingest(const json& r);
void print_prepare(const json& r);
void print_model(const json& m);
void print_eval(const json& r);
void print_benchmark(const json& r);
void print_detect_eval(const json& r);  // evaluate --detect's report

}  // namespace mw::cli
