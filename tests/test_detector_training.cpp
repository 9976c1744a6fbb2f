// Fine-tuning the face detector: the LibTorch FaceBoxes against the plain
// engine, anchor targets and the loss worked by hand, a short training, and
// an interrupted run resumed to the same weights.
#include <gtest/gtest.h>

#include <cmath>

#include "core/paths.h"
#include "data/image_decode.h"
#include "detect/detector.h"
#include "detect/detector_artifact.h"
#include "detect/faceboxes.h"
#include "detect/faceboxes_torch.h"
#include "detect/train_detector.h"
#include "detect/trainable_detector.h"
#include "infer/plain_ops.h"
#include "model_fixture.h"
#include "store/object_store.h"

using namespace mw;

namespace {

constexpr int kSide = 512;
constexpr double kMapTolerance = 1e-4;  // relative to 1 + |value|

const std::map<std::string, TfjsTensor>& pretrained() {
  static const auto w = load_faceboxes_weights(faceboxes_dir());
  return w;
}

cv::Mat photo(const std::string& stem) {
  const std::string path = fixture::data_dir() + "/images/" + stem + ".jpg";
  return decode_image_rgb(read_file(path), path, {1L << 26, 1 << 14});
}

// The photo at the top left of side x side zeros (cut to the canvas).
std::vector<std::uint8_t> canvas_of(const cv::Mat& rgb, int side) {
  std::vector<std::uint8_t> canvas(static_cast<std::size_t>(side) * side * 3, 0);
  for (int y = 0; y < std::min(rgb.rows, side); ++y)
    std::copy_n(rgb.ptr<std::uint8_t>(y), std::min(rgb.cols, side) * 3,
                canvas.data() + static_cast<std::size_t>(y) * side * 3);
  return canvas;
}

// max |torch - plain| / (1 + |plain|) over the six head maps.
double max_map_difference(const PlainNet& net, FaceBoxesTorchImpl& module, const std::vector<std::uint8_t>& canvas,
                          int side) {
  const auto& act = net.forward(canvas.data(), 1);
  torch::NoGradGuard g;
  const auto maps = module.head_maps(faceboxes_input(canvas.data(), 1, side));
  double worst = 0;
  for (std::size_t i = 0; i < maps.size(); ++i) {
    const Activation& a = act[static_cast<std::size_t>(net.outputs[i])];
    const auto nhwc = maps[i].permute({0, 2, 3, 1}).contiguous();
    EXPECT_EQ(nhwc.numel(), static_cast<int64_t>(a.h) * a.w * a.c) << "head " << i;
    const float* t = nhwc.data_ptr<float>();
    for (int y = 0; y < a.h; ++y)
      for (int x = 0; x < a.w; ++x)
        for (int c = 0; c < a.c; ++c) {
          const float p = a.data[a.index(0, y, x, c)], q = t[(static_cast<std::size_t>(y) * a.w + x) * a.c + c];
          worst = std::max(worst, std::abs(double(p) - q) / (1 + std::abs(double(p))));
        }
  }
  return worst;
}

}  // namespace

TEST(FaceBoxesTorch, HeadMapsEqualThePlainEngine) {
  FaceBoxesTorch module(pretrained());
  const PlainNet net = faceboxes_from_tfjs(pretrained(), kSide);
  EXPECT_LT(max_map_difference(net, *module, canvas_of(photo("maksssksksss0"), kSide), kSide), kMapTolerance);
}

TEST(FaceBoxesTorch, ExportedWeightsBuildTheSameNetwork) {
  FaceBoxesTorch module(pretrained());
  const auto exported = module->export_weights();
  for (const auto& [name, t] : exported) {
    const TfjsTensor& original = pretrained().at(name);
    EXPECT_EQ(t.shape, original.shape) << name;
    EXPECT_EQ(t.values, original.values) << name;
  }
  // Through the artifact's bytes too, after a change the plain engine must see.
  {
    torch::NoGradGuard g;
    module->parameters()[0].mul_(1.5f);
  }
  const TfjsFiles files = encode_tfjs_weights(module->export_weights(), "w.bin");
  const auto decoded = decode_tfjs_weights(files.manifest, files.data, "w.json");
  const PlainNet net = faceboxes_from_tfjs(decoded, kSide);
  EXPECT_LT(max_map_difference(net, *module, canvas_of(photo("maksssksksss1"), kSide), kSide), kMapTolerance);
}

