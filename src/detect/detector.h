// Faces in a photo, in the plain engine, by one of two networks:
//   FaceBoxes (detect/faceboxes.h): each anchor read (strides 32 to 128);
//   CenterNet with a face heatmap (detect/centernet.h, fine-tuned by
//   train-detector --arch centernet): the heatmap's peaks at stride 4.
// The photo is resized so that its longer side is the canvas side (up for
// small photos, so that faces of a few pixels reach the network's finest
// level; down for large ones), placed at the canvas's top left; the faces are
// what non-maximum suppression keeps, in the photo's pixels.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "maskwatch.h"
#include "model/tfjs_weights.h"

namespace mw {

struct Activation;

inline constexpr int kFaceBoxesCanvas = 1024;  // FaceBoxes' own canvas
inline constexpr int kCenterNetCanvas = 640;   // CenterNet's, when its artifact names none

struct DetectorOptions {
  int canvas = 0;                  // the canvas side, a multiple of the network's stride (FaceBoxes 128,
                                   // CenterNet 32); 0: the detector's own (the canvas it was validated at)
  float min_score = 0.5f;          // a face's least probability
  double nms_iou = 0.3;            // boxes overlapping a better one by more than this are dropped (as the original)
  int max_faces = 200;             // at most this many faces a photo, the best first
  std::string precision = "auto";  // "fp32", "bf16", "int8" or "auto" (infer/plain_net.h): the pretrained
                                   // network has no int8 calibration, so auto is fp32
};

struct FaceBox {
  Box box;  // in the photo's pixels, clipped to it
  float score = 0;
};

// The folder of FaceBoxes' weights (faceboxes.json and .bin), first match:
// $MASKWATCH_DETECTOR_DIR; <exe>/../share/maskwatch/human-models;
// <exe>/share/maskwatch/human-models (core/paths.h find_share_dir()).
std::string faceboxes_dir();

class FaceDetector {
 public:
  explicit FaceDetector(const std::string& weights_dir, const DetectorOptions& options = {});
  // From the graph's tensors by name (a fine-tuned detector: detect/detector_artifact.h).
  explicit FaceDetector(const std::map<std::string, TfjsTensor>& weights, const DetectorOptions& options = {});
  ~FaceDetector();
  FaceDetector(FaceDetector&&) noexcept;
  FaceDetector& operator=(FaceDetector&&) noexcept;

  // Faces in an 8-bit RGB photo (HxWx3, row-major), best first.
  std::vector<FaceBox> detect(const std::uint8_t* rgb, int width, int height) const;
  const DetectorOptions& options() const;  // the canvas resolved
  const char* arch() const;                // "faceboxes" or "centernet"
  // The factor the photo is resized by: canvas / its longer side.
  double scale_for(int width, int height) const;

 private:
  void prepare(const DetectorOptions& options);  // precision and anchors, once the network is built
  std::vector<FaceBox> decode(const std::vector<Activation>& maps, double scale, int width, int height) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mw
