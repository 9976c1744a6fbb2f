#include "detect/evaluate_detect.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/paths.h"
#include "data/dataset.h"
#include "data/split.h"
#include "detect/close_views.h"
#include "detect/detection_metrics.h"
#include "detect/detector_artifact.h"
#include "store/object_store.h"

namespace mw {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint64_t kCloseViewSeed = 20261207;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// One photo's faces for both scorings, and what they cost.
struct PhotoResult {
  ImageDetections faces, classes;
  double detect_ms = 0, classify_ms = 0;
};

PhotoResult run_photo(const FaceDetector& detector, const Classifier& clf, const ImageRecord& rec, const cv::Mat& rgb) {
  PhotoResult r;
  auto t = Clock::now();
  const auto found = detector.detect(rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows);
  r.detect_ms = ms_since(t);
  r.faces = face_detections(rec.boxes, found);
  std::vector<Box> boxes;
  for (const auto& f : found) boxes.push_back(f.box);
  t = Clock::now();
  const auto preds =
      boxes.empty() ? std::vector<Face>{} : clf.classify_rgb(rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows, boxes);
  r.classify_ms = ms_since(t);
  r.classes = class_detections(rec.boxes, rec.labels, found, preds.data());
  return r;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

ImageDetections face_detections(const std::vector<Box>& truths, const std::vector<FaceBox>& found) {
  ImageDetections im;
  for (const auto& b : truths) im.truths.push_back({b, 0, false});
  for (const auto& f : found) im.detections.push_back({f.box, 0, f.score});
  return im;
}

ImageDetections class_detections(const std::vector<Box>& truths, const std::vector<int>& labels,
                                 const std::vector<FaceBox>& found, const Face* preds) {
  ImageDetections im;
  for (std::size_t i = 0; i < truths.size(); ++i) im.truths.push_back({truths[i], labels[i], false});
  for (std::size_t i = 0; i < found.size(); ++i)
    for (std::size_t c = 0; c < preds[i].scores.size(); ++c)
      im.detections.push_back({found[i].box, static_cast<int>(c), found[i].score * preds[i].scores[c]});
  return im;
}

json evaluate_detection(const DetectEvaluateOptions& opt, const Reporter& rep) {
  const int split = split_index(opt.split);
  auto store = open_store(opt.store);
  const auto index = load_index(*store);
  const auto manifest = SplitManifest::from_json(json::parse(store->get(kManifestKey)));
  Classifier clf(opt.store, opt.model, opt.threads);
  DetectorOptions det = opt.detector;
  det.min_score = kEvalMinScore;
  std::string detector_name;
  const FaceDetector detector = open_detector(*store, opt.detector_id, det, detector_name);

  std::vector<ImageDetections> faces, classes;
  std::vector<double> detect_ms, classify_ms;
  CloseViewScore close;
  long done = 0, total = static_cast<long>(manifest.stems[split].size());
  for (const auto& rec : index.images) {
    if (manifest.split_of(rec.stem) != split) continue;
    const cv::Mat rgb = decode_rgb(read_verified(*store, rec.image), rec.image.key);
    auto r = run_photo(detector, clf, rec, rgb);
    faces.push_back(std::move(r.faces));
    classes.push_back(std::move(r.classes));
    detect_ms.push_back(r.detect_ms), classify_ms.push_back(r.classify_ms);
    if (opt.close_views) {
      Rng rng = Rng::derive(kCloseViewSeed, std::uint64_t(done));
      for (const auto& view : close_views(rgb, rec.boxes, rng)) {
        auto found = detector.detect(view.rgb.ptr<std::uint8_t>(), view.rgb.cols, view.rgb.rows);
        found.erase(std::remove_if(found.begin(), found.end(),
                                   [&](const FaceBox& f) { return f.score < opt.detector.min_score; }),
                    found.end());
        close.add(view, found);
      }
    }
    rep.tick("detect", ++done, total);
  }
  DetectionEvalOptions by_class;  // the classifier's three classes
  by_class.score_threshold = opt.detector.min_score;
  const DetectionEval face_eval = evaluate_detections(faces, {{"face"}, opt.detector.min_score});
  const DetectionEval class_eval = evaluate_detections(classes, by_class);
  if (!opt.plot.empty()) write_file_atomic(opt.plot, plot_pr_curves_svg(class_eval));
  json out = {{"model", clf.metadata().at("id")},
              {"split", opt.split},
              {"photos", faces.size()},
              {"detector",
               {{"id", detector_name},
                {"arch", detector.arch()},
                {"canvas", detector.options().canvas},
                {"min_score", opt.detector.min_score},
                {"nms_iou", det.nms_iou}}},
              {"faces", to_json(face_eval)},
              {"detect_then_classify", to_json(class_eval)},
              {"ms_per_photo", {{"detect_median", median(detect_ms)}, {"classify_median", median(classify_ms)}}}};
  if (opt.close_views) out["close_views"] = close.to_json();
  return out;
}

}  // namespace mw
