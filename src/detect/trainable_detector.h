// What train-detector needs of a detector network, one implementation per
// architecture, so that one trainer (detect/train_detector.h) fine-tunes both:
//   faceboxes  FaceBoxes as it ships (detect/faceboxes_torch.h): anchors
//              matched to the faces, its multibox loss; strides 32 to 128;
//   centernet  CenterNet (detect/centernet_torch.h) with its class head made
//              one face heatmap (centernet_face_head), its box branch as
//              pretrained; focal and GIoU loss; one map at stride 4.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "detect/train_detector.h"
#include "model/tfjs_weights.h"

namespace mw {

inline constexpr const char* kFaceBoxesArch = "faceboxes";
inline constexpr const char* kCenterNetArch = "centernet";

class TrainableDetector {
 public:
  virtual ~TrainableDetector() = default;
  virtual torch::nn::Module& module() = 0;
  // The loss of canvases of side `side` (make_training_canvas's) and their faces.
  virtual torch::Tensor loss(const std::vector<TrainingCanvas>& canvases, int side) = 0;
  // The tensors under the graph's names, as the plain engine reads them (FaceDetector).
  virtual std::map<std::string, TfjsTensor> export_weights() const = 0;
  // The parameters that train at --head-lr-scale times the rate: those that
  // learn a new task (CenterNet's decoder and heads); none for FaceBoxes.
  virtual std::vector<torch::Tensor> head_parameters() { return {}; }
  // The SHA-256 of the pretrained weights it started from.
  const std::string& base_sha256() const { return base_sha256_; }

 protected:
  std::string base_sha256_;
};

// What a canvas side must be a multiple of for `arch`; throws naming the
// flag and the architectures for any other name.
int detector_stride(const std::string& arch);

// The pretrained network of `arch`, from `dir` ("" for the bundled one:
// faceboxes_dir(), centernet_dir()); `seed` draws what is new (the face head).
std::unique_ptr<TrainableDetector> pretrained_detector(const std::string& arch, const std::string& dir,
                                                       std::uint64_t seed);

}  // namespace mw
