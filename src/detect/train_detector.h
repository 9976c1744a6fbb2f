// Fine-tuning a face detector on the store's training split (maskwatch
// train-detector): FaceBoxes or CenterNet (detect/trainable_detector.h).
//   data      the TRAIN split's photos and boxes; each step, per photo: with
//             chance zoom_chance a zoomed-in view of one of its faces instead
//             (a close photo), then a random scale (its longer side between
//             min_scale and max_scale times the inference canvas, the size the
//             detector sees it at), a random crop of crop x crop px (zeros past
//             the photo), the boxes whose centre is inside it (clipped), a
//             horizontal flip, brightness and contrast jitter. Every draw
//             comes from Rng::derive(seed, epoch, position), so an epoch is the
//             same whether or not the run was resumed.
//   loss      the architecture's: FaceBoxes' anchors matched at IoU 0.35 and
//             its multibox loss; CenterNet's heatmap focal loss and GIoU;
//   epochs    validated on the VAL split's photos with the plain engine at the
//             inference canvas (face AP@0.5, detect/detection_metrics.h);
//             checkpointed to runs/<run>/checkpoint.pt (weights, optimiser,
//             state) after each; the best epoch's tensors in runs/<run>/best.*;
//             at the end the best epoch is published (detect/detector_artifact.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.h"
#include "detect/faceboxes.h"
#include "maskwatch.h"

namespace cv {
class Mat;
}

namespace mw {

inline const std::string kLatestDetectorRunKey = "runs/latest-detector";

// One training canvas: crop x crop x 3 RGB bytes and its boxes in its pixels.
struct TrainingCanvas {
  std::vector<std::uint8_t> rgb;
  std::vector<Box> boxes;
};
// A zoomed-in view (as a close photo: one face of at least kZoomMinFace px
// making kZoomMinShare..kZoomMaxShare of a frame of its real surroundings,
// detect/close_views.h) is drawn with chance zoom_chance, then treated as the photo.
inline constexpr float kZoomMinFace = 32.f;
inline constexpr float kZoomMinShare = 0.3f, kZoomMaxShare = 0.8f;
struct CanvasAugment {
  int crop = 512;
  int canvas = 1024;  // the photo's longer side is drawn between min and max times this
  double min_scale = 0.6, max_scale = 1.6;
  bool flip = true;
  double brightness = 24, contrast = 0.25;  // +- pixel levels, +- fraction
  double zoom_chance = 0;
};
TrainingCanvas make_training_canvas(const cv::Mat& rgb, const std::vector<Box>& boxes, const CanvasAugment& aug,
                                    Rng& rng);

// Per anchor: 1 face, 0 background, -1 ignored; and 4 codes (ty, tx, th, tw),
// zero unless a face. Boxes in pixels of a canvas of side `side`; boxes under
// a pixel wide or high are left out.
struct AnchorTargets {
  std::vector<std::int64_t> labels;
  std::vector<float> codes;
};
inline constexpr double kMatchIou = 0.35;
AnchorTargets faceboxes_targets(const std::vector<FaceBoxesAnchor>& anchors, const std::vector<Box>& boxes, int side);

// Trains, publishes the best epoch; returns the detector's metadata (with "id").
json train_detector(const DetectorTrainOptions& opt, const Reporter& rep = {});

}  // namespace mw
