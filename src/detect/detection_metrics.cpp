#include "detect/detection_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <limits>
#include <map>

#include "core/svg_chart.h"
#include "detect/box_math.h"
#include "detect/face_size.h"

namespace mw {

namespace {

constexpr const char* kWhere = "src/detect/detection_metrics";
constexpr int kAnyLabel = -1;  // class-agnostic matching
constexpr float kEveryScore = -std::numeric_limits<float>::infinity();

enum class Outcome { kTruePositive, kFalsePositive, kIgnored };

// A detection after matching, in the global order of its class.
struct Scored {
  float score;
  Outcome outcome;
};

// Indices of an image's detections of `label` (any with kAnyLabel) scored at
// least `min_score`, by score, highest first (equal scores: detection order).
std::vector<std::size_t> ranked_detections(const ImageDetections& image, int label, float min_score) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < image.detections.size(); ++i) {
    const auto& d = image.detections[i];
    if ((label == kAnyLabel || d.label == label) && d.score >= min_score) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return image.detections[a].score > image.detections[b].score; });
  return order;
}

// The ground truth of `label` with the highest IoU with `box` (lower index on
// ties), matched or not; -1 when there is none of that label.
int best_truth(const ImageDetections& image, int label, const Box& box, double& best_iou) {
  int best = -1;
  best_iou = -1;
  for (std::size_t t = 0; t < image.truths.size(); ++t) {
    if (label != kAnyLabel && image.truths[t].label != label) continue;
    const double o = iou(box, image.truths[t].box);
    if (o > best_iou) best_iou = o, best = static_cast<int>(t);
  }
  return best;
}

// VOC's rule for one detection; marks the ground truth it matches in `found`.
Outcome match_one(const ImageDetections& image, int label, const Box& box, double threshold, std::vector<bool>& found) {
  double o = 0;
  const int t = best_truth(image, label, box, o);
  if (t < 0 || o < threshold) return Outcome::kFalsePositive;
  if (image.truths[t].difficult) return Outcome::kIgnored;
  if (found[t]) return Outcome::kFalsePositive;  // a duplicate
  found[t] = true;
  return Outcome::kTruePositive;
}

// One image's detections of `label`, matched in score order. The matching
// within an image only depends on that order, so doing it image by image
// gives the devkit's result for its global order.
std::vector<Scored> match_image(const ImageDetections& image, int label, double threshold, float min_score,
                                std::vector<bool>& found) {
  found.assign(image.truths.size(), false);
  std::vector<Scored> out;
  for (std::size_t i : ranked_detections(image, label, min_score))
    out.push_back({image.detections[i].score, match_one(image, label, image.detections[i].box, threshold, found)});
  return out;
}

long count_truths(const std::vector<ImageDetections>& images, int label) {
  long n = 0;
  for (const auto& image : images)
    for (const auto& t : image.truths) n += (t.label == label && !t.difficult);
  return n;
}

// The class's matched detections over all images by score (equal scores:
// image order, then each image's order).
std::vector<Scored> match_class(const std::vector<ImageDetections>& images, int label, double threshold) {
  std::vector<Scored> all;
  std::vector<bool> found;
  for (const auto& image : images) {
    const auto matched = match_image(image, label, threshold, kEveryScore, found);
    all.insert(all.end(), matched.begin(), matched.end());
  }
  std::stable_sort(all.begin(), all.end(), [](const Scored& a, const Scored& b) { return a.score > b.score; });
  return all;
}

// The precision-recall points, counting true and false positives into `ap`.
void fill_curve(const std::vector<Scored>& matched, ClassAp& ap) {
  for (const auto& m : matched) {
    if (m.outcome == Outcome::kIgnored) continue;
    (m.outcome == Outcome::kTruePositive ? ap.true_positives : ap.false_positives)++;
    if (ap.truths == 0) continue;
    const double tp = ap.true_positives, fp = ap.false_positives;
    ap.curve.push_back({tp / ap.truths, tp / (tp + fp), m.score});
  }
}

void check_inputs(const std::vector<ImageDetections>& images, std::size_t classes) {
  const auto where = [](std::size_t image, const char* what, std::size_t i) {
    return std::string(kWhere) + ": image " + std::to_string(image) + ", " + what + " " + std::to_string(i);
  };
  const auto bad_label = [&](int label) { return label < 0 || static_cast<std::size_t>(label) >= classes; };
  for (std::size_t n = 0; n < images.size(); ++n) {
    for (std::size_t i = 0; i < images[n].truths.size(); ++i)
      if (bad_label(images[n].truths[i].label))
        throw Error(where(n, "ground truth", i), "label " + std::to_string(images[n].truths[i].label) +
                                                     " is not one of the " + std::to_string(classes) + " classes");
    for (std::size_t i = 0; i < images[n].detections.size(); ++i) {
      const auto& d = images[n].detections[i];
      if (bad_label(d.label))
        throw Error(where(n, "detection", i),
                    "label " + std::to_string(d.label) + " is not one of the " + std::to_string(classes) + " classes");
      if (std::isnan(d.score)) throw Error(where(n, "detection", i), "score is not a number");
    }
  }
}

// Mean AP over the classes that have one; none when no class has.
std::optional<double> mean_ap(const std::vector<ClassAp>& classes) {
  double sum = 0;
  int n = 0;
  for (const auto& c : classes)
    if (c.ap) sum += *c.ap, ++n;
  if (n == 0) return std::nullopt;
  return sum / n;
}

std::vector<ClassAp> evaluate_classes(const std::vector<ImageDetections>& images, const std::vector<std::string>& names,
                                      double threshold) {
  std::vector<ClassAp> out;
  for (std::size_t k = 0; k < names.size(); ++k) {
    out.push_back(evaluate_class(images, static_cast<int>(k), threshold));
    out.back().name = names[k];
  }
  return out;
}

