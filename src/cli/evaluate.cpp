// maskwatch evaluate: a model's figures on a split's faces.
#include "cli/cli.h"

namespace mw::cli {

Run add_evaluate(CLI::App& app, const Globals& g) {
  auto* c = app.add_subcommand("evaluate",
                               "accuracy, per-class precision/recall/F1, confusion matrix, calibration, risk-coverage");
  auto ev = std::make_shared<EvaluateOptions>();
  c->add_option("--model", ev->model, "model id or 'latest'")->capture_default_str();
  c->add_option("--split", ev->split, "train | val | test")->capture_default_str();
  c->add_option("--predictions", ev->predictions, "write every face's label, prediction and scores to this CSV");
  c->add_option("--risk-plot", ev->risk_plot,
                "write the risk-coverage curve (accuracy of the most confident faces against their share) as SVG");
  return [&g, ev] {
    require_store(g.store);
    ev->store = g.store;
    ev->threads = g.threads;
    auto r = evaluate(*ev, reporter(g));
    if (!g.json) return print_eval(r), 0;
    r.erase("text");
    print_json(r);
    return 0;
  };
}

}  // namespace mw::cli
