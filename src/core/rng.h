// A small seeded generator (SplitMix64) whose streams are the same on every
// platform and standard library, so splits and augmentations are reproducible.
#pragma once
#include <cstdint>
#include <utility>

namespace mw {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  // A generator for a sub-stream, e.g. Rng::derive(seed, epoch, sample).
  static Rng derive(std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0) {
    Rng r(a);
    std::uint64_t s = r.next() ^ (b * 0x9E3779B97F4A7C15ull);
    Rng r2(s);
    return Rng(r2.next() ^ (c * 0xC2B2AE3D27D4EB4Full));
  }
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  std::uint64_t below(std::uint64_t n) { return n ? next() % n : 0; }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  template <class It>
  void shuffle(It first, It last) {
    auto n = last - first;
    for (auto i = n - 1; i > 0; --i) std::swap(first[i], first[static_cast<decltype(n)>(below(i + 1))]);
  }

 private:
  std::uint64_t state_;
};

}  // namespace mw
