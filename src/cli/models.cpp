// maskwatch models: the models of a store, and one model's card.
#include <cstdio>
#include <iostream>

#include "api/model_export.h"
#include "cli/cli.h"
#include "infer/calibrate.h"
#include "model/catalog.h"
#include "store/object_store.h"
#include "train/confidence.h"

namespace mw::cli {

namespace {

std::string figure(const json& v) { return v.is_number() ? fixed(v.get<double>(), 3) : "-"; }

void print_list(const json& models, const std::string& uri) {
  std::cout << models.size() << " model" << (models.size() == 1 ? "" : "s") << " in " << uri << "\n";
  if (models.empty()) return;
  std::cout << "  id                arch         input  created               val acc  val F1  test acc  test F1\n";
  for (const auto& m : models) {
    const json& t = m["test"];
    char line[256];
    std::snprintf(line, sizeof line, "%s %-16s  %-11s  %5d  %-20s  %7s  %6s  %8s  %7s\n", m["latest"] ? "*" : " ",
                  m["id"].get<std::string>().c_str(), m["arch"].get<std::string>().c_str(), m["input_size"].get<int>(),
                  m["created_at"].get<std::string>().c_str(), figure(m["val"]["accuracy"]).c_str(),
                  figure(m["val"]["macro_f1"]).c_str(), figure(t.is_object() ? t["accuracy"] : json()).c_str(),
                  figure(t.is_object() ? t["macro_f1"] : json()).c_str());
    std::cout << line;
  }
  std::cout << "(* latest; test figures are those 'maskwatch evaluate' recorded)\n";
}

// " temperature T fitted on N validation faces (expected calibration error A -> B)"
void print_confidence(const json& c) {
  std::cout << " temperature " << fixed(c.value("temperature", 1.0), 3) << " fitted on " << c.value("faces", 0)
            << " validation faces (expected calibration error " << figure(c.value("ece_val_before", json())) << " -> "
            << figure(c.value("ece_val_after", json())) << ")\n";
}

void print_card(const json& m) {
  std::cout << "model " << m.value("id", "") << (m.value("latest", false) ? " (latest)" : "") << "\n"
            << "  architecture: " << m.value("arch", "") << ", input " << m.value("input_size", 0) << " px, crops "
            << m.value("crop_size", 0) << " px with margin " << m.value("margin", 0.0) << "\n"
            << "  created: " << m.value("created_at", "") << ", run " << m.value("run", "") << ", best epoch "
            << m.value("best_epoch", 0) << " of " << m.value("history", json::array()).size() << "\n";
  const json& metrics = m.value("metrics", json::object());
  std::cout << "  validation: accuracy " << figure(metrics.value("val_accuracy", json())) << ", macro-F1 "
            << figure(metrics.value("val_macro_f1", json())) << "\n";
  for (auto& [split, e] : m["evaluations"].items())
    std::cout << "  " << split << " (evaluate): accuracy " << figure(e.value("accuracy", json())) << ", macro-F1 "
              << figure(e.value("macro_f1", json())) << "\n";
  std::cout << "  confidence:";
  if (m.contains("confidence"))
    print_confidence(m["confidence"]);
  else
    std::cout << " softmax temperature 1, not fitted ('maskwatch models calibrate' fits it)\n";
  std::cout << "  labels: " << m.value("labels", json::array()).dump() << "\n"
            << "  (--json for the whole card: training settings, per-epoch history, confusion matrices)\n";
}

// int8 ranges (a model with a plain export), then the temperature (a model with held-out validation crops).
int run_calibrate(ObjectStore& store, const std::string& id, const Globals& g) {
  json meta = find_model(store, id).meta;
  if (meta.contains("plain_sha256")) meta = calibrate_model(store, find_model(store, meta.at("id")));
  const bool held_out = meta.value("holdout", "val") != "none";
  if (held_out) meta = fit_model_temperature(store, find_model(store, meta.at("id")), g.threads);
  if (g.json) {
    print_json({{"calibration", meta.value("calibration", json())}, {"confidence", meta.value("confidence", json())}});
    return 0;
  }
  std::cout << "model " << meta.value("id", "") << ":";
  if (meta.contains("calibration"))
    std::cout << " int8 ranges measured on " << meta["calibration"].value("crops", 0) << " training crops;";
  if (held_out)
    print_confidence(meta["confidence"]);
  else
    std::cout << " no temperature fitted: the model was trained on its validation crops (--holdout none)\n";
  return 0;
}

void print_export(const json& r, bool as_json) {
  if (as_json) return print_json(r);
  std::cout << "wrote " << r["dir"].get<std::string>() << ": classifier " << r["classifier"].get<std::string>()
            << ", detector " << r["detector"].get<std::string>() << " ("
            << static_cast<double>(r["bytes"].get<std::size_t>()) / (1 << 20)
            << " MiB); open it as a store, e.g. maskwatch --store " << r["dir"].get<std::string>()
            << " predict PHOTO\n";
}

}  // namespace

Run add_models(CLI::App& app, const Globals& g) {
  auto* c = app.add_subcommand("models", "the models in the store (id, architecture, created, figures, latest)");
  auto* show = c->add_subcommand("show", "one model's card: settings, figures, training history");
  auto* calibrate = c->add_subcommand(
      "calibrate",
      "measure a model's int8 input ranges on training crops (so that it runs in int8 on AVX2 and "
      "AVX-512 VNNI) and fit its softmax temperature on validation crops (so that its confidence means what it says)");
  auto* exp = c->add_subcommand("export",
                                "write one folder with the classifier and the face detector, which a program opens "
                                "as its store (FaceLabeller::open, maskwatch.open) without this one");
  auto id = std::make_shared<std::string>("latest");
  for (auto* sub : {show, calibrate})
    sub->add_option("id", *id, "model id, a unique prefix of one, or 'latest'")->capture_default_str();
  // export [ID] DIR: the classifier's id first when given.
  auto args = std::make_shared<std::vector<std::string>>();
  auto detector = std::make_shared<std::string>("latest");
  exp->add_option("id-and-dir", *args,
                  "the classifier (model id, a unique prefix of one, or 'latest'; default latest), then the folder to "
                  "write (new, or empty)")
      ->type_name("[ID] DIR")
      ->required()
      ->expected(1, 2);
  add_detector_option(*exp, *detector);
  return [&g, show, calibrate, exp, id, args, detector] {
    require_store(g.store);
    auto store = open_store(g.store);
    if (*calibrate) return run_calibrate(*store, *id, g);
    if (*exp) {
      const std::string model = args->size() == 2 ? args->front() : "latest";
      return print_export(export_models(*store, model, *detector, args->back()), g.json), 0;
    }
    const json out = *show ? show_model(*store, *id) : list_models(*store);
    if (g.json) return print_json(out), 0;
    *show ? print_card(out) : print_list(out, store->uri());
    return 0;
  };
}

}  // namespace mw::cli
