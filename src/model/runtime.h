// Crops to tensors and tensors to logits: the one inference path shared by
// training's validation, evaluation and the classifier.
#pragma once
#include <torch/torch.h>

#include <array>
#include <cstdint>

#include "model/resnet.h"

namespace mw {

// ImageNet normalisation, as torchvision's pretrained ResNets expect.
inline constexpr std::array<float, 3> kMean = {0.485f, 0.456f, 0.406f};
inline constexpr std::array<float, 3> kStd = {0.229f, 0.224f, 0.225f};
inline constexpr int kInferBatch = 64;

// n 8-bit RGB HWC crops of side `size` -> normalised float NCHW tensor.
torch::Tensor crops_to_tensor(const std::uint8_t* crops, std::int64_t n, int size);

// Logits [n, classes] for n crops of side `crop_size`, resized to the net's
// input size when they differ; eval mode, no gradients, batches of `batch`.
torch::Tensor logits_for_crops(ResNet& net, const std::uint8_t* crops, std::int64_t n, int crop_size, int input_size,
                               int batch = kInferBatch);

}  // namespace mw
