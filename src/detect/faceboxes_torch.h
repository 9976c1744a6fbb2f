// FaceBoxes (detect/faceboxes.h) as a LibTorch module, for fine-tuning: the
// same topology and the same tensors as the plain engine's network, so that
// the two give the same head maps (TensorFlow's "SAME" padding as explicit
// pads: zeros before a convolution, -inf before a max pool; CReLU as
// cat(y, -y) then ReLU; each convolution carries its folded batch norm as a
// bias). It is built from, and exported back to, the graph's tensors by name
// (HWIO filters), which faceboxes_from_tfjs() reads.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/tfjs_weights.h"

namespace mw {

// One convolution of the graph: its filter (OIHW here) and bias, and the
// names of both in the graph.
struct FaceBoxesConv {
  std::string weight_name, bias_name;
  torch::Tensor weight, bias;
  int stride = 1;
};

// The head outputs, anchors in faceboxes_anchors()' order (scale, row, cell, anchor).
struct FaceBoxesOutput {
  torch::Tensor logits;  // [N, anchors, 2]: background, face
  torch::Tensor codes;   // [N, anchors, 4]: ty, tx, th, tw (scaled 10, 10, 5, 5)
};

class FaceBoxesTorchImpl : public torch::nn::Module {
 public:
  // The graph's tensors by name (faceboxes.json's); throws mw::Error naming a
  // missing or misshapen one.
  explicit FaceBoxesTorchImpl(const std::map<std::string, TfjsTensor>& weights);

  // x: [N, 3, S, S] RGB, already as 2 * x / 255 - 1 (faceboxes_input). The six
  // head maps, NCHW: scale 0 logits, scale 0 codes, then scales 1 and 2.
  std::vector<torch::Tensor> head_maps(const torch::Tensor& x);
  // The head maps flattened and joined over the scales.
  FaceBoxesOutput forward(const torch::Tensor& x);

  // The convolutions' tensors by graph name, HWIO float32, for faceboxes_from_tfjs().
  std::map<std::string, TfjsTensor> export_weights() const;

 private:
  torch::Tensor conv(const torch::Tensor& x, std::size_t i, bool relu, bool crelu = false);
  torch::Tensor layer(const torch::Tensor& x, std::size_t& i, bool crelu = false);
  torch::Tensor inception(const torch::Tensor& x, std::size_t& i);
  std::size_t add_conv(const std::map<std::string, TfjsTensor>& w, const std::string& weight, const std::string& bias,
                       int stride);
  std::vector<FaceBoxesConv> convs_;
};
TORCH_MODULE(FaceBoxesTorch);

// The training loss (FaceBoxes', after SSD's): softmax cross-entropy over
// background / face on every positive anchor and on the hardest negatives of
// each image (by that loss; `negatives_per_positive` for each of the image's
// positives), plus smooth-L1 on the positives' box codes; both summed and
// divided by the batch's positive count (at least 1).
// labels: [N, anchors] int64, 1 face, 0 background, -1 ignored (no loss);
// codes: [N, anchors, 4] the positives' targets (others ignored).
struct FaceBoxesLoss {
  torch::Tensor total, classification, localisation;
};
inline constexpr int kNegativesPerPositive = 3;
FaceBoxesLoss faceboxes_loss(const FaceBoxesOutput& out, const torch::Tensor& labels, const torch::Tensor& codes,
                             int negatives_per_positive = kNegativesPerPositive);

// Canvases (N x S x S x 3 bytes, RGB) as the module's input: NCHW float, 2 * x / 255 - 1.
torch::Tensor faceboxes_input(const std::uint8_t* canvases, int n, int side);

}  // namespace mw
