// The learning rate of a run's step, shared by the classifier's and the
// detector's trainers: a linear warm-up from kWarmupStartFactor x lr over the
// first `warmup` steps, then cosine decay to zero at `total` steps.
#pragma once
#include <algorithm>
#include <cmath>

namespace mw {

inline constexpr double kWarmupStartFactor = 0.1;

inline double warmup_cosine_lr(double lr, long step, long warmup, long total) {
  if (step < warmup) return lr * (kWarmupStartFactor + (1 - kWarmupStartFactor) * double(step) / double(warmup));
  const double t = double(step - warmup) / double(std::max<long>(1, total - warmup));
  return lr * 0.5 * (1 + std::cos(M_PI * t));
}

}  // namespace mw
