#include "detect/trainable_detector.h"

#include <filesystem>

#include "core/hash.h"
#include "core/paths.h"
#include "core/suggest.h"
#include "detect/centernet.h"
#include "detect/centernet_targets.h"
#include "detect/centernet_torch.h"
#include "detect/detector.h"
#include "detect/faceboxes.h"
#include "detect/faceboxes_torch.h"

namespace mw {

namespace {

const std::vector<std::string> kArchs = {kFaceBoxesArch, kCenterNetArch};

std::string sha256_of_file(const std::string& dir, const std::string& file) {
  return sha256_hex(read_file((std::filesystem::path(dir) / file).string()));
}

// The canvases' pixels back to back (N x S x S x 3).
std::vector<std::uint8_t> pixels_of(const std::vector<TrainingCanvas>& canvases) {
  std::vector<std::uint8_t> pixels;
  for (const auto& c : canvases) pixels.insert(pixels.end(), c.rgb.begin(), c.rgb.end());
  return pixels;
}

class FaceBoxesLearner : public TrainableDetector {
 public:
  explicit FaceBoxesLearner(const std::string& dir) : net_(load_faceboxes_weights(dir)) {
    base_sha256_ = sha256_of_file(dir, "faceboxes.bin");
  }
  torch::nn::Module& module() override { return *net_; }
  std::map<std::string, TfjsTensor> export_weights() const override { return net_->export_weights(); }

  torch::Tensor loss(const std::vector<TrainingCanvas>& canvases, int side) override {
    if (anchors_side_ != side) anchors_ = faceboxes_anchors(side), anchors_side_ = side;
    const auto n = static_cast<int64_t>(canvases.size()), a = static_cast<int64_t>(anchors_.size());
    auto labels = torch::empty({n, a}, torch::kLong);
    auto codes = torch::empty({n, a, 4}, torch::kFloat);
    for (int64_t i = 0; i < n; ++i) {
      const AnchorTargets t = faceboxes_targets(anchors_, canvases[static_cast<std::size_t>(i)].boxes, side);
      std::copy(t.labels.begin(), t.labels.end(), labels[i].data_ptr<int64_t>());
      std::copy(t.codes.begin(), t.codes.end(), codes[i].data_ptr<float>());
    }
    const auto pixels = pixels_of(canvases);
    return faceboxes_loss(net_->forward(faceboxes_input(pixels.data(), static_cast<int>(n), side)), labels, codes)
        .total;
  }

 private:
  FaceBoxesTorch net_;
  std::vector<FaceBoxesAnchor> anchors_;
  int anchors_side_ = 0;
};

class CenterNetLearner : public TrainableDetector {
 public:
  // The U-Net decoder and both heads: the graph's "CenternetHead/" scope.
  static constexpr const char* kDecoderPrefix = "CenternetHead_";

  // Channels-last filters and input: oneDNN's depthwise and 1x1 kernels run
  // 1.2x faster so (bench/centernet_torch_bench), with the same maps.
  CenterNetLearner(const std::string& dir, std::uint64_t seed)
      : net_(centernet_face_head(load_centernet_weights(dir), seed)) {
    base_sha256_ = sha256_of_file(dir, kCenterNetShard);
    torch::NoGradGuard no_grad;
    for (auto& p : net_->parameters())
      if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
  }
  torch::nn::Module& module() override { return *net_; }
  std::map<std::string, TfjsTensor> export_weights() const override { return net_->export_weights(); }
  std::vector<torch::Tensor> head_parameters() override {
    std::vector<torch::Tensor> head;
    for (const auto& p : net_->named_parameters())
      if (p.key().rfind(kDecoderPrefix, 0) == 0) head.push_back(p.value());
    return head;
  }

  torch::Tensor loss(const std::vector<TrainingCanvas>& canvases, int side) override {
    std::vector<CenterNetTargets> targets;
    for (const auto& c : canvases) targets.push_back(centernet_targets(c.boxes, side));
    const auto pixels = pixels_of(canvases);
    const auto input = centernet_input(pixels.data(), static_cast<int>(canvases.size()), side)
                           .contiguous(torch::MemoryFormat::ChannelsLast);
    return centernet_loss(net_->forward(input), targets).total;
  }

 private:
  CenterNetTorch net_;
};

}  // namespace

int detector_stride(const std::string& arch) {
  if (arch == kFaceBoxesArch) return kFaceBoxesStride;
  if (arch == kCenterNetArch) return kCenterNetStride;
  const std::string near = nearest_name(arch, kArchs);
  throw Error("--arch", "'" + arch + "' is not a detector architecture (" + kFaceBoxesArch + " | " + kCenterNetArch +
                            ")" + (near.empty() ? "" : "; did you mean '" + near + "'?"));
}

std::unique_ptr<TrainableDetector> pretrained_detector(const std::string& arch, const std::string& dir,
                                                       std::uint64_t seed) {
  detector_stride(arch);  // a known name
  if (arch == kFaceBoxesArch) return std::make_unique<FaceBoxesLearner>(dir.empty() ? faceboxes_dir() : dir);
  return std::make_unique<CenterNetLearner>(dir.empty() ? centernet_dir() : dir, seed);
}

}  // namespace mw