// A 240 x 240 px face at x 176..416, y 168..408 of a 512 px canvas. Scale 1's
// anchors are 256 px on a 64 px grid; the one of cell (4, 4) is centred at
// (288, 288) and holds the face (IoU 57600 / 65536 = 0.88). Its codes:
// ty = 10 * (288 - 288) / 256 = 0, tx = 10 * (296 - 288) / 256 = 0.3125,
// th = tw = 5 * ln(240 / 256) = -0.3226926.
TEST(DetectorTargets, MatchAndEncodeAsTheGraphDecodes) {
  const auto anchors = faceboxes_anchors(kSide);
  const std::size_t scale0 = 16 * 16 * 21, at = scale0 + 4 * 8 + 4;
  ASSERT_FLOAT_EQ(anchors[at].cy, 288.f / kSide);
  const auto t = faceboxes_targets(anchors, {{176, 168, 416, 408}}, kSide);
  ASSERT_EQ(t.labels.size(), anchors.size());
  EXPECT_EQ(t.labels[at], 1);
  EXPECT_NEAR(t.codes[4 * at + 0], 0.f, 1e-5);
  EXPECT_NEAR(t.codes[4 * at + 1], 0.3125f, 1e-5);
  EXPECT_NEAR(t.codes[4 * at + 2], -0.3226926f, 1e-5);
  EXPECT_NEAR(t.codes[4 * at + 3], -0.3226926f, 1e-5);
  EXPECT_EQ(t.labels[0], 0);  // the top-left 32 px anchor: background
  // The neighbour at (4, 5), centred at (288, 352): IoU 46080 / 77056 = 0.60 >= 0.35.
  EXPECT_EQ(t.labels[at + 1], 1);
  // Decoding the codes as faceboxes_decode does gives the face back.
  const auto& a = anchors[at];
  const float cy = t.codes[4 * at] / 10 * a.h + a.cy, h = std::exp(t.codes[4 * at + 2] / 5) * a.h;
  EXPECT_NEAR((cy - h / 2) * kSide, 168.f, 1e-3);
  // A box under a pixel is no target: every anchor is background.
  const auto none = faceboxes_targets(anchors, {{10, 10, 10.5f, 30}}, kSide);
  EXPECT_EQ(std::count(none.labels.begin(), none.labels.end(), 0), static_cast<long>(anchors.size()));
}

// One positive, three negatives, one ignored anchor:
//   positive: logits (0, 0)   -> CE ln 2; codes (0, 0.5, 2, 0) vs 0 -> smooth-L1 0.125 + 1.5
//   negatives: logits (0, a), a = 2, 1, 0 -> CE ln(1 + e^a)
//   ignored: logits (0, 10), codes 100 -> nothing.
TEST(DetectorLoss, HardNegativesAndSmoothL1ByHand) {
  FaceBoxesOutput out;
  out.logits = torch::tensor({0.f, 0.f, 0.f, 1.f, 0.f, 2.f, 0.f, 0.f, 0.f, 10.f}).view({1, 5, 2});
  auto codes = torch::full({1, 5, 4}, 100.f);
  codes[0][0] = torch::tensor({0.f, 0.5f, 2.f, 0.f});
  out.codes = codes;
  const auto labels = torch::tensor({int64_t(1), int64_t(0), int64_t(0), int64_t(0), int64_t(-1)}).view({1, 5});
  const auto target = torch::zeros({1, 5, 4});
  const double ln2 = std::log(2.0), loc = 0.125 + 1.5;
  const auto one = faceboxes_loss(out, labels, target, 1);  // the hardest negative: a = 2
  EXPECT_NEAR(one.classification.item<double>(), ln2 + std::log(1 + std::exp(2.0)), 1e-5);
  EXPECT_NEAR(one.localisation.item<double>(), loc, 1e-5);
  const auto three = faceboxes_loss(out, labels, target);
  EXPECT_NEAR(three.classification.item<double>(),
              ln2 + std::log(1 + std::exp(2.0)) + std::log(1 + std::exp(1.0)) + ln2, 1e-5);
  EXPECT_NEAR(three.total.item<double>(), three.classification.item<double>() + loc, 1e-5);
}

// A zoomed-in view (zoom chance 1): one face makes 30-80% of a frame whose
// longer side is drawn at 0.6-1.6 x the canvas, so that on the crop it is at
// least 0.3 x 0.6 x 512 = 92 px (more where the frame meets the photo's edge).
TEST(DetectorAugment, ZoomedViewsShowOneFaceLarge) {
  const cv::Mat rgb = photo("maksssksksss0");
  const std::vector<Box> boxes = {{79, 105, 109, 142}, {185, 100, 226, 144}, {325, 90, 360, 141}};
  CanvasAugment aug;
  aug.crop = 256, aug.canvas = 512, aug.zoom_chance = 1;
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    Rng rng(seed);
    const auto c = make_training_canvas(rgb, boxes, aug, rng);
    float largest = 0;
    for (const auto& b : c.boxes) largest = std::max({largest, b.width(), b.height()});
    EXPECT_GE(largest, 0.3f * 0.6f * 512 - 1) << "seed " << seed;
  }
}

