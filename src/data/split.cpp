#include "data/split.h"

#include <algorithm>
#include <cmath>

#include "core/hash.h"
#include "core/rng.h"

namespace mw {

json SplitManifest::to_json() const {
  return {{"seed", seed},
          {"fractions", {train_fraction, val_fraction, 1.0 - train_fraction - val_fraction}},
          {"train", stems[0]},
          {"val", stems[1]},
          {"test", stems[2]}};
}

SplitManifest SplitManifest::from_json(const json& j) {
  SplitManifest m;
  m.seed = j.at("seed");
  m.train_fraction = j.at("fractions")[0];
  m.val_fraction = j.at("fractions")[1];
  for (int s = 0; s < 3; ++s) m.stems[s] = j.at(kSplitNames[s]).get<std::vector<std::string>>();
  return m;
}

std::string SplitManifest::hash() const { return sha256_hex(to_json().dump()); }

int SplitManifest::split_of(const std::string& stem) const {
  for (int s = 0; s < 3; ++s)
    if (std::binary_search(stems[s].begin(), stems[s].end(), stem)) return s;
  return -1;
}

int split_index(const std::string& name) {
  for (int s = 0; s < 3; ++s)
    if (name == kSplitNames[s]) return s;
  throw Error("split", "unknown split '" + name + "' (train, val or test)");
}

SplitManifest split_by_image(const DatasetIndex& index, double train_fraction, double val_fraction,
                             std::uint64_t seed) {
  if (train_fraction <= 0 || val_fraction < 0 || train_fraction + val_fraction > 1)
    throw Error("split", "fractions must satisfy 0 < train, 0 <= val, train + val <= 1");
  // Stratum = the rarest class present; class indices grow with rarity.
  std::vector<std::vector<std::string>> strata(kNumClasses);
  for (const auto& r : index.images) {
    int s = r.labels.empty() ? 0 : *std::max_element(r.labels.begin(), r.labels.end());
    strata[s].push_back(r.stem);
  }
  SplitManifest m;
  m.seed = seed;
  m.train_fraction = train_fraction;
  m.val_fraction = val_fraction;
  for (int k = 0; k < kNumClasses; ++k) {
    auto& stems = strata[k];
    std::sort(stems.begin(), stems.end());
    Rng rng = Rng::derive(seed, k);
    rng.shuffle(stems.begin(), stems.end());
    auto n = stems.size();
    auto n_train = static_cast<std::size_t>(std::llround(n * train_fraction));
    auto n_val = std::min(n - n_train, static_cast<std::size_t>(std::llround(n * val_fraction)));
    for (std::size_t i = 0; i < n; ++i) m.stems[i < n_train ? 0 : i < n_train + n_val ? 1 : 2].push_back(stems[i]);
  }
  for (auto& s : m.stems) std::sort(s.begin(), s.end());
  return m;
}

}  // namespace mw
