#include "detect/detector.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/paths.h"
#include "detect/box_math.h"
#include "detect/centernet.h"
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
  bool centernet = false;
  PlainNet net;
  std::vector<FaceBoxesAnchor> anchors;  // FaceBoxes'
};

namespace {

// The options with the canvas resolved (0: `own`), checked against the network's stride.
DetectorOptions checked(DetectorOptions options, int own, int stride) {
  if (options.canvas == 0) options.canvas = own;
  if (options.canvas <= 0 || options.canvas % stride != 0)
    throw Error("detector canvas",
                std::to_string(options.canvas) + " is not a positive multiple of " + std::to_string(stride));
  if (!(options.min_score >= 0.f && options.min_score <= 1.f))
    throw Error("detector min score", std::to_string(options.min_score) + " is outside 0..1");
  return options;
}

}  // namespace

FaceDetector::FaceDetector(const std::string& weights_dir, const DetectorOptions& options)
    : impl_(std::make_unique<Impl>()) {
  const DetectorOptions o = checked(options, kFaceBoxesCanvas, kFaceBoxesStride);
  impl_->net = load_faceboxes(weights_dir, o.canvas);
  prepare(o);
}

FaceDetector::FaceDetector(const std::map<std::string, TfjsTensor>& weights, const DetectorOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->centernet = is_centernet(weights);
  if (impl_->centernet) {
    if (const int classes = centernet_classes(weights); classes != 1)
      throw Error("centernet weights",
                  "a class head of " + std::to_string(classes) +
                      " classes is not a face detector (train-detector --arch centernet makes one)");
    const DetectorOptions o = checked(options, kCenterNetCanvas, kCenterNetStride);
    impl_->net = centernet_from_tfjs(weights, o.canvas).net;
    prepare(o);
  } else {
    const DetectorOptions o = checked(options, kFaceBoxesCanvas, kFaceBoxesStride);
    impl_->net = faceboxes_from_tfjs(weights, o.canvas);
    prepare(o);
  }
}

void FaceDetector::prepare(const DetectorOptions& options) {
  impl_->options = options;
  const Precision p = choose_precision(impl_->net, options.precision);
  if (p != Precision::fp32) impl_->net.set_precision(p);
  if (!impl_->centernet) impl_->anchors = faceboxes_anchors(options.canvas);
}

FaceDetector::~FaceDetector() = default;
FaceDetector::FaceDetector(FaceDetector&&) noexcept = default;
FaceDetector& FaceDetector::operator=(FaceDetector&&) noexcept = default;

const DetectorOptions& FaceDetector::options() const { return impl_->options; }

const char* FaceDetector::arch() const { return impl_->centernet ? "centernet" : "faceboxes"; }

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
  return decode(impl_->net.forward(canvas.data, 1), scale, width, height);
}

// The network's maps as faces in the photo's pixels (resized by `scale`), after non-maximum suppression.
std::vector<FaceBox> FaceDetector::decode(const std::vector<Activation>& maps, double scale, int width,
                                          int height) const {
  const auto& opt = impl_->options;
  const float w = float(width), h = float(height), to_photo = float(1 / scale);
  std::vector<Box> boxes;
  std::vector<float> scores;
  if (impl_->centernet) {
    const auto& net = impl_->net;
    for (const auto& p : centernet_decode(maps[std::size_t(net.outputs[0])], maps[std::size_t(net.outputs[1])], 0,
                                          opt.max_faces, opt.min_score)) {
      const auto& b = p.box;  // x0, y0, x1, y1 in canvas pixels
      boxes.push_back({std::clamp(b[0] * to_photo, 0.f, w), std::clamp(b[1] * to_photo, 0.f, h),
                       std::clamp(b[2] * to_photo, 0.f, w), std::clamp(b[3] * to_photo, 0.f, h)});
      scores.push_back(p.score);
    }
  } else {
    const float canvas_to_photo = static_cast<float>(opt.canvas / scale);
    for (const auto& f : faceboxes_decode(impl_->net, maps, 0, impl_->anchors, opt.min_score)) {
      const auto& b = f.box;  // ymin, xmin, ymax, xmax in [0, 1] of the canvas
      boxes.push_back({std::min(b[1] * canvas_to_photo, w), std::min(b[0] * canvas_to_photo, h),
                       std::min(b[3] * canvas_to_photo, w), std::min(b[2] * canvas_to_photo, h)});
      scores.push_back(f.score);
    }
  }
  std::vector<FaceBox> out;
  for (std::size_t i :
       non_max_suppression(boxes, scores, opt.nms_iou, static_cast<std::size_t>(std::max(opt.max_faces, 0))))
    if (boxes[i].width() > 0 && boxes[i].height() > 0) out.push_back({boxes[i], scores[i]});
  return out;
}

}  // namespace mw