// COCO's average: the mean AP at 0.50, 0.55, ..., 0.95, averaged.
std::optional<double> map_over_thresholds(const std::vector<ImageDetections>& images,
                                          const std::vector<std::string>& names) {
  double sum = 0;
  for (int i = 0; i < kCocoIouCount; ++i) {
    const auto m = mean_ap(evaluate_classes(images, names, kCocoIouFirst + kCocoIouStep * i));
    if (!m) return std::nullopt;
    sum += *m;
  }
  return sum / kCocoIouCount;
}

// Class-agnostic matching at IoU 0.5 of the detections at or above the
// operating point: recall by face size and false positives per image.
void fill_operating_point(const std::vector<ImageDetections>& images, DetectionEval& eval) {
  std::map<std::string, BandRecall> bands;
  for (const char* band : kFineFaceSizeBands) bands[band].band = band;
  long false_positives = 0;
  std::vector<bool> found;
  for (const auto& image : images) {
    for (const auto& m : match_image(image, kAnyLabel, kVocIou, eval.score_threshold, found))
      false_positives += m.outcome == Outcome::kFalsePositive;
    for (std::size_t t = 0; t < image.truths.size(); ++t) {
      if (image.truths[t].difficult) continue;
      auto& b = bands[fine_face_size_band(shorter_side(image.truths[t].box))];
      ++b.faces, b.found += found[t];
    }
  }
  for (const char* band : kFineFaceSizeBands) {
    auto& b = bands[band];
    if (b.faces > 0) b.recall = double(b.found) / b.faces;
    eval.recall_by_size.push_back(b);
  }
  if (!images.empty()) eval.false_positives_per_image = double(false_positives) / images.size();
}

json optional_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json class_json(const ClassAp& c) {
  json recall = json::array(), precision = json::array(), score = json::array();
  for (const auto& p : c.curve) recall.push_back(p.recall), precision.push_back(p.precision), score.push_back(p.score);
  return {{"ap_50", optional_json(c.ap)},
          {"truths", c.truths},
          {"detections", c.detections},
          {"true_positives", c.true_positives},
          {"false_positives", c.false_positives},
          {"pr_curve", {{"recall", recall}, {"precision", precision}, {"score", score}}}};
}

}  // namespace

double voc_average_precision(const std::vector<PrPoint>& curve) {
  std::vector<double> rec{0}, prec{0};
  for (const auto& p : curve) rec.push_back(p.recall), prec.push_back(p.precision);
  rec.push_back(1), prec.push_back(0);
  for (std::size_t i = prec.size() - 1; i-- > 0;) prec[i] = std::max(prec[i], prec[i + 1]);
  double ap = 0;
  for (std::size_t i = 1; i < rec.size(); ++i)
    if (rec[i] != rec[i - 1]) ap += (rec[i] - rec[i - 1]) * prec[i];
  return ap;
}

ClassAp evaluate_class(const std::vector<ImageDetections>& images, int label, double iou_threshold) {
  ClassAp out;
  out.name = std::to_string(label);
  out.truths = count_truths(images, label);
  const auto matched = match_class(images, label, iou_threshold);
  out.detections = static_cast<long>(matched.size());
  fill_curve(matched, out);
  if (out.truths > 0) out.ap = voc_average_precision(out.curve);
  return out;
}

DetectionEval evaluate_detections(const std::vector<ImageDetections>& images, const DetectionEvalOptions& options) {
  check_inputs(images, options.classes.size());
  DetectionEval eval;
  eval.images = static_cast<long>(images.size());
  eval.classes = evaluate_classes(images, options.classes, kVocIou);
  eval.map_50 = mean_ap(eval.classes);
  eval.map_50_95 = map_over_thresholds(images, options.classes);
  eval.score_threshold = options.score_threshold;
  fill_operating_point(images, eval);
  return eval;
}

json to_json(const DetectionEval& eval) {
  json per_class = json::object(), bands = json::object();
  for (const auto& c : eval.classes) per_class[c.name] = class_json(c);
  for (const auto& b : eval.recall_by_size)
    bands[b.band] = {{"faces", b.faces}, {"found", b.found}, {"recall", optional_json(b.recall)}};
  return {{"images", eval.images},
          {"map_50", optional_json(eval.map_50)},
          {"map_50_95", optional_json(eval.map_50_95)},
          {"per_class", per_class},
          {"score_threshold", eval.score_threshold},
          {"recall_by_face_size", bands},
          {"false_positives_per_image", eval.false_positives_per_image}};
}

std::string plot_pr_curves_svg(const DetectionEval& eval) {
  static const char* const kColours[] = {"#4a7bd0", "#d04a4a", "#3a9a4a", "#c08a20", "#8a4ac0", "#20a0a0"};
  constexpr double kLegendRight = 150, kLegendTop = 58, kLegendLine = 16;
  SvgChart chart("precision-recall at IoU 0.5", "recall", "precision", 1, 1);
  int drawn = 0;
  for (const auto& c : eval.classes) {
    if (!c.ap) continue;
    const char* colour = kColours[drawn % std::size(kColours)];
    std::vector<std::pair<double, double>> points{{0, c.curve.empty() ? 0 : c.curve.front().precision}};
    for (const auto& p : c.curve) points.emplace_back(p.recall, p.precision);
    chart.add(chart.path(points, colour));
    char ap[16];
    std::snprintf(ap, sizeof ap, "%.3f", *c.ap);
    chart.add(chart.text(chart.x(chart.x_max()) - kLegendRight, kLegendTop + kLegendLine * drawn, c.name + ": AP " + ap,
                         colour));
    ++drawn;
  }
  return chart.svg();
}

}  // namespace mw
