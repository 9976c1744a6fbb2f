// CenterNet (detect/centernet.h) as a LibTorch module, for fine-tuning: the
// same topology and the same tensors as the plain engine's network, so that
// the two give the same head maps. TensorFlow's "SAME" padding as explicit
// zero pads where it is uneven (the odd pixel at the bottom and right);
// h-swish as (x * c) * relu6(x + 3) and the hard sigmoid as c * relu6(x + 3)
// with the graph's float16 c = 0.1666259765625; the head's squeeze-excitation
// with a true sigmoid; TF1's legacy bilinear x2 (out[2i] = in[i],
// out[2i + 1] = (in[i] + in[i + 1]) / 2, the last row and column copied) by
// slicing, so that gradients flow through it. Each convolution carries its
// folded batch norm as a bias; those the graph has without one (the separable
// depthwise filters, the head's conv1x1_se_b) stay without. It is built from,
// and exported back to, the graph's tensors by name (HWIO filters, depthwise
// [k][k][C][1]), which centernet_from_tfjs() reads.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "detect/centernet_targets.h"
#include "model/tfjs_weights.h"

namespace mw {

// One convolution of the graph: its filter (OIHW here; depthwise [C][1][k][k])
// and bias (undefined where the graph has none), and the names of both as
// the graph's tensors are keyed.
struct CenterNetConv {
  std::string weight_name, bias_name;  // bias_name empty: no bias
  torch::Tensor weight, bias;
  int stride = 1;
  bool depthwise = false;
};

// The two head maps at S/4, NCHW, before the graph's sigmoid and x16.
struct CenterNetOutput {
  torch::Tensor logits;  // [N, 80, S/4, S/4]: class logits
  torch::Tensor wh_raw;  // [N, 4, S/4, S/4]: l, t, r, b; x kCenterNetBoxScale gives canvas pixels
};

class CenterNetTorchImpl : public torch::nn::Module {
 public:
  // The graph's tensors by name (load_centernet_weights()'), each looked up
  // under "tower_0/" first, then as named; throws mw::Error naming a missing
  // or misshapen one.
  explicit CenterNetTorchImpl(const std::map<std::string, TfjsTensor>& weights);

  // x: [N, 3, S, S] RGB 0..255 (centernet_input), S a multiple of kCenterNetStride.
  CenterNetOutput forward(const torch::Tensor& x);

  // The convolutions' tensors under the graph's names, HWIO float32
  // (depthwise [k][k][C][1]), for centernet_from_tfjs().
  std::map<std::string, TfjsTensor> export_weights() const;

  // The stem's filter (the first convolution), OIHW.
  const torch::Tensor& stem_weight() const { return convs_.front().weight; }

 private:
  void add_conv(const std::map<std::string, TfjsTensor>& w, const std::string& filter, const std::string& bias,
                int stride, bool depthwise);
  bool has(const std::string& filter) const { return index_.count(filter) > 0; }
  torch::Tensor conv(const torch::Tensor& x, const std::string& filter) const;
  torch::Tensor separable(const torch::Tensor& x, const std::string& scope, const std::string& pointwise) const;
  torch::Tensor excite(const torch::Tensor& x, const std::string& squeeze, const std::string& excite,
                       bool hard_gate) const;
  torch::Tensor block(const torch::Tensor& x, int i, std::map<int, torch::Tensor>& taps) const;
  torch::Tensor lateral(const torch::Tensor& x, const std::string& scope) const;
  torch::Tensor decode_step(const torch::Tensor& x, const std::string& scope, const torch::Tensor& side) const;

  std::vector<CenterNetConv> convs_;
  std::map<std::string, std::size_t> index_;  // by filter name without "tower_0/"
};
TORCH_MODULE(CenterNetTorch);

// The loss of a face detector's maps (one heatmap channel) against each
// canvas's targets (detect/centernet_targets.h):
//   heatmap  CenterNet's penalty-reduced focal loss (alpha 2, beta 4), from
//            the logits (log-sigmoid, so that confident cells stay finite),
//            summed and divided by the faces;
//   box      1 - GIoU of the box read at each face's centre cell (its point
//            is both boxes' shared origin) with the face's, the mean over faces;
//   total    heatmap + kCenterNetBoxWeight x box (TTFNet's weight).
struct CenterNetLoss {
  torch::Tensor total, heatmap, box;
};
inline constexpr double kCenterNetBoxWeight = 5;
CenterNetLoss centernet_loss(const CenterNetOutput& out, const std::vector<CenterNetTargets>& targets);

// Canvases (N x S x S x 3 bytes, RGB) as the module's input: NCHW float, 0..255.
torch::Tensor centernet_input(const std::uint8_t* canvases, int n, int side);

}  // namespace mw
