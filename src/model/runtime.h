// Crops to tensors and tensors to logits: the one inference path shared by
// training's validation, evaluation and the classifier.
#pragma once
#include <torch/torch.h>

#include <array>
#include <cstdint>

#include "model/network.h"

namespace mw {

inline constexpr int kInferBatch = 64;

// n 8-bit RGB HWC crops of side `size` -> normalised float NCHW tensor.
torch::Tensor crops_to_tensor(const std::uint8_t* crops, std::int64_t n, int size, const Normalisation& norm);

// Logits [n, classes] for n crops of side `crop_size`, resized to the net's
// input size when they differ; eval mode, no gradients, batches of `batch`.
torch::Tensor logits_for_crops(NetworkImpl& net, const std::uint8_t* crops, std::int64_t n, int crop_size,
                               int input_size, int batch = kInferBatch);

}  // namespace mw
