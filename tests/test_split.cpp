#include <gtest/gtest.h>

#include <set>

#include "core/rng.h"
#include "data/split.h"

using namespace mw;

namespace {
DatasetIndex synthetic(int n) {
  DatasetIndex idx;
  Rng rng(42);
  for (int i = 0; i < n; ++i) {
    ImageRecord r;
    r.stem = "img" + std::to_string(i);
    int boxes = 1 + static_cast<int>(rng.below(5));
    for (int b = 0; b < boxes; ++b) {
      double u = rng.uniform();
      r.labels.push_back(u < 0.8 ? 0 : u < 0.97 ? 1 : 2);
      r.boxes.push_back({0, 0, 10, 10});
    }
    idx.images.push_back(r);
  }
  return idx;
}
}  // namespace

TEST(Split, DeterministicForASeed) {
  auto idx = synthetic(300);
  auto a = split_by_image(idx, 0.6, 0.2, 7), b = split_by_image(idx, 0.6, 0.2, 7), c = split_by_image(idx, 0.6, 0.2, 8);
  EXPECT_EQ(a.to_json(), b.to_json());
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_NE(a.stems[0], c.stems[0]);
}

TEST(Split, EveryImageInExactlyOneSplit) {
  auto idx = synthetic(300);
  auto m = split_by_image(idx, 0.6, 0.2, 1);
  std::multiset<std::string> seen;
  for (const auto& s : m.stems) seen.insert(s.begin(), s.end());
  EXPECT_EQ(seen.size(), idx.images.size());
  for (const auto& r : idx.images) {
    EXPECT_EQ(seen.count(r.stem), 1u) << r.stem;
    EXPECT_GE(m.split_of(r.stem), 0);
  }
  EXPECT_EQ(m.split_of("nope"), -1);
}

TEST(Split, FractionsAndStratification) {
  auto idx = synthetic(500);
  auto m = split_by_image(idx, 0.6, 0.2, 3);
  EXPECT_NEAR(m.stems[0].size() / 500.0, 0.6, 0.02);
  EXPECT_NEAR(m.stems[1].size() / 500.0, 0.2, 0.02);
  // Every split holds images with the rare class.
  for (int s = 0; s < 3; ++s) {
    int rare = 0;
    for (const auto& r : idx.images)
      if (m.split_of(r.stem) == s && std::count(r.labels.begin(), r.labels.end(), 2)) ++rare;
    EXPECT_GT(rare, 0) << kSplitNames[s];
  }
}

TEST(Split, ManifestRoundTripsThroughJson) {
  auto m = split_by_image(synthetic(50), 0.6, 0.2, 5);
  auto back = SplitManifest::from_json(json::parse(m.to_json().dump()));
  EXPECT_EQ(back.hash(), m.hash());
}

TEST(Split, RejectsBadFractions) {
  EXPECT_THROW(split_by_image(synthetic(10), 0.9, 0.2, 0), Error);
  EXPECT_THROW(split_by_image(synthetic(10), 0.0, 0.2, 0), Error);
  EXPECT_THROW(split_index("holdout"), Error);
}
