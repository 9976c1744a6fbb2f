#include "detect/centernet_torch.h"

#include <algorithm>

#include "detect/centernet.h"
#include "detect/graph_builder.h"
#include "maskwatch.h"

namespace mw {

namespace F = torch::nn::functional;

namespace {

constexpr const char* kWhere = "centernet weights";
constexpr const char* kScope = "tower_0/";
constexpr double kGraphSixth = 0.1666259765625;  // 1/6 as the graph's float16 stores it
constexpr int kBlocks = 15;
constexpr int kFirstHardSwishBlock = 6;  // blocks 0-5 use ReLU
constexpr int kStride2Blocks[] = {1, 3, 6, 12};
// The blocks whose maps the laterals read: the expansions of blocks 3 and 5, block 11's output.
constexpr int kC2Block = 3, kC3Block = 5, kC4Block = 11;
const char* const kHeads[] = {"centernet_cls_output", "centernet_wh_output"};

std::string block_scope(int i) { return "MobilenetV3/expanded_conv" + (i ? "_" + std::to_string(i) : std::string()); }

int block_stride(int i) { return std::count(std::begin(kStride2Blocks), std::end(kStride2Blocks), i) ? 2 : 1; }

const std::string* key_of(const std::map<std::string, TfjsTensor>& w, const std::string& name) {
  return scoped_key(w, kScope, name);
}

const TfjsTensor& tensor(const std::map<std::string, TfjsTensor>& w, const std::string& name) {
  const std::string* key = key_of(w, name);
  if (!key) throw Error(kWhere, "no tensor '" + std::string(kScope) + name + "' (or '" + name + "')");
  return w.at(*key);
}

// TensorFlow's "SAME" padding of a side: {before, after}, the odd pixel after.
std::pair<int64_t, int64_t> same_pads(int64_t in, int64_t k, int64_t stride) {
  const int64_t out = (in + stride - 1) / stride;
  const int64_t total = std::max<int64_t>((out - 1) * stride + k - in, 0);
  return {total / 2, total - total / 2};
}

torch::Tensor relu6_of_plus3(const torch::Tensor& x) { return torch::clamp(x + 3, 0, 6); }
torch::Tensor hard_swish(const torch::Tensor& x) { return (x * kGraphSixth) * relu6_of_plus3(x); }
torch::Tensor hard_sigmoid(const torch::Tensor& x) { return relu6_of_plus3(x) * kGraphSixth; }

// TF1's legacy bilinear x2 along `dim`: even outputs copy, odd ones are the
// mean of a row and the next (the last row copied).
torch::Tensor upsample_dim(const torch::Tensor& x, int64_t dim) {
  const int64_t n = x.size(dim);
  const auto next = torch::cat({x.narrow(dim, 1, n - 1), x.narrow(dim, n - 1, 1)}, dim);
  const auto mid = (x + next) * 0.5;
  return torch::stack({x, mid}, dim + 1).flatten(dim, dim + 1);
}

// Rows, then columns, as the plain engine does.
torch::Tensor upsample2x(const torch::Tensor& x) { return upsample_dim(upsample_dim(x, 2), 3); }

TfjsTensor tensor_of(const std::string& name, const torch::Tensor& t) {
  const auto c = t.detach().contiguous().to(torch::kFloat);
  TfjsTensor out{name, std::vector<int64_t>(c.sizes().begin(), c.sizes().end()), "float32", {}};
  out.values.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return out;
}

std::string parameter_name(std::string graph_name) {
  std::replace(graph_name.begin(), graph_name.end(), '/', '_');
  return graph_name;
}

}  // namespace

void CenterNetTorchImpl::add_conv(const std::map<std::string, TfjsTensor>& w, const std::string& filter,
                                  const std::string& bias, int stride, bool depthwise) {
  const TfjsTensor& f = tensor(w, filter);
  const bool square = f.shape.size() == 4 && f.shape[0] == f.shape[1];
  if (!square || (depthwise && f.shape[3] != 1) || f.numel() != static_cast<int64_t>(f.values.size()))
    throw Error(kWhere,
                "'" + filter + "' is not a square [k][k][" + (depthwise ? "channels][1" : "cin][cout") + "] filter");
  const int64_t cout = depthwise ? f.shape[2] : f.shape[3];
  CenterNetConv c{*key_of(w, filter), "", {}, {}, stride, depthwise};
  const auto hwio = torch::from_blob(const_cast<float*>(f.values.data()), f.shape, torch::kFloat);
  // HWIO to OIHW; a depthwise [k][k][C][1] to [C][1][k][k].
  const auto oihw = depthwise ? hwio.permute({2, 3, 0, 1}) : hwio.permute({3, 2, 0, 1});
  c.weight = register_parameter(parameter_name(filter), oihw.contiguous().clone());
  if (!bias.empty()) {
    const TfjsTensor& b = tensor(w, bias);
    if (b.numel() != cout || b.values.size() != static_cast<std::size_t>(cout))
      throw Error(kWhere, "'" + bias + "' does not have " + std::to_string(cout) + " values");
    c.bias_name = *key_of(w, bias);
    c.bias = register_parameter(parameter_name(bias),
                                torch::from_blob(const_cast<float*>(b.values.data()), {cout}, torch::kFloat).clone());
  }
  index_[filter] = convs_.size();
  convs_.push_back(std::move(c));
}

// The convolutions in the graph's order of layers: backbone, laterals, decoder, head.
CenterNetTorchImpl::CenterNetTorchImpl(const std::map<std::string, TfjsTensor>& w) {
  const auto layer = [&](const std::string& at, int stride = 1, bool depthwise = false) {
    add_conv(w, at + "_weights", at + "_bn_offset", stride, depthwise);
  };
  const auto separable = [&](const std::string& scope, const std::string& pointwise, const std::string& bias) {
    add_conv(w, scope + "/depthwise_weights", "", 1, true);
    add_conv(w, scope + "/" + pointwise, scope + "/" + bias, 1, false);
  };
  layer("MobilenetV3/Conv/Conv2D", 2);
  for (int i = 0; i < kBlocks; ++i) {
    const std::string at = block_scope(i);
    if (key_of(w, at + "/expand/Conv2D_weights")) layer(at + "/expand/Conv2D");
    layer(at + "/depthwise/depthwise", block_stride(i), true);
    const std::string se = at + "/squeeze_excite/";
    if (key_of(w, se + "Conv/weights")) {
      add_conv(w, se + "Conv/weights", se + "Conv/biases", 1, false);
      add_conv(w, se + "Conv_1/weights", se + "Conv_1/biases", 1, false);
    }
    layer(at + "/project/Conv2D");
  }
  layer("extern1/Conv2D");
  for (const std::string scope : {"c2_reverse", "c3_reverse", "c4_reverse"}) {
    layer("CenternetHead/" + scope + "/1x1/Conv2D");
    separable("CenternetHead/" + scope + "/3x3", "separable_conv2d_weights", "separable_conv2d_bn_offset");
  }
  for (const std::string scope : {"c5_upsample", "c4_upsample", "c3_upsample"})
    for (const std::string branch : {"branch_x", "branch_y"})
      separable("CenternetHead/" + scope + "/" + branch + "_upsample_resize", "separable_conv2d_weights",
                "separable_conv2d_bn_offset");
  layer("CenternetHead/conv1x1_se_a/Conv2D");
  add_conv(w, "CenternetHead/conv1x1_se_b/weights", "", 1, false);  // the graph's excite has no bias
  for (const char* head : kHeads) separable(std::string("CenternetHead/") + head, "pointwise_weights", "biases");
}

torch::Tensor CenterNetTorchImpl::conv(const torch::Tensor& x, const std::string& filter) const {
  const auto it = index_.find(filter);
  if (it == index_.end()) throw Error(kWhere, "no convolution '" + filter + "'");
  const CenterNetConv& c = convs_[it->second];
  const int64_t k = c.weight.size(2);
  const auto [top, bottom] = same_pads(x.size(2), k, c.stride);
  const auto [left, right] = same_pads(x.size(3), k, c.stride);
  auto options = F::Conv2dFuncOptions().stride(c.stride).groups(c.depthwise ? x.size(1) : 1);
  if (c.bias.defined()) options.bias(c.bias);
  if (top == bottom && left == right)
    return F::conv2d(x, c.weight, options.padding(torch::ExpandingArray<2>({top, left})));
  return F::conv2d(F::pad(x, F::PadFuncOptions({left, right, top, bottom})), c.weight, options);
}

// Depthwise without bias, then 1x1 with bias, no activation.
torch::Tensor CenterNetTorchImpl::separable(const torch::Tensor& x, const std::string& scope,
                                            const std::string& pointwise) const {
  return conv(conv(x, scope + "/depthwise_weights"), scope + "/" + pointwise);
}

// Squeeze-excitation: the mean, 1x1 + ReLU, 1x1 + gate, times the input.
torch::Tensor CenterNetTorchImpl::excite(const torch::Tensor& x, const std::string& squeeze, const std::string& excite,
                                         bool hard_gate) const {
  const auto s = torch::relu(conv(x.mean({2, 3}, /*keepdim=*/true), squeeze));
  const auto e = conv(s, excite);
  return x * (hard_gate ? hard_sigmoid(e) : torch::sigmoid(e));
}

torch::Tensor CenterNetTorchImpl::block(const torch::Tensor& x, int i, std::map<int, torch::Tensor>& taps) const {
  const std::string at = block_scope(i);
  const auto act = [i](const torch::Tensor& t) { return i < kFirstHardSwishBlock ? torch::relu(t) : hard_swish(t); };
  auto y = x;
  if (has(at + "/expand/Conv2D_weights")) {
    y = act(conv(x, at + "/expand/Conv2D_weights"));
    if (i == kC2Block || i == kC3Block) taps[i] = y;
  }
  y = act(conv(y, at + "/depthwise/depthwise_weights"));
  const std::string se = at + "/squeeze_excite/";
  if (has(se + "Conv/weights")) y = excite(y, se + "Conv/weights", se + "Conv_1/weights", true);
  auto out = conv(y, at + "/project/Conv2D_weights");
  if (block_stride(i) == 1 && out.size(1) == x.size(1)) out = out + x;
  if (i == kC4Block) taps[i] = out;
  return out;
}

// A lateral from the backbone: 1x1 + ReLU, then a separable 5x5.
torch::Tensor CenterNetTorchImpl::lateral(const torch::Tensor& x, const std::string& scope) const {
  return separable(torch::relu(conv(x, scope + "/1x1/Conv2D_weights")), scope + "/3x3", "separable_conv2d_weights");
}

// One decoder step: two separable branches summed, x2, after the lateral, ReLU.
torch::Tensor CenterNetTorchImpl::decode_step(const torch::Tensor& x, const std::string& scope,
                                              const torch::Tensor& side) const {
  const auto bx = separable(x, scope + "/branch_x_upsample_resize", "separable_conv2d_weights");
  const auto by = separable(x, scope + "/branch_y_upsample_resize", "separable_conv2d_weights");
  return torch::relu(torch::cat({side, upsample2x(by + bx)}, 1));
}

CenterNetOutput CenterNetTorchImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != 3 || x.size(2) % kCenterNetStride || x.size(3) % kCenterNetStride)
    throw Error("centernet", "the input is not [N][3][S][S], S a multiple of " + std::to_string(kCenterNetStride));
  std::map<int, torch::Tensor> taps;
  auto y = hard_swish(conv(x, "MobilenetV3/Conv/Conv2D_weights"));
  for (int i = 0; i < kBlocks; ++i) y = block(y, i, taps);
  const auto top = hard_swish(conv(y, "extern1/Conv2D_weights"));
  const auto c2 = lateral(taps.at(kC2Block), "CenternetHead/c2_reverse");
  const auto c3 = lateral(taps.at(kC3Block), "CenternetHead/c3_reverse");
  const auto c4 = lateral(taps.at(kC4Block), "CenternetHead/c4_reverse");
  auto d = decode_step(top, "CenternetHead/c5_upsample", c4);
  d = decode_step(d, "CenternetHead/c4_upsample", c3);
  d = decode_step(d, "CenternetHead/c3_upsample", c2);
  d = excite(d, "CenternetHead/conv1x1_se_a/Conv2D_weights", "CenternetHead/conv1x1_se_b/weights", false);
  const std::string at = "CenternetHead/";
  return {separable(d, at + kHeads[0], "pointwise_weights"), separable(d, at + kHeads[1], "pointwise_weights")};
}

