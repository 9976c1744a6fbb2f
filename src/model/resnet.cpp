#include "model/resnet.h"

#include "maskwatch.h"

namespace mw {

namespace nn = torch::nn;

namespace {
nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(false));
}
std::vector<int> blocks_of(const std::string& arch) {
  if (arch == "resnet18") return {2, 2, 2, 2};
  if (arch == "resnet34") return {3, 4, 6, 3};
  throw Error("arch", "unknown architecture '" + arch + "' (resnet18 or resnet34)");
}
}  // namespace

BasicBlockImpl::BasicBlockImpl(int64_t in, int64_t out, int64_t stride) {
  conv1 = register_module("conv1", conv(in, out, 3, stride, 1));
  bn1 = register_module("bn1", nn::BatchNorm2d(out));
  conv2 = register_module("conv2", conv(out, out, 3, 1, 1));
  bn2 = register_module("bn2", nn::BatchNorm2d(out));
  if (stride != 1 || in != out)
    downsample = register_module("downsample", nn::Sequential(conv(in, out, 1, stride, 0), nn::BatchNorm2d(out)));
}

torch::Tensor BasicBlockImpl::forward(torch::Tensor x) {
  if (folded) {
    auto y = conv2(torch::relu(conv1(x)));
    return torch::relu_(y.add_(downsample ? downsample->ptr(0)->as<nn::Conv2dImpl>()->forward(x) : x));
  }
  auto y = torch::relu(bn1(conv1(x)));
  y = bn2(conv2(y));
  return torch::relu(y + (downsample ? downsample->forward(x) : x));
}

ResNetImpl::ResNetImpl(const std::string& a, int64_t num_classes) : NetworkImpl(a) {
  auto blocks = blocks_of(arch);
  conv1 = register_module("conv1", conv(3, 64, 7, 2, 3));
  bn1 = register_module("bn1", nn::BatchNorm2d(64));
  int64_t in = 64;
  auto make = [&](int64_t out, int n, int64_t stride) {
    nn::Sequential s;
    for (int i = 0; i < n; ++i) {
      s->push_back(BasicBlock(in, out, i == 0 ? stride : 1));
      in = out;
    }
    return s;
  };
  layer1 = register_module("layer1", make(64, blocks[0], 1));
  layer2 = register_module("layer2", make(128, blocks[1], 2));
  layer3 = register_module("layer3", make(256, blocks[2], 2));
  layer4 = register_module("layer4", make(512, blocks[3], 2));
  fc = register_module("fc", nn::Linear(512, num_classes));

  // torchvision's initialisation.
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* c = m->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto* b = m->as<nn::BatchNorm2d>()) {
      nn::init::ones_(b->weight);
      nn::init::zeros_(b->bias);
    }
  }
}

namespace {
void fold(nn::Conv2dImpl& conv, const nn::BatchNorm2dImpl& bn) {
  torch::NoGradGuard no_grad;
  auto scale = bn.weight / torch::sqrt(bn.running_var + bn.options.eps());
  conv.weight.mul_(scale.view({-1, 1, 1, 1}));
  conv.bias = bn.bias - bn.running_mean * scale;
}
}  // namespace

void BasicBlockImpl::fold_batchnorm() {
  if (folded) return;
  fold(*conv1, *bn1);
  fold(*conv2, *bn2);
  if (downsample) fold(*downsample->ptr(0)->as<nn::Conv2dImpl>(), *downsample->ptr(1)->as<nn::BatchNorm2dImpl>());
  folded = true;
}

void ResNetImpl::fold_batchnorm() {
  if (folded) return;
  eval();
  fold(*conv1, *bn1);
  for (const auto& layer : {layer1, layer2, layer3, layer4})
    for (const auto& block : layer->children()) block->as<BasicBlockImpl>()->fold_batchnorm();
  folded = true;
}

torch::Tensor ResNetImpl::forward(torch::Tensor x) {
  x = folded ? torch::relu(conv1(x)) : torch::relu(bn1(conv1(x)));
  x = torch::max_pool2d(x, 3, 2, 1);
  x = layer1->forward(x);
  x = layer2->forward(x);
  x = layer3->forward(x);
  x = layer4->forward(x);
  x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
  return fc(x);
}

std::vector<std::shared_ptr<nn::Module>> ResNetImpl::stages() {
  auto stem = std::make_shared<nn::Module>();
  stem->register_module("conv1", conv1);
  stem->register_module("bn1", bn1);
  return {stem, layer1.ptr(), layer2.ptr(), layer3.ptr(), layer4.ptr()};
}

Normalisation ResNetImpl::normalisation() const {
  // torchvision: (x/255 - mean) / std
  constexpr std::array<float, 3> mean = {0.485f, 0.456f, 0.406f}, std = {0.229f, 0.224f, 0.225f};
  Normalisation n;
  for (int c = 0; c < 3; ++c) n.mean[c] = 255.f * mean[c], n.inv_scale[c] = 1.f / (255.f * std[c]);
  return n;
}

}  // namespace mw