TEST(DetectorAugment, SeededCanvasKeepsItsBoxesInside) {
  const cv::Mat rgb = photo("maksssksksss0");
  const std::vector<Box> boxes = {{79, 105, 109, 142}, {185, 100, 226, 144}, {325, 90, 360, 141}};
  CanvasAugment aug;
  aug.crop = 256, aug.canvas = 512;
  Rng a(7), b(7);
  const auto x = make_training_canvas(rgb, boxes, aug, a), y = make_training_canvas(rgb, boxes, aug, b);
  EXPECT_EQ(x.rgb, y.rgb);
  ASSERT_EQ(x.rgb.size(), 256u * 256 * 3);
  ASSERT_FALSE(x.boxes.empty());
  for (const auto& box : x.boxes) {
    EXPECT_GE(box.xmin, 0.f);
    EXPECT_LE(box.xmax, 256.f);
    EXPECT_GE(box.width(), 1.f);
  }
}

// Adam on one fixed batch of four photos: the loss must fall.
TEST(DetectorTraining, LossFallsOnAFixedBatch) {
  torch::manual_seed(0);
  at::set_num_threads(2);
  constexpr int kCrop = 256;
  FaceBoxesTorch net(pretrained());
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(1e-3));
  const auto anchors = faceboxes_anchors(kCrop);
  std::vector<std::uint8_t> pixels;
  auto labels = torch::empty({4, static_cast<int64_t>(anchors.size())}, torch::kLong);
  auto codes = torch::empty({4, static_cast<int64_t>(anchors.size()), 4});
  CanvasAugment aug;
  aug.crop = kCrop, aug.canvas = kCrop, aug.min_scale = aug.max_scale = 1;
  const std::vector<Box> boxes = {{40, 50, 70, 90}, {120, 40, 160, 90}, {180, 100, 230, 150}};
  for (int i = 0; i < 4; ++i) {
    Rng rng(static_cast<std::uint64_t>(i));
    const auto c = make_training_canvas(photo("maksssksksss" + std::to_string(i)), boxes, aug, rng);
    pixels.insert(pixels.end(), c.rgb.begin(), c.rgb.end());
    const auto t = faceboxes_targets(anchors, c.boxes, kCrop);
    std::copy(t.labels.begin(), t.labels.end(), labels[i].data_ptr<int64_t>());
    std::copy(t.codes.begin(), t.codes.end(), codes[i].data_ptr<float>());
  }
  const auto x = faceboxes_input(pixels.data(), 4, kCrop);
  double first = 0, last = 0;
  for (int step = 0; step < 8; ++step) {
    adam.zero_grad();
    const auto loss = faceboxes_loss(net->forward(x), labels, codes);
    loss.total.backward();
    adam.step();
    (step == 0 ? first : last) = loss.total.item<double>();
  }
  EXPECT_LT(last, 0.7 * first);
}

namespace {
DetectorTrainOptions tiny_detector_training(const std::string& run, const std::string& arch = kFaceBoxesArch) {
  DetectorTrainOptions o;
  o.arch = arch;
  o.store = fixture::small_store();
  o.run = run;
  o.epochs = 2;
  o.batch = 2;
  o.crop = 256;
  o.canvas = 256;
  o.limit = 4;  // two steps an epoch
  o.val_limit = 2;
  o.threads = 2;
  o.seed = 5;
  return o;
}
}  // namespace

// Killed in the second epoch, resumed: the same weights (the id is their hash)
// as the run that was not interrupted; the artifact loads as a FaceDetector.
void expect_resume_equals_whole(const std::string& arch) {
  const json whole = train_detector(tiny_detector_training("det-whole-" + arch, arch));
  auto interrupted = tiny_detector_training("det-killed-" + arch, arch);
  interrupted.stop_after_batches = 3;
  EXPECT_THROW(train_detector(interrupted), Error);
  auto resumed = tiny_detector_training("det-killed-" + arch, arch);
  resumed.resume = true;
  const json again = train_detector(resumed);
  EXPECT_EQ(again.at("id"), whole.at("id"));
  EXPECT_EQ(again.at("history").size(), 2u);
  auto store = open_store(fixture::small_store());
  EXPECT_EQ(resolve_detector_id(*store, "latest"), again.at("id").get<std::string>());
  const auto meta = load_detector_meta(*store, again.at("id"));
  EXPECT_EQ(meta.at("epochs"), 2);
  EXPECT_EQ(meta.at("arch"), arch);
  const FaceDetector detector = load_detector(*store, "latest");  // at the canvas it was validated at
  EXPECT_EQ(detector.options().canvas, 256);
  EXPECT_EQ(detector.arch(), arch);
  const cv::Mat rgb = photo("maksssksksss0");
  EXPECT_NO_THROW(detector.detect(rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows));
  // A changed setting is refused on --resume.
  resumed.lr = 1;
  EXPECT_THROW(train_detector(resumed), Error);
}

TEST(DetectorTraining, ResumedRunEqualsAnUninterruptedOne) { expect_resume_equals_whole(kFaceBoxesArch); }

TEST(DetectorTraining, ResumedCenterNetRunEqualsAnUninterruptedOne) { expect_resume_equals_whole(kCenterNetArch); }

TEST(DetectorTraining, UnknownArchitectureIsNamed) {
  auto o = tiny_detector_training("det-typo", "centrenet");
  try {
    train_detector(o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'centernet'"), std::string::npos) << e.what();
  }
}
