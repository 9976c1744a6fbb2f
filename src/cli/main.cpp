// maskwatch: the command-line shell over the library (include/maskwatch.h).
// Each command lives in its own file (src/cli/<command>.cpp); this one holds
// the global options, --version, the typo suggestions and the dispatch.
#include <iostream>
#include <map>

#include "cli/cli.h"
#include "cli/torch_loader.h"
#include "core/env.h"
#include "core/suggest.h"
#include "core/version.h"
#include "infer/engine.h"
#include "infer/fast_conv.h"
#include "infer/plain_net.h"
#include "lambda/handler.h"
#include "store/s3_store.h"

namespace {

using mw::cli::Globals;

void add_globals(CLI::App& app, Globals& g) {
  app.add_option("--store", g.store, "object store: a folder, file:///abs/path or s3://bucket/prefix")
      ->envname("MASKWATCH_STORE")
      ->capture_default_str();
  app.add_flag("--json", g.json, "print JSON instead of text");
  app.add_flag("-q,--quiet", g.quiet, "no progress or log lines on stderr");
  app.add_option("--threads", g.threads, "compute threads (0: all cores)")->capture_default_str();
}

// The precisions this CPU runs the convolutions in without emulation.
std::string native_precisions() {
  std::string out;
  for (auto p : {mw::Precision::fp32, mw::Precision::bf16, mw::Precision::int8})
    if (mw::cpu_runs_natively(p)) out += std::string(" ") + mw::precision_name(p);
  return out;
}

// What runs: $MASKWATCH_PRECISION as set, or what auto picks on this CPU.
std::string precision_setting() {
  const std::string asked = mw::env_or("MASKWATCH_PRECISION", "auto");
  if (asked != "auto") return asked + " ($MASKWATCH_PRECISION)";
  return std::string("auto: ") + mw::precision_name(mw::auto_precision(true)) + " for a calibrated model, " +
         mw::precision_name(mw::auto_precision(false)) + " otherwise ($MASKWATCH_PRECISION to choose)";
}

void print_version() {
  std::cout << "maskwatch " << mw::version_string() << "\n"
            << "inference engine: plain, built for " << mw::plain_engine_cpu_features() << "; convolutions on oneDNN ("
            << mw::fast_conv_isa() << "), in hardware here:" << native_precisions() << "\n"
            << "precision: " << precision_setting() << "\n"
            << "training: " << mw::cli::torch_status() << "\n";
}

// The long option names a command accepts: its own, its parents' and its subcommands'.
std::vector<std::string> option_names(const CLI::App* c) {
  std::vector<std::string> out;
  for (; c; c = c->get_parent())
    for (const CLI::Option* o : c->get_options())
      for (const auto& name : o->get_lnames()) out.push_back(name);
  return out;
}

std::vector<std::string> command_names(const CLI::App& c) {
  std::vector<std::string> out;
  for (const CLI::App* s : c.get_subcommands([](const CLI::App*) { return true; })) out.push_back(s->get_name());
  return out;
}

// A parse error with a typo in it gets "did you mean": an unknown command
// (the first word that is neither an option nor its value), or an unknown
// --flag of the command given. Returns the message, or "" when nothing is near.
std::string typo_hint(const CLI::App& app, int argc, char** argv) {
  const CLI::App* command = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--store" || arg == "--threads") {
      ++i;
      continue;
    }
    if (arg.rfind("--", 0) == 0) {
      const std::string name =
          arg.substr(2, arg.find('=') == std::string::npos ? std::string::npos : arg.find('=') - 2);
      const auto names = option_names(command ? command : &app);
      if (std::find(names.begin(), names.end(), name) != names.end()) continue;
      const std::string near = mw::nearest_name(name, names);
      return "unknown option --" + name + (near.empty() ? "" : "; did you mean --" + near + "?");
    }
    if (arg[0] == '-' || command) continue;
    const auto commands = command_names(app);
    if (std::find(commands.begin(), commands.end(), arg) != commands.end()) {
      command = app.get_subcommand(arg);
      continue;
    }
    const std::string near = mw::nearest_name(arg, commands);
    if (!near.empty()) return "unknown command '" + arg + "'; did you mean '" + near + "'?";
  }
  return "";
}

// s3:// stores; $MASKWATCH_ENGINE and $MASKWATCH_PRECISION are the engine's defaults;
// MASKWATCH_ENGINE=torch asks for LibTorch as the inference engine: load it.
void prepare_engines_and_stores() {
  mw::register_s3_store();
  mw::set_engine_defaults(mw::env_or("MASKWATCH_ENGINE"), mw::env_or("MASKWATCH_PRECISION"));
  if (mw::env_or("MASKWATCH_ENGINE") == "torch")
    mw::set_reference_engine(mw::cli::load_torch_module().reference_engine);
}

int run_command(const std::map<CLI::App*, mw::cli::Run>& commands) {
  try {
    prepare_engines_and_stores();
    for (const auto& [app, run] : commands)
      if (app->parsed()) return run();
  } catch (const mw::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: unexpected failure: " << e.what() << "\n";
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  mw::cli::set_command_line(argc, argv);
  // As a Lambda function's bootstrap: serve the Runtime API loop.
  if (const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API"); api && *api)
    return mw::serve_lambda(api, [] { return mw::make_lambda_handler(mw::lambda_config_from_env()); });

  CLI::App app{
      "maskwatch: who wears a face mask, who wears none, who wears it incorrectly.\n"
      "Runs the pipeline ingest -> prepare -> train -> evaluate -> benchmark, and classifies faces.\n"
      "Global options go before or after the command."};
  app.fallthrough();  // a command's unknown options are the global ones
  app.require_subcommand(0, 1);
  Globals g;
  add_globals(app, g);
  bool version = false;
  app.add_flag("--version", version, "print the version, the commit and the engines, then exit");
  std::map<CLI::App*, mw::cli::Run> commands;
  for (auto add : {mw::cli::add_ingest, mw::cli::add_prepare, mw::cli::add_train, mw::cli::add_train_detector,
                   mw::cli::add_evaluate, mw::cli::add_classify, mw::cli::add_predict, mw::cli::add_watch,
                   mw::cli::add_pipeline, mw::cli::add_benchmark, mw::cli::add_results, mw::cli::add_schedule,
                   mw::cli::add_package, mw::cli::add_models, mw::cli::add_serve, mw::cli::add_scan}) {
    auto run = add(app, g);
    commands[app.get_subcommands([](CLI::App*) { return true; }).back()] = std::move(run);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const std::string hint = e.get_exit_code() == 0 ? "" : typo_hint(app, argc, argv);
    if (hint.empty()) return app.exit(e);
    std::cerr << "error: " << hint << "\nRun with --help for more information.\n";
    return static_cast<int>(CLI::ExitCodes::ExtrasError);
  }
  if (version) return print_version(), 0;
  if (app.get_subcommands().empty()) {
    std::cerr << app.help();
    return static_cast<int>(CLI::ExitCodes::RequiredError);
  }
  return run_command(commands);
}
