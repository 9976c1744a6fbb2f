#include "model/face_resnet.h"

#include <cmath>
#include <filesystem>

#include "core/env.h"
#include "core/paths.h"
#include "maskwatch.h"

namespace mw {

namespace F = torch::nn::functional;

FaceConvImpl::FaceConvImpl(int64_t in, int64_t out, int64_t k) {
  weight = register_parameter("weight", torch::empty({out, in, k, k}));
  bias = register_parameter("bias", torch::zeros({out}));
  scale = register_parameter("scale", torch::ones({out}));
  shift = register_parameter("shift", torch::zeros({out}));
  torch::nn::init::kaiming_normal_(weight, 0.0, torch::kFanOut, torch::kReLU);
}

torch::Tensor FaceConvImpl::forward(const torch::Tensor& x, int64_t stride, int64_t pad, bool relu) {
  auto y = F::conv2d(x, weight, F::Conv2dFuncOptions().bias(bias).stride(stride).padding(pad));
  y = y * scale.view({1, -1, 1, 1}) + shift.view({1, -1, 1, 1});
  return relu ? torch::relu(y) : y;
}

FaceResidualImpl::FaceResidualImpl(int64_t in, int64_t out, bool d) : down(d) {
  conv1 = register_module("conv1", FaceConv(in, out, 3));
  conv2 = register_module("conv2", FaceConv(out, out, 3));
}

torch::Tensor FaceResidualImpl::forward(const torch::Tensor& x) {
  if (!down) {
    auto y = conv2->forward(conv1->forward(x, 1, 1, true), 1, 1, false);
    return torch::relu(y + x);
  }
  auto y = conv2->forward(conv1->forward(x, 2, 0, true), 1, 1, false);
  auto shortcut = torch::avg_pool2d(x, 2, 2);
  const int64_t dh = shortcut.size(2) - y.size(2), dw = shortcut.size(3) - y.size(3);
  if (dh > 0 || dw > 0) y = F::pad(y, F::PadFuncOptions({0, dw, 0, dh}));  // zeros at the bottom/right
  const int64_t dc = y.size(1) - shortcut.size(1);
  if (dc > 0)
    shortcut = torch::cat(
        {shortcut, torch::zeros({shortcut.size(0), dc, shortcut.size(2), shortcut.size(3)}, shortcut.options())}, 1);
  return torch::relu(y + shortcut);
}

namespace {
struct BlockSpec {
  const char* name;
  int64_t in, out;
  bool down;
};
constexpr BlockSpec kBlocks[] = {
    {"conv32_1", 32, 32, false},    {"conv32_2", 32, 32, false},          {"conv32_3", 32, 32, false},
    {"conv64_down", 32, 64, true},  {"conv64_1", 64, 64, false},          {"conv64_2", 64, 64, false},
    {"conv64_3", 64, 64, false},    {"conv128_down", 64, 128, true},      {"conv128_1", 128, 128, false},
    {"conv128_2", 128, 128, false}, {"conv256_down", 128, 256, true},     {"conv256_1", 256, 256, false},
    {"conv256_2", 256, 256, false}, {"conv256_down_out", 256, 256, true},
};
}  // namespace

FaceResNetImpl::FaceResNetImpl() {
  conv32_down = register_module("conv32_down", FaceConv(3, 32, 7));
  for (const auto& b : kBlocks) blocks.emplace_back(b.name, register_module(b.name, FaceResidual(b.in, b.out, b.down)));
  fc = register_parameter("fc", torch::randn({256, kFaceDescriptor}) * std::sqrt(1.0 / 256));
}

std::map<std::string, torch::Tensor> FaceResNetImpl::forward_stages(const torch::Tensor& x) {
  std::map<std::string, torch::Tensor> out;
  auto y = conv32_down->forward(x, 2, 0, true);
  y = torch::max_pool2d(y, 3, 2);
  out["stem"] = y;
  for (auto& [name, block] : blocks) {
    y = block->forward(y);
    out[name] = y;
  }
  out["mean"] = y.mean({2, 3});
  out["descriptor"] = out["mean"].matmul(fc);
  return out;
}

torch::Tensor FaceResNetImpl::features(const torch::Tensor& x) {
  auto y = torch::max_pool2d(conv32_down->forward(x, 2, 0, true), 3, 2);
  for (auto& [name, block] : blocks) y = block->forward(y);
  return y.mean({2, 3});
}

torch::Tensor FaceResNetImpl::forward(const torch::Tensor& x) { return features(x).matmul(fc); }

namespace {
torch::Tensor tensor_of(const std::map<std::string, TfjsTensor>& w, const std::string& name,
                        std::vector<int64_t> expect) {
  auto it = w.find(name);
  if (it == w.end()) throw Error("face-resnet weights", "missing tensor '" + name + "'");
  if (it->second.shape != expect)
    throw Error("face-resnet weights", "tensor '" + name + "' has shape " + json(it->second.shape).dump() +
                                           ", expected " + json(expect).dump());
  return torch::from_blob(const_cast<float*>(it->second.values.data()), expect, torch::kFloat).clone();
}

void load_conv(FaceConvImpl& c, const std::map<std::string, TfjsTensor>& w, const std::string& prefix) {
  torch::NoGradGuard g;
  const auto o = c.weight.size(0), i = c.weight.size(1), k = c.weight.size(2);
  c.weight.copy_(tensor_of(w, prefix + "/conv/filters", {k, k, i, o}).permute({3, 2, 0, 1}));
  c.bias.copy_(tensor_of(w, prefix + "/conv/bias", {o}));
  c.scale.copy_(tensor_of(w, prefix + "/scale/weights", {o}));
  c.shift.copy_(tensor_of(w, prefix + "/scale/biases", {o}));
}
}  // namespace

void FaceResNetImpl::load_tfjs(const std::map<std::string, TfjsTensor>& w) {
  load_conv(*conv32_down, w, "conv32_down");
  for (auto& [name, block] : blocks) {
    load_conv(*block->conv1, w, name + "/conv1");
    load_conv(*block->conv2, w, name + "/conv2");
  }
  torch::NoGradGuard g;
  fc.copy_(tensor_of(w, "fc", {256, kFaceDescriptor}));
}

FaceClassifierImpl::FaceClassifierImpl(int64_t classes) : NetworkImpl("face-resnet") {
  backbone = register_module("backbone", FaceResNet());
  backbone->fc.set_requires_grad(false);  // the descriptor projection is not used here
  fc = register_module("fc", torch::nn::Linear(256, classes));
}

torch::Tensor FaceClassifierImpl::forward(torch::Tensor x) { return fc(backbone->features(x)); }

std::vector<std::shared_ptr<torch::nn::Module>> FaceClassifierImpl::stages() {
  // stem, then the 32-, 64-, 128- and 256-channel blocks.
  std::vector<std::shared_ptr<torch::nn::Module>> st;
  auto stem = std::make_shared<torch::nn::Module>();
  stem->register_module("conv32_down", backbone->conv32_down);
  st.push_back(stem);
  for (const char* width : {"conv32_", "conv64_", "conv128_", "conv256_"}) {
    auto stage = std::make_shared<torch::nn::Module>();
    for (auto& [name, block] : backbone->blocks)
      if (name.rfind(width, 0) == 0) stage->register_module(name, block);
    st.push_back(stage);
  }
  return st;
}

Normalisation FaceClassifierImpl::normalisation() const {
  Normalisation n;
  for (int c = 0; c < 3; ++c) n.mean[c] = kFaceMeanRgb[c], n.inv_scale[c] = 1.f / 255.f;
  return n;
}

std::string face_api_models_dir() {
  return find_share_dir("share/maskwatch/face-api", kFaceApiManifest, "MASKWATCH_FACE_API_DIR", "face-api weights");
}

torch::Tensor legacy_resize_bilinear(const torch::Tensor& x, int64_t out_h, int64_t out_w) {
  auto axis = [](int64_t in, int64_t out) {
    const float scale = static_cast<float>(in) / static_cast<float>(out);
    std::vector<int64_t> lo(out), hi(out);
    std::vector<float> frac(out);
    for (int64_t i = 0; i < out; ++i) {
      const float src = static_cast<float>(i) * scale;
      lo[i] = static_cast<int64_t>(std::floor(src));
      hi[i] = std::min<int64_t>(static_cast<int64_t>(std::ceil(src)), in - 1);
      frac[i] = src - static_cast<float>(lo[i]);
    }
    return std::make_tuple(torch::tensor(lo), torch::tensor(hi), torch::tensor(frac));
  };
  auto [y0, y1, fy] = axis(x.size(2), out_h);
  auto [x0, x1, fx] = axis(x.size(3), out_w);
  auto top = x.index_select(2, y0), bottom = x.index_select(2, y1);
  auto rows = top + (bottom - top) * fy.view({1, 1, -1, 1});
  auto left = rows.index_select(3, x0), right = rows.index_select(3, x1);
  return left + (right - left) * fx.view({1, 1, 1, -1});
}

torch::Tensor face_preprocess(const std::uint8_t* rgb, int width, int height) {
  auto x = torch::from_blob(const_cast<std::uint8_t*>(rgb), {1, height, width, 3}, torch::kUInt8)
               .permute({0, 3, 1, 2})
               .to(torch::kFloat);
  const int64_t diff = std::abs(height - width);
  const int64_t after = static_cast<int64_t>(std::floor(diff / 2.0 + 0.5));  // JavaScript's Math.round
  const int64_t before = diff - after;
  if (width < height)
    x = F::pad(x, F::PadFuncOptions({before, after, 0, 0}));
  else if (height < width)
    x = F::pad(x, F::PadFuncOptions({0, 0, before, after}));
  if (x.size(2) != kFaceInput) x = legacy_resize_bilinear(x, kFaceInput, kFaceInput);
  auto mean = torch::tensor({kFaceMeanRgb[0], kFaceMeanRgb[1], kFaceMeanRgb[2]}).view({1, 3, 1, 1});
  return (x - mean) / 255.f;
}

}  // namespace mw
