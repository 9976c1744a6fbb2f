// CenterNet in the plain engine against TF.js running the original graph
// (tests/golden/centernet.json, made by tools/detector-probe/centernet_golden.sh):
// every recorded map, from the stem to the head, on three dataset photos.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/hash.h"
#include "core/paths.h"
#include "data/image_decode.h"
#include "detect/centernet.h"
#include "fixture.h"
#include "golden_canvas.h"
#include "infer/fast_conv.h"
#include "infer/plain_ops.h"

using namespace mw;

namespace {

// Two correct float32 runs (TF.js's wasm and cpu backends) differ by up to
// 3e-5 of a map's largest magnitude (the golden's backend_agreement): the
// port is held to 1e-4 of it.
constexpr double kMapTolerance = 1e-4;

json golden() { return tfjs_golden::read("centernet.json"); }

// The map TF.js recorded under `want` against `got` (NHWC, one image).
void expect_map(const std::string& what, const json& want, const std::vector<float>& got,
                const std::vector<std::size_t>& indices) {
  const double largest = std::max(std::fabs(want.at("min").get<double>()), std::fabs(want.at("max").get<double>()));
  const double tol = kMapTolerance * (1 + largest);
  const auto values = want.at("values").get<std::vector<double>>();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::size_t at = indices.empty() ? i : indices[i];
    ASSERT_LT(at, got.size()) << what;
    EXPECT_NEAR(got[at], values[i], tol) << what << " at " << at;
  }
  double sum = 0;
  for (float v : got) sum += v;
  EXPECT_NEAR(sum, want.at("sum").get<double>(), tol * std::sqrt(double(got.size())) * 10) << what << " sum";
}

}  // namespace

TEST(CenterNet, CanvasMustBeAMultipleOfTheLastStride) {
  const auto weights = load_centernet_weights(centernet_dir());
  EXPECT_THROW(centernet_from_tfjs(weights, 500), Error);
  EXPECT_NO_THROW(centernet_from_tfjs(weights, 96));
}

TEST(CenterNet, EveryRecordedMapMatchesTheOriginalGraph) {
  const json g = golden();
  const int side = g.at("side");
  const CenterNetGraph graph = centernet_from_tfjs(load_centernet_weights(centernet_dir()), side);
  const PlainNet& net = graph.net;
  ASSERT_EQ(net.precision(), Precision::fp32);
  for (const auto& photo : g.at("photos")) {
    const std::string image = photo.at("image");
    const auto canvas = tfjs_golden::canvas_of(image, side);
    ASSERT_EQ(sha256_hex({reinterpret_cast<const char*>(canvas.data()), canvas.size()}), photo.at("canvas_sha256"));
    const auto& act = net.forward(canvas.data(), 1);
    int compared = 0;
    for (const auto& [name, want] : photo.at("maps").items()) {
      std::string node = want.at("node");
      node = node.substr(node.find('/') + 1);  // without "tower_0/"
      // keypoints and wh are the graph's sigmoid and x16 of the two head maps, read from these.
      const bool keypoints = name == "keypoints", wh = name == "wh";
      if (keypoints) node = "CenternetHead/centernet_cls_output/BiasAdd";
      if (wh) node = "CenternetHead/centernet_wh_output/BiasAdd";
      const auto it = graph.nodes.find(node);
      if (it == graph.nodes.end()) continue;
      const Activation& a = act[static_cast<std::size_t>(it->second)];
      ASSERT_EQ(std::vector<int>({a.n, a.h, a.w, a.c}), want.at("shape").get<std::vector<int>>()) << name;
      std::vector<float> got(a.data.begin(), a.data.begin() + static_cast<std::ptrdiff_t>(a.size()));
      for (auto& v : got) v = keypoints ? 1.f / (1.f + std::exp(-v)) : wh ? v * kCenterNetBoxScale : v;
      const std::string count = std::to_string(got.size());
      const auto indices = g.at("indices").contains(count) ? g.at("indices").at(count).get<std::vector<std::size_t>>()
                                                           : std::vector<std::size_t>();
      expect_map(image + " " + name, want, got, indices);
      ++compared;
    }
    EXPECT_GE(compared, 25) << image << ": maps compared";
  }
}

// The graph's own decoding (its 100 detections: 3x3 peaks, top-K over every
// cell and class, boxes from the distances) against centernet_decode on the
// port's maps: the same peaks in the same order, down to kCompareFromScore.
TEST(CenterNet, DecodedPeaksMatchTheOriginalGraph) {
  constexpr float kCompareFromScore = 0.05f;
  constexpr int kTopK = 100;
  const json g = golden();
  const int side = g.at("side");
  const CenterNetGraph graph = centernet_from_tfjs(load_centernet_weights(centernet_dir()), side);
  for (const auto& photo : g.at("photos")) {
    const std::string image = photo.at("image");
    const auto canvas = tfjs_golden::canvas_of(image, side);
    const auto& act = graph.net.forward(canvas.data(), 1);
    const auto peaks = centernet_decode(act[static_cast<std::size_t>(graph.net.outputs[0])],
                                        act[static_cast<std::size_t>(graph.net.outputs[1])], 0, kTopK);
    ASSERT_EQ(peaks.size(), static_cast<std::size_t>(kTopK)) << image;
    std::size_t compared = 0;
    for (const auto& row : photo.at("detections")) {
      const auto want = row.get<std::vector<double>>();
      if (want[4] < kCompareFromScore) break;
      const auto& got = peaks.at(compared++);
      EXPECT_NEAR(got.score, want[4], kMapTolerance) << image << " peak " << compared;
      EXPECT_EQ(got.cls, int(want[5])) << image << " peak " << compared;
      for (int i = 0; i < 4; ++i) EXPECT_NEAR(got.box[i], want[i], 0.05) << image << " peak " << compared;
    }
    EXPECT_GE(compared, 5u) << image;
  }
}
