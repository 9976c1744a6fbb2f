// maskwatch evaluate: a model's figures on a split's faces; with --detect,
// the face detector's and detect-then-classify's on the split's photos.
#include <iostream>

#include "cli/cli.h"
#include "detect/evaluate_detect.h"

namespace mw::cli {

Run add_evaluate(CLI::App& app, const Globals& g) {
  auto* c = app.add_subcommand("evaluate",
                               "accuracy, per-class precision/recall/F1, confusion matrix, calibration, risk-coverage");
  auto ev = std::make_shared<EvaluateOptions>();
  auto det = std::make_shared<DetectEvaluateOptions>();
  auto detect = std::make_shared<bool>(false);
  c->add_option("--model", ev->model, "model id or 'latest'")->capture_default_str();
  c->add_option("--split", ev->split, "train | val | test")->capture_default_str();
  c->add_option("--predictions", ev->predictions, "write every face's label, prediction and scores to this CSV");
  c->add_option("--risk-plot", ev->risk_plot,
                "write the risk-coverage curve (accuracy of the most confident faces against their share) as SVG");
  c->add_flag("--detect", *detect, "score the face detector and detect-then-classify on the split's photos (VOC mAP)");
  c->add_option("--canvas", det->detector.canvas,
                "with --detect: the side photos are resized to (0: the detector's own)")
      ->capture_default_str();
  c->add_option("--min-score", det->detector.min_score, "with --detect: the detector's operating score")
      ->capture_default_str();
  add_detector_option(*c, det->detector_id);
  c->add_option("--plot", det->plot, "with --detect: write the precision-recall curves to this SVG");
  c->add_flag("--close-views", det->close_views,
              "with --detect: also score the detector on close views re-cut from the photos (each face over 48 px as "
              "30-70% of a 640 px photo): faces found, false positives a view");
  return [&g, ev, det, detect] {
    require_store(g.store);
    if (*detect) {
      det->store = g.store, det->model = ev->model, det->split = ev->split, det->threads = g.threads;
      auto r = evaluate_detection(*det, reporter(g));
      if (g.json) return print_json(r), 0;
      return print_detect_eval(r), 0;
    }
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
