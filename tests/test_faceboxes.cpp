// FaceBoxes in the plain engine against TF.js running the original graph
// (tests/golden/faceboxes.json, made by tools/detector-probe/golden.js).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/hash.h"
#include "core/paths.h"
#include "data/image_decode.h"
#include "detect/box_math.h"
#include "detect/detector.h"
#include "detect/faceboxes.h"
#include "fixture.h"
#include "golden_canvas.h"
#include "infer/fast_conv.h"
#include "infer/plain_ops.h"

using namespace mw;

namespace {

constexpr double kMapTolerance = 1e-4;  // relative to 1 + |value|
constexpr float kCompareFromScore = 0.3f;

json golden() { return tfjs_golden::read("faceboxes.json"); }

const PlainNet& net_for(int side) {
  static const PlainNet net = load_faceboxes(faceboxes_dir(), side);
  return net;
}

}  // namespace

// Worked by hand for a 512 px canvas: scale 0 is 16 x 16 cells of 21 anchors,
// scale 1 8 x 8 of one, scale 2 4 x 4 of one. The first anchor (32 px,
// densified 4 x 4 in the top-left cell): the cell's centre is 16 px, the 32 px
// box starts at 0, its first of four sub-centres is at 4 px, so the box spans
// -12..20 px, clipped to 0..20: centre 10/512, size 20/512.
TEST(FaceBoxes, AnchorsFollowTheOriginalLayout) {
  const auto a = faceboxes_anchors(512);
  ASSERT_EQ(a.size(), 16u * 16 * 21 + 8 * 8 + 4 * 4);
  EXPECT_FLOAT_EQ(a[0].cy, 10.f / 512);
  EXPECT_FLOAT_EQ(a[0].h, 20.f / 512);
  EXPECT_FLOAT_EQ(a[0].cx, 10.f / 512);
  // The second anchor shifts in y (the original's inner loop): centre 12 px, spans -4..28 -> 0..28.
  EXPECT_FLOAT_EQ(a[1].cy, 14.f / 512);
  EXPECT_FLOAT_EQ(a[1].cx, 10.f / 512);
  // The cell's last anchor: 128 px centred on the cell (16 px), clipped to 0..80.
  EXPECT_FLOAT_EQ(a[20].cy, 40.f / 512);
  EXPECT_FLOAT_EQ(a[20].h, 80.f / 512);
  // The last anchor: 512 px centred on the last cell of scale 2 (448 px), clipped to 192..512.
  EXPECT_FLOAT_EQ(a.back().cy, 352.f / 512);
  EXPECT_FLOAT_EQ(a.back().w, 320.f / 512);
}

TEST(FaceBoxes, CanvasMustBeAMultipleOfTheLastStride) {
  EXPECT_THROW(load_faceboxes(faceboxes_dir(), 500), Error);
  EXPECT_THROW(FaceDetector(faceboxes_dir(), DetectorOptions{100}), Error);
}

TEST(FaceBoxes, HeadMapsMatchTheOriginalGraph) {
  const json g = golden();
  const int side = g.at("side");
  const PlainNet& net = net_for(side);
  ASSERT_EQ(net.precision(), Precision::fp32);
  const char* heads[] = {"class_predictor_0",        "box_encoding_predictor_0", "class_predictor_1",
                         "box_encoding_predictor_1", "class_predictor_2",        "box_encoding_predictor_2"};
  for (const auto& photo : g.at("photos")) {
    const auto canvas = tfjs_golden::canvas_of(photo.at("image"), side);
    ASSERT_EQ(sha256_hex({reinterpret_cast<const char*>(canvas.data()), canvas.size()}), photo.at("canvas_sha256"));
    const auto& act = net.forward(canvas.data(), 1);
    for (int h = 0; h < 6; ++h) {
      const json& want = photo.at("maps").at(std::string("prediction_layers/") + heads[h] + "/BiasAdd");
      const Activation& got = act[static_cast<std::size_t>(net.outputs[h])];
      const auto shape = want.at("shape").get<std::vector<int>>();
      ASSERT_EQ(std::vector<int>({got.n, got.h, got.w, got.c}), shape) << heads[h];
      double sum = 0;
      for (std::size_t i = 0; i < got.size(); ++i) sum += got.data[i];
      const double want_sum = want.at("sum");
      EXPECT_NEAR(sum, want_sum, kMapTolerance * (static_cast<double>(got.size()) + std::fabs(want_sum)))
          << photo.at("image") << " " << heads[h];
      const auto idx = want.at("indices").get<std::vector<std::size_t>>();
      const auto values = want.at("values").get<std::vector<double>>();
      for (std::size_t i = 0; i < idx.size(); ++i)
        EXPECT_NEAR(got.data.at(idx[i]), values[i], kMapTolerance * (1 + std::fabs(values[i])))
            << photo.at("image") << " " << heads[h] << " at " << idx[i];
    }
  }
}

