#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "train/sampler.h"

using namespace mw;

namespace {
// 600 / 120 / 30 examples, the shape of this dataset's class counts.
Shard skewed() {
  Shard s;
  s.size = 1;
  const std::array<int, kNumClasses> counts = {600, 120, 30};
  const std::uint8_t px[3] = {0, 0, 0};
  for (int k = 0; k < kNumClasses; ++k)
    for (int i = 0; i < counts[k]; ++i) s.add(px, k, 20, "img");
  return s;
}

// Share of each class among the examples drawn in `epochs` epochs.
std::array<double, kNumClasses> drawn_shares(const TrainOptions& o, const Shard& s, int epochs) {
  std::array<double, kNumClasses> n{};
  double total = 0;
  for (int e = 0; e < epochs; ++e)
    for (auto i : epoch_order(o, s, e)) n[s.labels[i]] += 1, total += 1;
  for (auto& v : n) v /= total;
  return n;
}
}  // namespace

TEST(Sampler, PermutationWithoutBalance) {
  auto s = skewed();
  TrainOptions o;
  o.balance = "none";
  auto order = epoch_order(o, s, 0);
  std::vector<int> seen(s.count(), 0);
  for (auto i : order) ++seen[i];
  for (int c : seen) EXPECT_EQ(c, 1);
  EXPECT_NE(order, epoch_order(o, s, 1));  // another epoch, another order
}

TEST(Sampler, PowerOneDrawsEveryClassEquallyOften) {
  auto s = skewed();
  TrainOptions o;  // the default: sampler, power 1
  ASSERT_EQ(o.balance, "sampler");
  EXPECT_DOUBLE_EQ(balance_power_of(o), 1.0);
  for (double share : drawn_shares(o, s, 20)) EXPECT_NEAR(share, 1.0 / 3, 0.02);
}

TEST(Sampler, PowerSetsTheClassOdds) {
  auto s = skewed();
  TrainOptions o;
  for (double power : {0.0, 0.5}) {
    o.balance_power = power;
    // Class k drawn with odds n_k * (600 / n_k)^power.
    std::array<double, kNumClasses> odds = {600.0, 120 * std::pow(5.0, power), 30 * std::pow(20.0, power)};
    double total = odds[0] + odds[1] + odds[2];
    auto shares = drawn_shares(o, s, 20);
    for (int k = 0; k < kNumClasses; ++k) EXPECT_NEAR(shares[k], odds[k] / total, 0.02) << "power " << power;
  }
}

TEST(Sampler, SameSeedSameOrder) {
  auto s = skewed();
  TrainOptions a, b;
  a.balance_power = b.balance_power = 0.5;
  EXPECT_EQ(epoch_order(a, s, 3), epoch_order(b, s, 3));
  b.seed = a.seed + 1;
  EXPECT_NE(epoch_order(a, s, 3), epoch_order(b, s, 3));
}

TEST(Sampler, LossWeightsOnlyForWeightsMode) {
  auto s = skewed();
  TrainOptions o;
  EXPECT_EQ(class_weights(s, o), std::vector<float>(kNumClasses, 1.f));
  o.balance = "weights";  // default power 0.5
  auto w = class_weights(s, o);
  EXPECT_FLOAT_EQ(w[0], 1.f);
  EXPECT_FLOAT_EQ(w[1], std::sqrt(5.f));
  EXPECT_FLOAT_EQ(w[2], std::sqrt(20.f));
}
