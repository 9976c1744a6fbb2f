// Faces in a photo: FaceBoxes (detect/faceboxes.h) in the plain engine. The
// photo is resized so that its longer side is the canvas side (up for small
// photos, so that faces of a few pixels reach the smallest 32 px anchors;
// down for large ones), placed at the canvas's top left, and each anchor
// read; the faces are what non-maximum suppression keeps, in the photo's
// pixels.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "maskwatch.h"

namespace mw {

struct DetectorOptions {
  int canvas = 1024;       // the canvas side, a multiple of kFaceBoxesStride (128)
  float min_score = 0.5f;  // a face's least probability
  double nms_iou = 0.3;    // boxes overlapping a better one by more than this are dropped (as the original)
  int max_faces = 200;     // at most this many faces a photo, the best first
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
  ~FaceDetector();
  FaceDetector(FaceDetector&&) noexcept;
  FaceDetector& operator=(FaceDetector&&) noexcept;

  // Faces in an 8-bit RGB photo (HxWx3, row-major), best first.
  std::vector<FaceBox> detect(const std::uint8_t* rgb, int width, int height) const;
  const DetectorOptions& options() const;
  // The factor the photo is resized by: canvas / its longer side.
  double scale_for(int width, int height) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mw
