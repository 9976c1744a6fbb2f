#include "detect/faceboxes_torch.h"

#include <limits>

#include "maskwatch.h"

namespace mw {

namespace F = torch::nn::functional;

namespace {

constexpr const char* kWhere = "faceboxes weights";
constexpr int kPoolSize = 3;
constexpr int kScales = 3;
constexpr float kPixelHalf = 127.5f;  // 2 * x / 255 - 1 = (x - 127.5) / 127.5

// TensorFlow's "SAME" padding as F::pad's {left, right, top, bottom}: the
// odd pixel at the bottom and right.
std::vector<int64_t> same_pads(int64_t in, int64_t k, int64_t stride) {
  const int64_t out = (in + stride - 1) / stride;
  const int64_t total = std::max<int64_t>((out - 1) * stride + k - in, 0);
  const int64_t lo = total / 2, hi = total - total / 2;
  return {lo, hi, lo, hi};
}

torch::Tensor max_pool(const torch::Tensor& x, int64_t stride) {
  const auto pads = same_pads(x.size(2), kPoolSize, stride);
  const auto padded =
      F::pad(x, F::PadFuncOptions(pads).mode(torch::kConstant).value(-std::numeric_limits<double>::infinity()));
  return F::max_pool2d(padded, F::MaxPool2dFuncOptions(kPoolSize).stride(stride));
}

const TfjsTensor& tensor(const std::map<std::string, TfjsTensor>& w, const std::string& name) {
  auto it = w.find(name);
  if (it == w.end()) throw Error(kWhere, "no tensor '" + name + "'");
  return it->second;
}

TfjsTensor hwio_of(const std::string& name, const torch::Tensor& oihw) {
  const auto t = oihw.detach().permute({2, 3, 1, 0}).contiguous().to(torch::kFloat);
  TfjsTensor out{name, {t.size(0), t.size(1), t.size(2), t.size(3)}, "float32", {}};
  out.values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  return out;
}

TfjsTensor vector_of(const std::string& name, const torch::Tensor& v) {
  const auto t = v.detach().contiguous().to(torch::kFloat);
  TfjsTensor out{name, {t.numel()}, "float32", {}};
  out.values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  return out;
}

}  // namespace

std::size_t FaceBoxesTorchImpl::add_conv(const std::map<std::string, TfjsTensor>& w, const std::string& weight,
                                         const std::string& bias, int stride) {
  const TfjsTensor& f = tensor(w, weight);
  if (f.shape.size() != 4 || f.shape[0] != f.shape[1] || f.numel() != static_cast<int64_t>(f.values.size()))
    throw Error(kWhere, "'" + weight + "' is not a square [k][k][cin][cout] filter");
  const TfjsTensor& b = tensor(w, bias);
  if (b.numel() != f.shape[3] || b.values.size() != static_cast<std::size_t>(f.shape[3]))
    throw Error(kWhere, "'" + bias + "' does not have " + std::to_string(f.shape[3]) + " values");
  FaceBoxesConv c{weight, bias, {}, {}, stride};
  const auto hwio = torch::from_blob(const_cast<float*>(f.values.data()), f.shape, torch::kFloat);
  const std::string id = "conv" + std::to_string(convs_.size());
  c.weight = register_parameter(id + "_weight", hwio.permute({3, 2, 0, 1}).contiguous().clone());
  c.bias = register_parameter(
      id + "_bias", torch::from_blob(const_cast<float*>(b.values.data()), {f.shape[3]}, torch::kFloat).clone());
  convs_.push_back(std::move(c));
  return convs_.size() - 1;
}

FaceBoxesTorchImpl::FaceBoxesTorchImpl(const std::map<std::string, TfjsTensor>& w) {
  auto layer = [&](const std::string& name, int stride) {
    add_conv(w, name + "/Conv2D_weights", name + "/Conv2D_bn_offset", stride);
  };
  auto heads = [&](int scale) {
    const std::string i = std::to_string(scale);
    for (const std::string head : {"class_predictor_", "box_encoding_predictor_"})
      add_conv(w, "prediction_layers/" + head + i + "/weights", "prediction_layers/" + head + i + "/biases", 1);
  };
  layer("conv1", 4);
  layer("conv2", 2);
  for (const std::string scope : {"inception1", "inception2", "inception3"})
    for (const char* path : {"conv_1x1_path1", "conv_1x1_path2", "conv_1x1_path3", "conv_3x3_path3", "conv_1x1_path4",
                             "conv_3x3_path4", "conv_3x3_second_path4"})
      layer(scope + "/" + path, 1);
  heads(0);
  layer("conv3_1", 1);
  layer("conv3_2", 2);
  heads(1);
  layer("conv4_1", 1);
  layer("conv4_2", 2);
  heads(2);
}

torch::Tensor FaceBoxesTorchImpl::conv(const torch::Tensor& x, std::size_t i, bool relu, bool crelu) {
  const FaceBoxesConv& c = convs_.at(i);
  const auto padded = F::pad(x, F::PadFuncOptions(same_pads(x.size(2), c.weight.size(2), c.stride)));
  auto y = F::conv2d(padded, c.weight, F::Conv2dFuncOptions().bias(c.bias).stride(c.stride));
  if (crelu) y = torch::cat({y, -y}, 1);
  return relu || crelu ? torch::relu(y) : y;
}

torch::Tensor FaceBoxesTorchImpl::layer(const torch::Tensor& x, std::size_t& i, bool crelu) {
  return conv(x, i++, true, crelu);
}

// The order of the paths' convolutions is the constructor's.
torch::Tensor FaceBoxesTorchImpl::inception(const torch::Tensor& x, std::size_t& i) {
  const auto path1 = layer(x, i);
  const auto path2 = layer(max_pool(x, 1), i);
  const auto path3 = layer(layer(x, i), i);
  const auto path4 = layer(layer(layer(x, i), i), i);
  return torch::cat({path1, path2, path3, path4}, 1);
}

std::vector<torch::Tensor> FaceBoxesTorchImpl::head_maps(const torch::Tensor& x) {
  std::size_t i = 0;
  std::vector<torch::Tensor> maps;
  auto heads = [&](const torch::Tensor& at) {
    for (int h = 0; h < 2; ++h) maps.push_back(conv(at, i++, false));
  };
  auto y = max_pool(layer(x, i, true), 2);
  y = max_pool(layer(y, i, true), 2);
  for (int k = 0; k < 3; ++k) y = inception(y, i);
  heads(y);
  y = layer(layer(y, i), i);
  heads(y);
  y = layer(layer(y, i), i);
  heads(y);
  return maps;
}

FaceBoxesOutput FaceBoxesTorchImpl::forward(const torch::Tensor& x) {
  const auto maps = head_maps(x);
  std::vector<torch::Tensor> logits, codes;
  const int64_t n = x.size(0);
  for (int s = 0; s < kScales; ++s) {
    logits.push_back(maps[2 * s].permute({0, 2, 3, 1}).reshape({n, -1, 2}));
    codes.push_back(maps[2 * s + 1].permute({0, 2, 3, 1}).reshape({n, -1, 4}));
  }
  return {torch::cat(logits, 1), torch::cat(codes, 1)};
}

std::map<std::string, TfjsTensor> FaceBoxesTorchImpl::export_weights() const {
  std::map<std::string, TfjsTensor> out;
  for (const auto& c : convs_) {
    out[c.weight_name] = hwio_of(c.weight_name, c.weight);
    out[c.bias_name] = vector_of(c.bias_name, c.bias);
  }
  return out;
}

namespace {
// Per image, the negatives among the `per_positive` x positives hardest by `ce`
// (ties: the lower anchor first).
torch::Tensor hard_negatives(const torch::Tensor& ce, const torch::Tensor& negative, const torch::Tensor& positive,
                             int per_positive) {
  const auto loss = ce.detach().masked_fill(negative.logical_not(), -std::numeric_limits<float>::infinity());
  const auto order = std::get<1>(loss.sort(/*stable=*/true, /*dim=*/1, /*descending=*/true));
  const auto rank = std::get<1>(order.sort(/*stable=*/true, /*dim=*/1, /*descending=*/false));
  const auto quota = positive.sum(1, /*keepdim=*/true) * per_positive;
  return rank.lt(quota).logical_and(negative);
}
}  // namespace

FaceBoxesLoss faceboxes_loss(const FaceBoxesOutput& out, const torch::Tensor& labels, const torch::Tensor& codes,
                             int negatives_per_positive) {
  const auto positive = labels.eq(1), negative = labels.eq(0);
  const auto ce = F::cross_entropy(out.logits.reshape({-1, 2}), labels.clamp_min(0).reshape({-1}),
                                   F::CrossEntropyFuncOptions().reduction(torch::kNone))
                      .view(labels.sizes());
  const auto chosen = positive.logical_or(hard_negatives(ce, negative, positive, negatives_per_positive));
  const auto count = positive.sum().clamp_min(1).to(torch::kFloat);
  FaceBoxesLoss l;
  l.classification = ce.masked_select(chosen).sum() / count;
  const auto pos = positive.unsqueeze(2).expand_as(codes);
  l.localisation = F::smooth_l1_loss(out.codes.masked_select(pos), codes.masked_select(pos),
                                     F::SmoothL1LossFuncOptions().reduction(torch::kSum)) /
                   count;
  l.total = l.classification + l.localisation;
  return l;
}

torch::Tensor faceboxes_input(const std::uint8_t* canvases, int n, int side) {
  const auto bytes =
      torch::from_blob(const_cast<std::uint8_t*>(canvases), {n, side, side, 3}, torch::kUInt8).to(torch::kFloat);
  return ((bytes - kPixelHalf) / kPixelHalf).permute({0, 3, 1, 2}).contiguous();
}

}  // namespace mw
