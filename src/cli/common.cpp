// What several commands share: output, the store check, option groups, printers.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/cli.h"
#include "core/progress.h"
#include "lambda/handler.h"
#include "store/object_store.h"

namespace fs = std::filesystem;

namespace mw::cli {

void print_json(const json& j) { std::cout << j.dump(2) << "\n"; }

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

Reporter reporter(const Globals& g) { return console_reporter(g.quiet); }

namespace {

// A bound as the user would write it: 0, 1, 0.5, 40000000.
std::string bound_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// A check that the value is a number `accepts` takes; its refusal reads
// "--NAME: expected WANT, got VALUE" (CLI11 puts the option's name first).
CLI::Validator number_check(const std::string& want, std::function<bool(double)> accepts) {
  return CLI::Validator(
      [want, accepts](std::string& input) {
        double v = 0;
        if (CLI::detail::lexical_cast(input, v) && accepts(v)) return std::string();
        return "expected " + want + ", got " + input;
      },
      want);
}

}  // namespace

CLI::Validator at_least(double min) {
  return number_check(bound_text(min) + " or more", [min](double v) { return v >= min; });
}

CLI::Validator between(double min, double max) {
  return number_check(bound_text(min) + " to " + bound_text(max),
                      [min, max](double v) { return v >= min && v <= max; });
}

void require_store(const std::string& store) {
  const auto dir = local_store_dir(store);
  if (dir && !fs::is_directory(*dir))
    throw Error(*dir, "no store here (is --store right?); 'maskwatch ingest' or 'maskwatch pipeline' makes one");
}

std::shared_ptr<PrepareOptions> add_prepare_options(CLI::App& c) {
  auto pr = std::make_shared<PrepareOptions>();
  c.add_option("--seed", pr->seed, "split seed")->capture_default_str();
  c.add_option("--train-fraction", pr->train_fraction, "share of images for training")->capture_default_str();
  c.add_option("--val-fraction", pr->val_fraction, "share of images for validation")->capture_default_str();
  c.add_option("--crop-size", pr->crop_size, "stored crop side in pixels")->capture_default_str();
  c.add_option("--margin", pr->margin, "context around each box, as a fraction of its side")->capture_default_str();
  return pr;
}

void add_detector_option(CLI::App& c, std::string& id) {
  c.add_option("--detector", id,
               "face detector: a fine-tuned one's id, 'latest' (the store's newest, or FaceBoxes as it ships while "
               "there is none) or 'pretrained'")
      ->capture_default_str();
}

void add_detection_options(CLI::App& c, DetectionArgs& d) {
  add_detector_option(c, d.detector);
  c.add_option("--min-score", d.options.min_score, "the least face probability a face is reported at")
      ->capture_default_str()
      ->check(between(0, 1));
  c.add_option("--min-face", d.min_face, "drop faces whose shorter side is under this many pixels")
      ->capture_default_str()
      ->check(at_least(0));
  c.add_option("--canvas", d.options.canvas,
               "the side a photo or frame is resized to for the detector (a multiple of its stride; 0: the detector's "
               "own, the canvas it was validated at)")
      ->capture_default_str();
}

LabellerParts labeller_parts(const Globals& g, const std::string& model, const DetectionArgs& d) {
  LabellerParts parts{g.store, model, g.threads};
  parts.detector = d.detector, parts.detector_options = d.options;
  return parts;
}

void add_results_option(CLI::App& c, std::string& uri) {
  c.add_option("--results", uri,
               "results table: sqlite:///path.db or dynamodb://TABLE (default: sqlite://<store>/results.db)")
      ->envname("MASKWATCH_RESULTS");
}

void add_benchmark_options(CLI::App& c, BenchmarkOptions& bo, std::string& sizes) {
  c.add_option("--sizes", sizes, "images per set, comma-separated")->capture_default_str();
  c.add_option("--model", bo.model, "model id or 'latest'")->capture_default_str();
  c.add_option("--model-store", bo.model_store, "store holding the model (default: --store)");
  c.add_option("--seed", bo.seed, "which images make each set")->capture_default_str();
  c.add_flag("--detect", bo.detect,
             "find the faces with the face detector (timed with the rest) instead of using the annotated boxes; "
             "records mAP@0.5 and face recall too");
  add_detector_option(c, bo.detector);
}

void print_ingest(const json& r) {
  std::cout << "ingested " << r["images"] << " images from " << r["data_dir"].get<std::string>() << " into "
            << r["store"].get<std::string>() << "\n"
            << "  boxes: " << r["boxes"] << " (";
  bool first = true;
  for (const auto& name : class_names()) {
    std::cout << (first ? "" : ", ") << name << " " << r["boxes_per_class"][name];
    first = false;
  }
  std::cout << ")\n  boxes clipped to the image: " << r["boxes_clipped"] << "\n"
            << "  rejected: " << r["rejected_images"] << " images, " << r["rejected_boxes"] << " boxes\n";
  for (const auto& e : r.value("rejects", json::array()))
    std::cout << "    " << e["kind"].get<std::string>() << " " << e["file"].get<std::string>() << ": "
              << e["reason"].get<std::string>() << "\n";
}

void print_prepare(const json& r) {
  std::cout << "split " << r["manifest_hash"].get<std::string>().substr(0, 12) << " (seed " << r["seed"] << "), crops "
            << r["crop_size"] << " px, margin " << r["margin"] << "\n";
  for (auto& [split, c] : r["splits"].items()) {
    std::cout << "  " << split << ": " << c["images"] << " images, " << c["crops"] << " crops (";
    bool first = true;
    for (const auto& name : class_names()) {
      std::cout << (first ? "" : ", ") << name << " " << c[name];
      first = false;
    }
    std::cout << ")\n";
  }
  if (r["rejected_images"].get<long>() > 0) std::cout << "  rejected images: " << r["rejected_images"] << "\n";
}

void print_model(const json& m) {
  std::cout << "model " << m["id"].get<std::string>() << " (" << m["arch"].get<std::string>() << ", " << m["input_size"]
            << " px), best epoch " << m["best_epoch"] << ": val accuracy " << fixed(m["metrics"]["val_accuracy"])
            << ", val macro-F1 " << fixed(m["metrics"]["val_macro_f1"]) << "\n";
}

void print_eval(const json& r) {
  std::cout << "model " << r["model"].get<std::string>() << " on the " << r["split"].get<std::string>() << " split\n\n"
            << r["text"].get<std::string>() << "\nby face size (shorter side)\n";
  for (auto& [band, v] : r["by_face_size"].items())
    std::cout << "  " << band << ": " << v["objects"] << " objects, accuracy " << fixed(v["accuracy"]) << ", macro-F1 "
              << fixed(v["macro_f1"]) << "\n";
  if (!r.contains("confidence")) return;
  const json& c = r["confidence"];
  std::cout << "confidence: temperature " << fixed(c["temperature"]) << ", expected calibration error "
            << fixed(c["ece_before"]) << " at temperature 1, " << fixed(c["ece_after"]) << " at the model's\n"
            << "answering only the most confident faces (--min-confidence):\n";
  for (const auto& p : c["risk_coverage"])
    std::cout << "  " << fixed(100 * p["coverage"].get<double>(), 0) << "% answered (" << p["answered"]
              << " faces, confidence >= " << fixed(p["min_confidence"]) << "): accuracy " << fixed(p["accuracy"])
              << "\n";
}

namespace {
// JSON writes NaN (an accuracy over no faces) as null.
double number_or_nan(const json& v) { return v.is_number() ? v.get<double>() : std::nan(""); }
// Whether a benchmark run has a detect-then-classify set (its table gets the mAP columns).
bool detecting(const json& run) {
  for (const auto& s : run["sets"])
    if (s["mode"] == "detect") return true;
  return false;
}
std::string optional_fixed(const json& v) { return v.is_number() ? fixed(v.get<double>(), 3) : "-"; }
}  // namespace

void print_benchmark(const json& r) {
  std::cout << "benchmark run " << r["run_id"].get<std::string>() << " (" << r["started_at"].get<std::string>()
            << (r["results"].is_string() ? "), recorded in " + r["results"].get<std::string>()
                                         : std::string("), not recorded"))
            << "\n"
            << "   set  images   faces  seconds   faces/s  accuracy  held-out (faces)  load  decode  infer"
            << (detecting(r) ? "  mAP@0.5  held-out  face recall\n" : "\n");
  for (const auto& s : r["sets"]) {
    const bool detect = s["mode"] == "detect";
    const auto& timing = s["timing"];
    char line[256];
    std::snprintf(line, sizeof line, "  %4d  %6d  %6d  %7.2f  %8.0f  %8.3f  %8.3f (%5d)  %4.2f  %6.2f  %5.2f",
                  s["set_size"].get<int>(), s["images"].get<int>(), s["objects"].get<int>(), s["seconds"].get<double>(),
                  s["objects_per_second"].get<double>(), number_or_nan(s["accuracy"]),
                  number_or_nan(s["heldout_accuracy"]), s["heldout_objects"].get<int>(), timing["load_s"].get<double>(),
                  timing[detect ? "read_decode_detect_crop_s" : "read_decode_crop_s"].get<double>(),
                  timing["inference_s"].get<double>());
    std::cout << line;
    if (detect) {
      std::snprintf(line, sizeof line, "  %7.3f  %8.3f  %11.3f", number_or_nan(s["map_50"]),
                    number_or_nan(s["heldout_map_50"]), number_or_nan(s["face_recall"]));
      std::cout << line;
    }
    std::cout << "\n";
    for (const auto& e : s["rejected"])
      std::cout << "        rejected " << e["image"].get<std::string>() << ": " << e["error"].get<std::string>()
                << "\n";
  }
}

void print_detect_eval(const json& r) {
  const auto& faces = r["faces"];
  const auto& dc = r["detect_then_classify"];
  std::cout << "detector " << r["detector"]["id"].get<std::string>() << " on the " << r["split"].get<std::string>()
            << " split (" << r["photos"] << " photos, canvas " << r["detector"]["canvas"] << " px), classifier "
            << r["model"].get<std::string>() << "\n\n"
            << "faces:  AP@0.5 " << optional_fixed(faces["map_50"]) << ", AP@0.5:0.95 "
            << optional_fixed(faces["map_50_95"]) << ", " << fixed(faces["false_positives_per_image"], 2)
            << " false positives a photo at score " << fixed(faces["score_threshold"], 2) << "\n"
            << "  recall at IoU 0.5 by face size (shorter side):";
  for (auto& [band, v] : faces["recall_by_face_size"].items())
    std::cout << " " << band << " " << optional_fixed(v["recall"]) << " (" << v["faces"] << ")";
  std::cout << "\ndetect-then-classify:  mAP@0.5 " << optional_fixed(dc["map_50"]) << ", mAP@0.5:0.95 "
            << optional_fixed(dc["map_50_95"]) << "\n";
  for (auto& [name, c] : dc["per_class"].items())
    std::cout << "  " << name << ": AP@0.5 " << optional_fixed(c["ap_50"]) << " (" << c["truths"] << " faces)\n";
  std::cout << "milliseconds a photo (median): detect " << fixed(r["ms_per_photo"]["detect_median"], 1) << ", classify "
            << fixed(r["ms_per_photo"]["classify_median"], 1) << "\n";
  if (r.contains("close_views"))
    std::cout << "close views: " << r["close_views"]["views"] << ", face found in "
              << fixed(r["close_views"]["found"], 3) << ", " << fixed(r["close_views"]["false_positives_per_view"], 3)
              << " false positives a view\n";
}

}  // namespace mw::cli
