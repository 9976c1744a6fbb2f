// The plain engine against LibTorch, the reference: the same ResNet, BatchNorm
// folded, on the same crops, for several input sizes, batch sizes and threads.
#include <gtest/gtest.h>

#include "core/rng.h"
#include "infer/plain_net.h"
#include "maskwatch.h"
#include "model/plain_export.h"
#include "model/resnet.h"
#include "model/runtime.h"

using namespace mw;

namespace {

constexpr float kLogitTolerance = 1e-4f;

// A ResNet whose BatchNorms hold non-trivial statistics, as after training.
ResNet random_resnet(const std::string& arch, std::uint64_t seed) {
  torch::manual_seed(static_cast<std::int64_t>(seed));
  ResNet net(arch, kNumClasses);
  torch::NoGradGuard no_grad;
  for (auto& m : net->modules(false))
    if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      bn->weight.uniform_(0.5, 1.5);
      bn->bias.uniform_(-0.2, 0.2);
      bn->running_mean.uniform_(-0.2, 0.2);
      bn->running_var.uniform_(0.5, 2.0);
    }
  net->eval();
  return net;
}

std::vector<std::uint8_t> random_crops(std::int64_t n, int size, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::uint8_t> crops(static_cast<std::size_t>(n) * size * size * 3);
  for (auto& v : crops) v = static_cast<std::uint8_t>(rng.next() & 0xff);
  return crops;
}

void expect_same_logits(const std::string& arch, int size, std::int64_t n, int threads) {
  auto net = random_resnet(arch, 7);
  auto crops = random_crops(n, size, 11);
  auto reference = logits_for_crops(*net, crops.data(), n, size, size).contiguous();  // unfolded BatchNorm
  net->fold_batchnorm();
  auto plain = export_plain(*net, size);
  ASSERT_TRUE(plain.has_value());
  auto loaded = PlainNet::from_bytes(plain->to_bytes(), "test");
  std::vector<float> out(static_cast<std::size_t>(n) * kNumClasses);
  loaded.logits(crops.data(), n, out.data(), threads);
  float worst = 0;
  for (std::int64_t i = 0; i < n * kNumClasses; ++i)
    worst = std::max(worst, std::abs(out[i] - reference.data_ptr<float>()[i]));
  EXPECT_LT(worst, kLogitTolerance) << arch << " " << size << "px n=" << n << " threads=" << threads;
}

}  // namespace

TEST(PlainNet, MatchesLibTorchResNet18) {
  for (int size : {32, 48, 64}) expect_same_logits("resnet18", size, 5, 1);
  expect_same_logits("resnet18", 32, 150, 2);  // chunks of 64, 64 and 22 over two threads
}

TEST(PlainNet, MatchesLibTorchResNet34) { expect_same_logits("resnet34", 40, 3, 2); }

TEST(PlainNet, RejectsDamagedFiles) {
  auto net = random_resnet("resnet18", 1);
  net->fold_batchnorm();
  auto bytes = export_plain(*net, 32)->to_bytes();
  EXPECT_THROW(PlainNet::from_bytes("MWPLAIN0" + bytes.substr(8), "bad-magic"), Error);
  EXPECT_THROW(PlainNet::from_bytes(bytes.substr(0, bytes.size() - 4), "truncated"), Error);
  EXPECT_THROW(PlainNet::from_bytes(bytes.substr(0, 20), "short-header"), Error);
  auto unfolded = random_resnet("resnet18", 1);
  EXPECT_THROW(export_plain(*unfolded, 32), Error);
}
