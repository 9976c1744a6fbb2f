#include "train/sampler.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include "core/rng.h"

namespace mw {

namespace {
constexpr double kSamplerPower = 1.0, kWeightsPower = 0.5;  // --balance-power's defaults

std::array<long, kNumClasses> class_counts(const Shard& s) {
  std::array<long, kNumClasses> n{};
  for (auto l : s.labels) ++n[l];
  return n;
}

}  // namespace

double balance_power_of(const TrainOptions& o) {
  if (o.balance_power >= 0) return o.balance_power;
  return o.balance == "weights" ? kWeightsPower : kSamplerPower;
}

std::vector<double> class_balance(const Shard& s, double power) {
  auto n = class_counts(s);
  long most = *std::max_element(n.begin(), n.end());
  std::vector<double> w(kNumClasses, 0.0);
  for (int k = 0; k < kNumClasses; ++k)
    if (n[k]) w[k] = std::pow(double(most) / n[k], power);
  return w;
}

std::vector<float> class_weights(const Shard& s, const TrainOptions& o) {
  std::vector<float> w(kNumClasses, 1.f);
  if (o.balance != "weights") return w;
  auto b = class_balance(s, balance_power_of(o));
  std::copy(b.begin(), b.end(), w.begin());
  return w;
}

std::vector<std::size_t> epoch_order(const TrainOptions& o, const Shard& s, int epoch) {
  Rng rng = Rng::derive(o.seed, static_cast<std::uint64_t>(epoch), 1);
  std::vector<std::size_t> order(s.count());
  if (o.balance == "sampler") {
    std::vector<std::vector<std::size_t>> by_class(kNumClasses);
    for (std::size_t i = 0; i < s.count(); ++i) by_class[s.labels[i]].push_back(i);
    std::vector<int> present;
    for (int k = 0; k < kNumClasses; ++k)
      if (!by_class[k].empty()) present.push_back(k);
    const double power = balance_power_of(o);
    std::vector<double> cumulative;  // class odds, for powers other than 1
    if (power != kSamplerPower) {
      auto b = class_balance(s, power);
      double total = 0;
      for (int k : present) cumulative.push_back(total += static_cast<double>(by_class[k].size()) * b[k]);
      for (auto& c : cumulative) c /= total;
    }
    auto draw_class = [&]() -> int {
      if (cumulative.empty()) return present[rng.below(present.size())];
      const double u = rng.uniform();
      std::size_t j = 0;
      while (j + 1 < cumulative.size() && u >= cumulative[j]) ++j;
      return present[j];
    };
    for (auto& v : order) {
      const auto& pool = by_class[draw_class()];
      v = pool[rng.below(pool.size())];
    }
  } else {
    std::iota(order.begin(), order.end(), 0);
    rng.shuffle(order.begin(), order.end());
  }
  return order;
}

}  // namespace mw