std::map<std::string, TfjsTensor> CenterNetTorchImpl::export_weights() const {
  std::map<std::string, TfjsTensor> out;
  for (const auto& c : convs_) {
    // OIHW to HWIO; [C][1][k][k] to [k][k][C][1].
    const auto w = c.depthwise ? c.weight.permute({2, 3, 0, 1}) : c.weight.permute({2, 3, 1, 0});
    out[c.weight_name] = tensor_of(c.weight_name, w);
    if (c.bias.defined()) out[c.bias_name] = tensor_of(c.bias_name, c.bias);
  }
  return out;
}

namespace {

constexpr double kFocalAlpha = 2, kFocalBeta = 4;

torch::Tensor focal_loss(const torch::Tensor& logits, const torch::Tensor& heatmap) {
  const auto p = torch::sigmoid(logits);
  const auto positive = heatmap.eq(1).to(torch::kFloat);
  const auto pos = torch::pow(1 - p, kFocalAlpha) * torch::log_sigmoid(logits) * positive;
  const auto neg =
      torch::pow(1 - heatmap, kFocalBeta) * torch::pow(p, kFocalAlpha) * torch::log_sigmoid(-logits) * (1 - positive);
  return -(pos.sum() + neg.sum()) / positive.sum().clamp_min(1);
}

// 1 - GIoU of boxes given as distances (l, t, r, b) from one shared point, [F, 4] each.
torch::Tensor giou_loss(const torch::Tensor& pred, const torch::Tensor& truth) {
  const auto width = [](const torch::Tensor& d) { return d.select(1, 0) + d.select(1, 2); };
  const auto height = [](const torch::Tensor& d) { return d.select(1, 1) + d.select(1, 3); };
  const auto inner = torch::min(pred, truth), outer = torch::max(pred, truth);
  const auto intersection = width(inner).clamp_min(0) * height(inner).clamp_min(0);
  const auto area_pred = width(pred).clamp_min(0) * height(pred).clamp_min(0);
  const auto uni = area_pred + width(truth) * height(truth) - intersection;
  const auto enclosing = width(outer).clamp_min(0) * height(outer).clamp_min(0);
  constexpr double kEps = 1e-6;
  const auto giou = intersection / (uni + kEps) - (enclosing - uni) / (enclosing + kEps);
  return (1 - giou).mean();
}

}  // namespace

