// dlib's face-recognition ResNet ("ResNet-29": 29 convolutions, 150x150 face
// crops, a 128-d descriptor), as face-api ships it in TensorFlow.js format,
// rebuilt in LibTorch with face-api's exact preprocessing and padding rules.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>

#include "model/arch.h"
#include "model/network.h"
#include "model/tfjs_weights.h"

namespace mw {

inline constexpr int kFaceInput = 150;
inline constexpr std::array<float, 3> kFaceMeanRgb = {122.782f, 117.001f, 104.298f};
inline constexpr int kFaceDescriptor = 128;

// conv + bias, then dlib's folded BatchNorm (per-channel scale and shift).
struct FaceConvImpl : torch::nn::Module {
  FaceConvImpl(int64_t in, int64_t out, int64_t k);
  torch::Tensor forward(const torch::Tensor& x, int64_t stride, int64_t pad, bool relu);
  torch::Tensor weight, bias, scale, shift;  // weight OIHW
};
TORCH_MODULE(FaceConv);

// Residual block; `down` blocks use a stride-2 'valid' first convolution and
// an average-pooled shortcut, zero-padded in space and channels to match.
struct FaceResidualImpl : torch::nn::Module {
  FaceResidualImpl(int64_t in, int64_t out, bool down);
  torch::Tensor forward(const torch::Tensor& x);
  FaceConv conv1{nullptr}, conv2{nullptr};
  bool down;
};
TORCH_MODULE(FaceResidual);

struct FaceResNetImpl : torch::nn::Module {
  FaceResNetImpl();
  // x: NCHW float, preprocessed (see face_preprocess). Returns [N,128].
  torch::Tensor forward(const torch::Tensor& x);
  // The 256-d features the descriptor projects: the last block's output averaged over space.
  torch::Tensor features(const torch::Tensor& x);
  // The same as forward, keeping every stage's output by name (NCHW): stem, conv32_3,
  // conv64_3, conv128_2, conv256_2, conv256_down_out, mean, descriptor.
  std::map<std::string, torch::Tensor> forward_stages(const torch::Tensor& x);
  // Copies face-api's weights in (names as in its manifest).
  void load_tfjs(const std::map<std::string, TfjsTensor>& weights);

  FaceConv conv32_down{nullptr};
  std::vector<std::pair<std::string, FaceResidual>> blocks;
  torch::Tensor fc;  // [256,128], descriptor = mean(x) @ fc
};
TORCH_MODULE(FaceResNet);

// The face network as a classifier: pretrained backbone, the 256-d pooled
// features into a new linear head `fc`. Input: square crops, face-api's
// normalisation ((x - mean RGB) / 255), at least kFaceMinInput pixels.
struct FaceClassifierImpl : NetworkImpl {
  explicit FaceClassifierImpl(int64_t classes);
  torch::Tensor forward(torch::Tensor x) override;
  std::vector<std::shared_ptr<torch::nn::Module>> stages() override;
  Normalisation normalisation() const override;
  int min_input_size() const override { return kFaceMinInput; }

  FaceResNet backbone{nullptr};
  torch::nn::Linear fc{nullptr};
};
inline constexpr const char* kFaceApiManifest = "face_recognition_model-weights_manifest.json";
// The folder of face-api's weights (kFaceApiManifest and the .bin it names),
// looked up at run time, first match wins:
//   1. $MASKWATCH_FACE_API_DIR when set (and only it);
//   2. <folder of the executable>/../share/maskwatch/face-api: an installed
//      tree (<prefix>/bin/maskwatch) and build/tests/*;
//   3. <folder of the executable>/share/maskwatch/face-api: build/maskwatch
//      (the build copies the weights there from scripts/setup.sh's npm package).
// Throws mw::Error naming every place looked at when none holds the manifest.
std::string face_api_models_dir();

// face-api's preprocessing of one RGB crop (HxWx3 uint8): zero-pad to a
// centred square, TensorFlow's legacy bilinear resize to 150 (no half-pixel
// offset), subtract the mean RGB, divide by 255. Returns [1,3,150,150].
torch::Tensor face_preprocess(const std::uint8_t* rgb, int width, int height);
// TensorFlow's legacy resize_bilinear (align_corners=false, half_pixel_centers=false), NCHW.
torch::Tensor legacy_resize_bilinear(const torch::Tensor& x, int64_t out_h, int64_t out_w);

}  // namespace mw
