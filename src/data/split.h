// Image-level split: every box of an image lands in the same split, so no
// face is trained on and tested on. Stratified by the rarest class an image
// holds, so each split holds the rare class.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace mw {

inline constexpr const char* kManifestKey = "dataset/manifest.json";
inline constexpr const char* kSplitNames[] = {"train", "val", "test"};

struct SplitManifest {
  std::uint64_t seed = 0;
  double train_fraction = 0.6, val_fraction = 0.2;
  std::vector<std::string> stems[3];  // train, val, test; sorted

  json to_json() const;
  static SplitManifest from_json(const json& j);
  std::string hash() const;  // SHA-256 of the canonical JSON
  // 0/1/2 for train/val/test; -1 when the stem is in no split.
  int split_of(const std::string& stem) const;
};

SplitManifest split_by_image(const DatasetIndex& index, double train_fraction, double val_fraction, std::uint64_t seed);
int split_index(const std::string& name);  // "train" -> 0 ...; throws on others

}  // namespace mw
