#include "detect/detector.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/paths.h"
#include "detect/box_math.h"
#include "detect/faceboxes.h"
#include "infer/fast_conv.h"
#include "infer/plain_ops.h"

namespace mw {

std::string faceboxes_dir() {
  return find_share_dir("share/maskwatch/human-models", kFaceBoxesGraph, "MASKWATCH_DETECTOR_DIR",
                        "face detector weights");
}

struct FaceDetector::Impl {
  DetectorOptions options;
  PlainNet net;
  std::vector<FaceBoxesAnchor> anchors;
};

namespace {
void check_options(const DetectorOptions& options) {
  if (options.canvas <= 0 || options.canvas % kFaceBoxesStride != 0)
    throw Error("detector canvas",
                std::to_string(options.canvas) + " is not a positive multiple of " + std::to_string(kFaceBoxesStride));
  if (!(options.min_score >= 0.f && options.min_score <= 1.f))
    throw Error("detector min score", std::to_string(options.min_score) + " is outside 0..1");
}
}  // namespace

FaceDetector::FaceDetector(const std::string& weights_dir, const DetectorOptions& options)
    : impl_(std::make_unique<Impl>()) {
  check_options(options);
  impl_->net = load_faceboxes(weights_dir, options.canvas);
  prepare(options);
}

FaceDetector::FaceDetector(const std::map<std::string, TfjsTensor>& weights, const DetectorOptions& options)
    : impl_(std::make_unique<Impl>()) {
  check_options(options);
  impl_->net = faceboxes_from_tfjs(weights, options.canvas);
  prepare(options);
}

void FaceDetector::prepare(const DetectorOptions& options) {
  impl_->options = options;
  const Precision p = choose_precision(impl_->net, options.precision);
  if (p != Precision::fp32) impl_->net.set_precision(p);
  impl_->anchors = faceboxes_anchors(options.canvas);
}

FaceDetector::~FaceDetector() = default;
FaceDetector::FaceDetector(FaceDetector&&) noexcept = default;
FaceDetector& FaceDetector::operator=(FaceDetector&&) noexcept = default;

const DetectorOptions& FaceDetector::options() const { return impl_->options; }

double FaceDetector::scale_for(int width, int height) const {
  return static_cast<double>(impl_->options.canvas) / std::max(width, height);
}

std::vector<FaceBox> FaceDetector::detect(const std::uint8_t* rgb, int width, int height) const {
  if (width <= 0 || height <= 0) throw Error("detect", "empty photo");
  const auto& opt = impl_->options;
  const double scale = scale_for(width, height);
  const int w = std::clamp(static_cast<int>(std::lround(width * scale)), 1, opt.canvas);
  const int h = std::clamp(static_cast<int>(std::lround(height * scale)), 1, opt.canvas);
  cv::Mat canvas(opt.canvas, opt.canvas, CV_8UC3, cv::Scalar::all(0));
  const cv::Mat photo(height, width, CV_8UC3, const_cast<std::uint8_t*>(rgb));
  cv::resize(photo, canvas(cv::Rect(0, 0, w, h)), cv::Size(w, h), 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  const auto& act = impl_->net.forward(canvas.data, 1);
  const auto found = faceboxes_decode(impl_->net, act, 0, impl_->anchors, opt.min_score);
  std::vector<Box> boxes;
  std::vector<float> scores;
  const float to_photo = static_cast<float>(opt.canvas / scale);
  for (const auto& f : found) {
    const auto& b = f.box;  // ymin, xmin, ymax, xmax in [0, 1] of the canvas
    boxes.push_back({std::min(b[1] * to_photo, float(width)), std::min(b[0] * to_photo, float(height)),
                     std::min(b[3] * to_photo, float(width)), std::min(b[2] * to_photo, float(height))});
    scores.push_back(f.score);
  }
  std::vector<FaceBox> out;
  for (std::size_t i :
       non_max_suppression(boxes, scores, opt.nms_iou, static_cast<std::size_t>(std::max(opt.max_faces, 0))))
    if (boxes[i].width() > 0 && boxes[i].height() > 0) out.push_back({boxes[i], scores[i]});
  return out;
}

}  // namespace mw
