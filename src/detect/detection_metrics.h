// Detection metrics as Pascal VOC's development kit (VOC2010 and later)
// computes them, plus COCO's average over IoU thresholds, face recall by size
// and false positives per image.
//
// Matching (one class, one IoU threshold): the detections of the class, over
// all images, are taken by score, highest first; equal scores in image order,
// then in the order of the image's detections. Each one is compared with every
// ground truth of its class in its image and takes the one with the highest
// IoU (equal IoUs: the lower index), matched already or not, as the devkit
// does. IoU >= threshold: a difficult ground truth makes the detection
// ignored (neither true nor false positive); a ground truth not matched yet
// makes it a true positive (and the ground truth matched); one matched already
// makes it a duplicate, a false positive. IoU below the threshold (or no
// ground truth): false positive. Recall counts the ground truths that are not
// difficult. IoU is on [xmin, xmax) boxes (the devkit's +1 pixel is not added).
//
// AP is the area under the precision envelope (precision made monotone from
// the right) over recall, every point counted (no 11-point sampling). A class
// without a ground truth that is not difficult has no AP: VOC's recall is 0/0
// there, and the mean leaves the class out (as COCO does too). A class with
// ground truths but no detections has AP 0.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "maskwatch.h"

namespace mw {

struct GroundTruth {
  Box box;
  int label = 0;
  bool difficult = false;
};

struct Detection {
  Box box;
  int label = 0;
  float score = 0;
};

// One image: its ground truths and the detector's output.
struct ImageDetections {
  std::vector<GroundTruth> truths;
  std::vector<Detection> detections;
};

// A point of a precision-recall curve: after the detections down to `score`.
struct PrPoint {
  double recall = 0, precision = 0;
  float score = 0;
};

// One class at one IoU threshold.
struct ClassAp {
  std::string name;
  long truths = 0;      // ground truths that are not difficult
  long detections = 0;  // all of the class's detections
  long true_positives = 0;
  long false_positives = 0;
  std::optional<double> ap;    // none when truths == 0
  std::vector<PrPoint> curve;  // one point per detection not ignored, by score; empty when truths == 0
};

// Faces (any class) in one size band (detect/face_size.h).
struct BandRecall {
  std::string band;
  long faces = 0;  // not difficult
  long found = 0;
  std::optional<double> recall;  // none when faces == 0
};

inline constexpr double kVocIou = 0.5;
inline constexpr double kCocoIouFirst = 0.5, kCocoIouStep = 0.05;
inline constexpr int kCocoIouCount = 10;  // 0.50, 0.55, ..., 0.95

struct DetectionEvalOptions {
  std::vector<std::string> classes{mw::class_names().begin(), mw::class_names().end()};  // label k: classes[k]
  // The operating point for face recall by size and false positives per image:
  // only detections scored at or above it count there.
  float score_threshold = 0.5f;
};

struct DetectionEval {
  long images = 0;
  std::vector<ClassAp> classes;            // at IoU 0.5, one per option class
  std::optional<double> map_50;            // mean AP over classes with ground truths
  std::optional<double> map_50_95;         // mean over the 10 thresholds of that mean
  float score_threshold = 0;               // the operating point of the next two
  std::vector<BandRecall> recall_by_size;  // class-agnostic, IoU 0.5, kFineFaceSizeBands' order
  double false_positives_per_image = 0;    // class-agnostic, IoU 0.5
};

// The curve and AP of one class (labels are indices into the classes); its
// name is the label's number (evaluate_detections puts the class's name).
ClassAp evaluate_class(const std::vector<ImageDetections>& images, int label, double iou_threshold);

// All-point interpolated AP of a curve whose points are in detection order.
double voc_average_precision(const std::vector<PrPoint>& curve);

// Everything above; throws mw::Error naming the image and box for a label
// outside the classes or a score that is not a number.
DetectionEval evaluate_detections(const std::vector<ImageDetections>& images, const DetectionEvalOptions& options = {});

// {"images", "map_50", "map_50_95", "per_class": {name: {"ap_50", "truths", "detections",
// "true_positives", "false_positives", "pr_curve": {"recall", "precision", "score"}}},
// "score_threshold", "recall_by_face_size": {band: {"faces", "found", "recall"}},
// "false_positives_per_image"}; a missing AP, mean or recall is null.
json to_json(const DetectionEval& eval);

// The precision-recall curves at IoU 0.5 as standalone SVG: one path per class
// with ground truths, its AP in the legend.
std::string plot_pr_curves_svg(const DetectionEval& eval);

}  // namespace mw
