// `maskwatch evaluate --detect`: the face detector and detect-then-classify
// on the photos of one split, scored against the dataset's boxes with
// Pascal VOC's rules (detect/detection_metrics.h).
//   faces     one class: every annotated face, every detection (the
//             detector's score);
//   classes   detect-then-classify: each detected face classified, with one
//             detection per class scored detector score x class probability
//             (as two-stage detectors report), so a face whose label is
//             second-guessed still ranks under the other class.
// With close_views, the detector is also scored at its min_score on close
// views cut from the split's photos (detect/close_views.h), the same views
// every run (seeded by the photo's place in the split).
// The detector runs down to kEvalMinScore so that the precision-recall
// curves are whole; recall by size and false positives per photo are read at
// the detector's min_score.
#pragma once
#include <string>
#include <vector>

#include "detect/detection_metrics.h"
#include "detect/detector.h"
#include "maskwatch.h"

namespace mw {

inline constexpr float kEvalMinScore = 0.05f;

struct DetectEvaluateOptions {
  std::string store = "maskwatch-data";
  std::string model = "latest";  // the classifier
  std::string split = "test";
  std::string detector_id = "latest";  // as open_detector() reads it: an id, "latest" or "pretrained"
  DetectorOptions detector;
  std::string plot;          // when set: the precision-recall curves as SVG
  bool close_views = false;  // also score the detector on close views of the photos (detect/close_views.h)
  int threads = 0;
};

json evaluate_detection(const DetectEvaluateOptions& opt, const Reporter& rep = {});

// One photo scored as faces (one class): its annotated boxes and what the
// detector found. evaluate --detect and train-detector's validation share it.
ImageDetections face_detections(const std::vector<Box>& truths, const std::vector<FaceBox>& found);
// One photo scored as the classes (detect-then-classify): its annotated boxes
// with their labels, and for each found face one detection per class, scored
// face probability x class probability; preds[i] is found[i]'s prediction.
// evaluate --detect and benchmark --detect share it.
ImageDetections class_detections(const std::vector<Box>& truths, const std::vector<int>& labels,
                                 const std::vector<FaceBox>& found, const Face* preds);

}  // namespace mw