// The graph's own decoding and NMS against faceboxes_decode and
// non_max_suppression: the same boxes, in the same order, down to kCompareFromScore.
TEST(FaceBoxes, DecodedBoxesMatchTheOriginalGraph) {
  const json g = golden();
  const int side = g.at("side");
  const PlainNet& net = net_for(side);
  const auto anchors = faceboxes_anchors(side);
  for (const auto& photo : g.at("photos")) {
    const auto canvas = tfjs_golden::canvas_of(photo.at("image"), side);
    const auto found = faceboxes_decode(net, net.forward(canvas.data(), 1), 0, anchors, kCompareFromScore);
    std::vector<Box> boxes;
    std::vector<float> scores;
    for (const auto& f : found) boxes.push_back({f.box[1], f.box[0], f.box[3], f.box[2]}), scores.push_back(f.score);
    const auto kept = non_max_suppression(boxes, scores, g.at("nms").at("iou_threshold"), 200);
    const auto want_scores = photo.at("final").at("scores").get<std::vector<double>>();
    const auto want_boxes = photo.at("final").at("boxes").get<std::vector<double>>();
    std::size_t compared = 0;
    for (std::size_t i = 0; i < want_scores.size() && want_scores[i] >= kCompareFromScore; ++i, ++compared) {
      ASSERT_LT(i, kept.size()) << photo.at("image") << ": the graph keeps more boxes";
      const std::size_t k = kept[i];
      EXPECT_NEAR(scores[k], want_scores[i], kMapTolerance) << photo.at("image") << " box " << i;
      const float got[4] = {boxes[k].ymin, boxes[k].xmin, boxes[k].ymax, boxes[k].xmax};
      for (int c = 0; c < 4; ++c) EXPECT_NEAR(got[c], want_boxes[4 * i + c], kMapTolerance) << photo.at("image");
    }
    EXPECT_GE(compared, 1u) << photo.at("image") << " has no confident face to compare";
  }
}

// The dataset's maksssksksss0 (a street, 3 annotated faces, one of 14 px):
// the detector finds at least 2, in the photo's pixels.
TEST(FaceBoxes, DetectorFindsMostFacesOfADatasetPhoto) {
  const std::string stem = "maksssksksss0";
  const std::string path = fixture::data_dir() + "/images/" + stem + ".jpg";
  const cv::Mat rgb = decode_image_rgb(read_file(path), path, {1L << 26, 1 << 14});
  const FaceDetector detector(faceboxes_dir());
  const auto faces = detector.detect(rgb.data, rgb.cols, rgb.rows);
  const auto truths = read_voc_boxes(fixture::data_dir() + "/annotations/" + stem + ".xml");
  int found = 0;
  for (const auto& t : truths)
    found += std::any_of(faces.begin(), faces.end(), [&](const FaceBox& f) { return iou(f.box, t) >= 0.5; });
  EXPECT_GE(found * 3, static_cast<int>(truths.size()) * 2) << found << " of " << truths.size();
  for (const auto& f : faces) {
    EXPECT_GE(f.box.xmin, 0.f);
    EXPECT_LE(f.box.xmax, static_cast<float>(rgb.cols));
    EXPECT_GE(f.score, detector.options().min_score);
  }
}
