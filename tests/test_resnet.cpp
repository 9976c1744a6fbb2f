#include <gtest/gtest.h>

#include <set>

#include "maskwatch.h"
#include "model/resnet.h"
#include "model/runtime.h"

using namespace mw;

namespace {
std::set<std::string> state_keys(ResNet& net) {
  std::set<std::string> keys;
  for (const auto& p : net->named_parameters()) keys.insert(p.key());
  for (const auto& b : net->named_buffers()) keys.insert(b.key());
  return keys;
}
long count_params(ResNet& net) {
  long n = 0;
  for (const auto& p : net->parameters()) n += p.numel();
  return n;
}
}  // namespace

TEST(ResNet, Resnet18HasTorchvisionNamesAndSizes) {
  ResNet net("resnet18", 3);
  auto keys = state_keys(net);
  EXPECT_EQ(keys.size(), 122u);  // torchvision's resnet18 state_dict has 122 entries
  for (const char* k : {"conv1.weight", "bn1.running_mean", "bn1.num_batches_tracked", "layer1.0.conv1.weight",
                        "layer1.1.bn2.bias", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_var",
                        "layer4.1.conv2.weight", "fc.weight", "fc.bias"})
    EXPECT_TRUE(keys.count(k)) << k;
  EXPECT_FALSE(keys.count("layer1.0.downsample.0.weight"));
  // torchvision: 11,689,512 parameters with 1000 classes; the head here has 3.
  EXPECT_EQ(count_params(net), 11689512 - 997 * 513);
}

TEST(ResNet, Resnet34HasTorchvisionNamesAndSizes) {
  ResNet net("resnet34", 3);
  auto keys = state_keys(net);
  EXPECT_EQ(keys.size(), 218u);
  EXPECT_TRUE(keys.count("layer3.5.conv2.weight"));
  EXPECT_FALSE(keys.count("layer3.6.conv2.weight"));
  EXPECT_EQ(count_params(net), 21797672 - 997 * 513);
  EXPECT_THROW(ResNet("resnet35", 3), Error);
}

TEST(ResNet, ForwardShapeAndFreezing) {
  ResNet net("resnet18", 3);
  auto y = net->forward(torch::zeros({2, 3, 48, 48}));
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 3}));
  freeze_stages(*net, 2);
  EXPECT_FALSE(net->conv1->weight.requires_grad());
  EXPECT_FALSE(net->layer1->parameters()[0].requires_grad());
  EXPECT_TRUE(net->layer2->parameters()[0].requires_grad());
  set_train_mode(*net, 2);
  EXPECT_FALSE(net->bn1->is_training());
  EXPECT_TRUE(net->layer2->is_training());
  EXPECT_THROW(freeze_stages(*net, 6), Error);
}

TEST(Runtime, CropsToTensorNormalises) {
  std::vector<std::uint8_t> px(2 * 4 * 4 * 3, 0);
  for (std::size_t i = 0; i < px.size(); i += 3) px[i] = 255;  // pure red
  auto t = crops_to_tensor(px.data(), 2, 4, ResNet("resnet18", 3)->normalisation());
  EXPECT_EQ(t.sizes(), (std::vector<int64_t>{2, 3, 4, 4}));
  EXPECT_NEAR(t[1][0][3][3].item<float>(), (1 - 0.485f) / 0.229f, 1e-5);  // torchvision's mean and std
  EXPECT_NEAR(t[0][2][0][0].item<float>(), -0.406f / 0.225f, 1e-5);
}

TEST(ResNet, FoldedBatchNormMatchesThePlainPath) {
  for (const char* arch : {"resnet18", "resnet34"}) {
    torch::manual_seed(4);
    ResNet plain(arch, 3);
    // Give BatchNorm non-trivial statistics and affine parameters.
    plain->train();
    {
      torch::NoGradGuard g;
      for (int i = 0; i < 3; ++i) plain->forward(torch::randn({8, 3, 48, 48}) * 2 + 0.5);
      for (auto& p : plain->named_parameters())
        if (p.key().find("bn") != std::string::npos || p.key().find("downsample.1") != std::string::npos)
          p.value().uniform_(0.5, 1.5);
    }
    plain->eval();
    ResNet folded(arch, 3);
    {
      torch::NoGradGuard g;
      auto src = plain->named_parameters(), dst = folded->named_parameters();
      for (auto& p : src) dst[p.key()].copy_(p.value());
      auto sb = plain->named_buffers(), db = folded->named_buffers();
      for (auto& b : sb) db[b.key()].copy_(b.value());
    }
    folded->fold_batchnorm();
    std::vector<std::uint8_t> crops(5 * 48 * 48 * 3);
    for (std::size_t i = 0; i < crops.size(); ++i) crops[i] = static_cast<std::uint8_t>((i * 37) % 251);
    auto a = logits_for_crops(*plain, crops.data(), 5, 48, 48);
    auto b = logits_for_crops(*folded, crops.data(), 5, 48, 48);
    EXPECT_TRUE(torch::allclose(a, b, 1e-4, 1e-4)) << arch << "\n" << a << "\n" << b;
    EXPECT_GT(a.abs().max().item<float>(), 1e-3);  // not trivially zero
  }
}
