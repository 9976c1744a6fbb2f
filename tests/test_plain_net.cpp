// The plain engine against LibTorch, the reference: the same ResNet, BatchNorm
// folded, on the same crops, for several input sizes, batch sizes and threads.
#include <gtest/gtest.h>

#include <functional>
#include <limits>

#include "core/rng.h"
#include "infer/plain_net.h"
#include "maskwatch.h"
#include "model/network.h"
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

// The file with its JSON header changed by edit().
template <class F>
std::string with_header(const std::string& bytes, F edit) {
  std::uint32_t len = 0;
  for (int i = 0; i < 4; ++i) len |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  auto h = json::parse(bytes.substr(12, len));
  edit(h);
  const std::string text = h.dump();
  std::string out = bytes.substr(0, 8);
  const auto n = static_cast<std::uint32_t>(text.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return out + text + bytes.substr(12 + len);
}

// The error's reason, or "" when from_bytes accepts the file.
std::string load_error(const std::string& bytes) {
  try {
    PlainNet::from_bytes(bytes, "edited");
  } catch (const Error& e) {
    EXPECT_EQ(e.where(), "edited");
    return e.reason();
  }
  return "";
}

}  // namespace

TEST(PlainNet, MatchesLibTorchResNet18) {
  for (int size : {32, 48, 64}) expect_same_logits("resnet18", size, 5, 1);
  expect_same_logits("resnet18", 32, 150, 2);  // chunks of 64, 64 and 22 over two threads
}

TEST(PlainNet, MatchesLibTorchResNet34) { expect_same_logits("resnet34", 40, 3, 2); }

// face-resnet with face-api's weights: folded affine layers, stride-2 'valid'
// convolutions zero-padded to their average-pooled, channel-padded shortcuts.
// 112 and 150 px, and 121 px, where every down block's sides are odd.
TEST(PlainNet, MatchesLibTorchFaceResNet) {
  torch::manual_seed(5);
  auto net = make_network("face-resnet", kNumClasses);
  net->eval();
  for (int size : {112, 121, 150}) {
    const std::int64_t n = 3;
    auto crops = random_crops(n, size, 13);
    auto reference = logits_for_crops(*net, crops.data(), n, size, size).contiguous();
    auto plain = export_plain(*net, size);
    ASSERT_TRUE(plain.has_value());
    auto loaded = PlainNet::from_bytes(plain->to_bytes(), "test");
    std::vector<float> out(static_cast<std::size_t>(n) * kNumClasses);
    loaded.logits(crops.data(), n, out.data(), 2);
    for (std::int64_t i = 0; i < n * kNumClasses; ++i)
      EXPECT_NEAR(out[i], reference.data_ptr<float>()[i], kLogitTolerance) << size << " px, logit " << i;
  }
}

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

TEST(PlainNet, RejectsHeadersThatDoNotFitTogether) {
  auto net = random_resnet("resnet18", 1);
  net->fold_batchnorm();
  const auto bytes = export_plain(*net, 32)->to_bytes();
  ASSERT_EQ(load_error(with_header(bytes, [](json&) {})), "");  // the round trip itself is fine

  auto first_residual = [](const json& h) {
    for (std::size_t i = 0; i < h["ops"].size(); ++i)
      if (h["ops"][i]["residual"].get<int>() >= 0) return i;
    return std::size_t{0};
  };
  const std::vector<std::pair<std::string, std::function<void(json&)>>> edits = {
      {"cin", [](json& h) { h["ops"][0]["cin"] = 4; }},
      {"cin", [](json& h) { h["ops"][0]["cin"] = -3; }},
      {"stride", [](json& h) { h["ops"][0]["stride"] = 0; }},
      {"pad", [](json& h) { h["ops"][0]["pad"] = h["ops"][0]["k"]; }},
      {"pad", [](json& h) { h["ops"][1]["pad"] = -1; }},  // the max pool
      {"kernel", [](json& h) { h["ops"][0]["k"] = 0; }},
      {"residual", [&](json& h) { h["ops"][first_residual(h)]["residual"] = 0; }},
      {"no earlier op writes", [](json& h) { h["ops"][1]["in"] = h["ops"].back()["out"]; }},
      {"cin", [](json& h) { h["ops"].back()["cin"] = 7; }},  // the classifier after the pooling
      {"class logits", [](json& h) { h["classes"] = 2; }},
      {"writes a buffer it reads", [](json& h) { h["ops"][1]["out"] = h["ops"][1]["in"]; }},
      {"buffers", [](json& h) { h["buffers"] = 1 << 30; }},
      {"parameters", [](json& h) { h["ops"][0]["weight"] = std::numeric_limits<std::size_t>::max() - 8; }},
      {"parameter block", [](json& h) { h["params"] = h["params"].get<std::size_t>() + (std::size_t{1} << 62); }},
  };
  for (const auto& [expected, edit] : edits) {
    const auto why = load_error(with_header(bytes, edit));
    EXPECT_NE(why.find(expected), std::string::npos) << "expected '" << expected << "', got '" << why << "'";
  }
}