CenterNetLoss centernet_loss(const CenterNetOutput& out, const std::vector<CenterNetTargets>& targets) {
  const int64_t n = out.logits.size(0), cells = out.logits.size(2);
  if (out.logits.size(1) != 1 || static_cast<int64_t>(targets.size()) != n)
    throw Error("centernet loss", "needs one heatmap channel and one target per canvas");
  auto heatmap = torch::empty({n, 1, cells, cells});
  std::vector<int64_t> at;  // canvas * cells^2 + cell, per face
  std::vector<float> distances;
  for (int64_t i = 0; i < n; ++i) {
    const auto& t = targets[static_cast<std::size_t>(i)];
    if (t.cells != cells) throw Error("centernet loss", "targets for another canvas side");
    std::copy(t.heatmap.begin(), t.heatmap.end(), heatmap[i].data_ptr<float>());
    for (const auto& f : t.faces) {
      at.push_back(i * cells * cells + f.cell);
      distances.insert(distances.end(), f.distances.begin(), f.distances.end());
    }
  }
  CenterNetLoss loss;
  loss.heatmap = focal_loss(out.logits, heatmap);
  if (at.empty()) {
    loss.box = torch::zeros({});
  } else {
    const auto faces = static_cast<int64_t>(at.size());
    const auto read = out.wh_raw.flatten(2).permute({0, 2, 1}).reshape({n * cells * cells, 4});
    const auto pred = read.index_select(0, torch::tensor(at, torch::kLong));
    loss.box = giou_loss(pred, torch::from_blob(distances.data(), {faces, 4}, torch::kFloat).clone());
  }
  loss.total = loss.heatmap + kCenterNetBoxWeight * loss.box;
  return loss;
}

torch::Tensor centernet_input(const std::uint8_t* canvases, int n, int side) {
  return torch::from_blob(const_cast<std::uint8_t*>(canvases), {n, side, side, 3}, torch::kUInt8)
      .to(torch::kFloat)
      .permute({0, 3, 1, 2})
      .contiguous();
}

}  // namespace mw
