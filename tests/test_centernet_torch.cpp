// The LibTorch CenterNet against the plain engine's port: the same head maps
// on dataset photos, trained weights exported back to the graph's tensors
// building the same plain network, and gradients that reach the stem. Then
// the face detector made of it: its head, its loss by hand, a short training.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iostream>

#include "core/paths.h"
#include "data/image_decode.h"
#include "data/voc.h"
#include "detect/centernet.h"
#include "detect/centernet_torch.h"
#include "detect/detector_artifact.h"
#include "detect/trainable_detector.h"
#include "fixture.h"
#include "golden_canvas.h"
#include "infer/plain_ops.h"

using namespace mw;

namespace {

constexpr int kSide = 512;
// As tests/test_centernet.cpp holds the port to TF.js: each map within 1e-4 of its largest magnitude.
constexpr double kMapTolerance = 1e-4;

const std::map<std::string, TfjsTensor>& pretrained() {
  static const auto w = load_centernet_weights(centernet_dir());
  return w;
}

// Canvases one after another, as PlainNet::forward and centernet_input read them.
std::vector<std::uint8_t> batch_of(const std::vector<std::string>& stems, int side) {
  std::vector<std::uint8_t> out;
  for (const auto& s : stems) {
    const auto c = tfjs_golden::canvas_of(s, side);
    out.insert(out.end(), c.begin(), c.end());
  }
  return out;
}

// For each head map (logits, boxes), the worst over the images of
// max |torch - plain| / max |plain|, the maximum taken over the image's map.
std::array<double, 2> map_differences(const PlainNet& net, CenterNetTorchImpl& module,
                                      const std::vector<std::uint8_t>& canvases, int n, int side) {
  const auto& act = net.forward(canvases.data(), n);
  CenterNetOutput out;
  {
    torch::NoGradGuard g;
    out = module.forward(centernet_input(canvases.data(), n, side));
  }
  const torch::Tensor maps[2] = {out.logits, out.wh_raw};
  std::array<double, 2> worst{0, 0};
  for (std::size_t m = 0; m < 2; ++m) {
    const Activation& a = act[static_cast<std::size_t>(net.outputs[m])];
    const auto nhwc = maps[m].permute({0, 2, 3, 1}).contiguous();
    EXPECT_EQ(std::vector<int64_t>(nhwc.sizes().begin(), nhwc.sizes().end()),
              std::vector<int64_t>({a.n, a.h, a.w, a.c}))
        << "head " << m;
    if (nhwc.numel() != static_cast<int64_t>(a.size())) continue;
    const float* t = nhwc.data_ptr<float>();
    const std::size_t per_image = a.size() / static_cast<std::size_t>(n);
    for (int b = 0; b < n; ++b) {
      const float* p = a.data.data() + a.index(b, 0, 0, 0);
      const float* q = t + b * per_image;
      double largest = 0, diff = 0;
      for (std::size_t i = 0; i < per_image; ++i) {
        largest = std::max(largest, std::fabs(double(p[i])));
        diff = std::max(diff, std::fabs(double(p[i]) - q[i]));
      }
      worst[m] = std::max(worst[m], diff / largest);
    }
  }
  return worst;
}

}  // namespace

TEST(CenterNetTorch, HeadMapsEqualThePlainEngine) {
  CenterNetTorch module(pretrained());
  const CenterNetGraph graph = centernet_from_tfjs(pretrained(), kSide);
  const auto d = map_differences(graph.net, *module, batch_of({"maksssksksss0", "maksssksksss14"}, kSide), 2, kSide);
  std::cout << "torch vs plain, max |difference| / max |map|: logits " << d[0] << ", wh_raw " << d[1] << "\n";
  EXPECT_LT(d[0], kMapTolerance);
  EXPECT_LT(d[1], kMapTolerance);
}

TEST(CenterNetTorch, ExportedWeightsBuildTheSameNetwork) {
  CenterNetTorch module(pretrained());
  const auto exported = module->export_weights();
  std::size_t biases = 0;
  for (const auto& [name, t] : exported) {
    const TfjsTensor& original = pretrained().at(name);
    EXPECT_EQ(t.shape, original.shape) << name;
    EXPECT_EQ(t.values, original.values) << name;
    biases += t.shape.size() == 1;
  }
  // 89 convolutions; the 11 separable depthwise filters and the head's excite have no bias.
  EXPECT_EQ(exported.size() - biases, 89u);
  EXPECT_EQ(biases, 89u - 12u);

  // One SGD step on a dummy loss changes every map; the exported weights,
  // through the artifact's bytes, must give the plain engine the same change.
  // (The input is 0..255 and the logits reach -10: the gradients are large,
  // and a step of 1e-6 already moves both maps by half their largest value.)
  constexpr double kStep = 1e-6;
  const auto canvases = batch_of({"maksssksksss1"}, kSide);
  const CenterNetGraph before = centernet_from_tfjs(pretrained(), kSide);
  torch::optim::SGD sgd(module->parameters(), torch::optim::SGDOptions(kStep));
  const CenterNetOutput out = module->forward(centernet_input(canvases.data(), 1, kSide));
  (out.logits.square().mean() + out.wh_raw.square().mean()).backward();
  sgd.step();
  const auto moved = map_differences(before.net, *module, canvases, 1, kSide);
  EXPECT_GT(std::min(moved[0], moved[1]), 0.1) << "the step should change both maps";

  const TfjsFiles files = encode_tfjs_weights(module->export_weights(), "w.bin");
  const auto decoded = decode_tfjs_weights(files.manifest, files.data, "w.json");
  const CenterNetGraph after = centernet_from_tfjs(decoded, kSide);
  const auto d = map_differences(after.net, *module, canvases, 1, kSide);
  std::cout << "after a step, exported vs torch: logits " << d[0] << ", wh_raw " << d[1] << " (the step moved them "
            << moved[0] << ", " << moved[1] << ")\n";
  EXPECT_LT(d[0], kMapTolerance);
  EXPECT_LT(d[1], kMapTolerance);
}

TEST(CenterNetTorch, GradientsReachTheStem) {
  constexpr int kSmall = 128;
  CenterNetTorch module(pretrained());
  const auto canvas = tfjs_golden::canvas_of("maksssksksss0", kSmall);
  const CenterNetOutput out = module->forward(centernet_input(canvas.data(), 1, kSmall));
  EXPECT_EQ(out.logits.sizes(), torch::IntArrayRef({1, 80, kSmall / 4, kSmall / 4}));
  EXPECT_EQ(out.wh_raw.sizes(), torch::IntArrayRef({1, 4, kSmall / 4, kSmall / 4}));
  (out.logits.sum() + out.wh_raw.sum()).backward();
  const auto& stem = module->stem_weight();
  ASSERT_TRUE(stem.grad().defined());
  EXPECT_GT(stem.grad().abs().sum().item<double>(), 0.0);
  for (const auto& p : module->named_parameters()) EXPECT_TRUE(p.value().grad().defined()) << p.key();
}

TEST(CenterNetTorch, InputMustBeAMultipleOfTheLastStride) {
  CenterNetTorch module(pretrained());
  EXPECT_THROW(module->forward(torch::zeros({1, 3, 100, 100})), Error);
}

// ---- the face detector: head, loss, a short training ------------------------------------------

namespace {

// Head maps of one canvas of `cells` x `cells`: logits all `logit`, every cell's distances `d`.
CenterNetOutput uniform_maps(int cells, float logit, const std::array<float, 4>& d) {
  CenterNetOutput out;
  out.logits = torch::full({1, 1, cells, cells}, logit);
  out.wh_raw = torch::empty({1, 4, cells, cells});
  for (int k = 0; k < 4; ++k) out.wh_raw[0][k].fill_(d[static_cast<std::size_t>(k)]);
  return out;
}

// The focal loss written out cell by cell (the reference for centernet_loss's heatmap term).
double focal_by_hand(const CenterNetTargets& t, float logit) {
  const double p = 1 / (1 + std::exp(-double(logit)));
  double sum = 0;
  int positives = 0;
  for (float y : t.heatmap) {
    if (y == 1.f) {
      sum -= (1 - p) * (1 - p) * std::log(p), ++positives;
    } else {
      sum -= std::pow(1 - double(y), 4) * p * p * std::log(1 - p);
    }
  }
  return sum / std::max(positives, 1);
}

}  // namespace

TEST(CenterNetFace, HeadIsOneFaceChannelStartingFromTheBackground) {
  const auto w = centernet_face_head(pretrained(), 7);
  EXPECT_EQ(centernet_classes(pretrained()), 80);
  EXPECT_EQ(centernet_classes(w), 1);
  CenterNetTorch module(w);
  const auto canvas = tfjs_golden::canvas_of("maksssksksss0", 128);
  torch::NoGradGuard g;
  const auto p = torch::sigmoid(module->forward(centernet_input(canvas.data(), 1, 128)).logits);
  EXPECT_EQ(p.size(1), 1);
  EXPECT_NEAR(p.mean().item<double>(), kFaceHeadPrior, 0.05);  // the prior, give or take the random filter
  // The plain engine reads it as a face detector; as shipped (80 classes) it is refused.
  DetectorOptions o;
  o.canvas = 128;
  EXPECT_STREQ(FaceDetector(w, o).arch(), "centernet");
  EXPECT_THROW(FaceDetector(pretrained(), o), Error);
  o.canvas = 100;
  EXPECT_THROW(FaceDetector(w, o), Error);
}

// A 16 x 16 px face at the middle of a 32 px canvas (8 x 8 cells): its centre
// cell (4, 4) at point (16, 16) is 8 px from each edge, distances 0.5 each.
TEST(CenterNetFace, LossByHand) {
  constexpr int kCanvas = 32, kCells = kCanvas / kCenterNetOutputStride;
  const auto t = centernet_targets({{8, 8, 24, 24}}, kCanvas);
  ASSERT_EQ(t.faces.size(), 1u);
  EXPECT_EQ(t.faces[0].cell, 4 * kCells + 4);
  // The true distances: GIoU 1, no box loss.
  const auto exact = centernet_loss(uniform_maps(kCells, 0.f, {0.5f, 0.5f, 0.5f, 0.5f}), {t});
  EXPECT_NEAR(exact.box.item<double>(), 0, 1e-6);
  EXPECT_NEAR(exact.heatmap.item<double>(), focal_by_hand(t, 0.f), 1e-5);
  // Twice as far on every side: the box holds the face, IoU 1/4 = GIoU, loss 3/4.
  const auto twice = centernet_loss(uniform_maps(kCells, -2.f, {1, 1, 1, 1}), {t});
  EXPECT_NEAR(twice.box.item<double>(), 0.75, 1e-5);
  EXPECT_NEAR(twice.heatmap.item<double>(), focal_by_hand(t, -2.f), 1e-5);
  EXPECT_NEAR(twice.total.item<double>(), twice.heatmap.item<double>() + kCenterNetBoxWeight * 0.75, 1e-4);
  // Two face widths to the right: a face's gap between them, so the enclosing
  // box is 3 faces wide, the union 2: GIoU 0 - 1/3.
  const auto apart = centernet_loss(uniform_maps(kCells, 0.f, {-1.5f, 0.5f, 2.5f, 0.5f}), {t});
  EXPECT_NEAR(apart.box.item<double>(), 4.0 / 3, 1e-5);
  // Confident logits stay finite (the loss is taken from them, not from probabilities).
  const auto sure = centernet_loss(uniform_maps(kCells, 60.f, {0.5f, 0.5f, 0.5f, 0.5f}), {t});
  EXPECT_TRUE(std::isfinite(sure.heatmap.item<double>()));
}

// Adam on one fixed batch of two dataset photos: the loss must fall.
TEST(CenterNetFace, LossFallsOnAFixedBatch) {
  torch::manual_seed(0);
  at::set_num_threads(2);
  constexpr int kCrop = 192;
  const auto net = pretrained_detector(kCenterNetArch, "", 0);
  torch::optim::Adam adam(net->module().parameters(), torch::optim::AdamOptions(3e-4));
  CanvasAugment aug;
  aug.crop = kCrop, aug.canvas = kCrop, aug.min_scale = aug.max_scale = 1;
  std::vector<TrainingCanvas> canvases;
  for (int i = 0; i < 2; ++i) {
    const std::string stem = "maksssksksss" + std::to_string(i);
    Rng rng(static_cast<std::uint64_t>(i));
    const auto ann = parse_voc(read_file(fixture::data_dir() + "/annotations/" + stem + ".xml"), stem);
    std::vector<Box> boxes;
    for (const auto& o : ann.objects) boxes.push_back(o.box);
    const std::string path = fixture::data_dir() + "/images/" + stem + ".jpg";
    canvases.push_back(
        make_training_canvas(decode_image_rgb(read_file(path), path, {1L << 26, 1 << 14}), boxes, aug, rng));
  }
  double first = 0, last = 0;
  for (int step = 0; step < 8; ++step) {
    adam.zero_grad();
    const auto loss = net->loss(canvases, kCrop);
    loss.backward();
    adam.step();
    (step == 0 ? first : last) = loss.item<double>();
  }
  EXPECT_LT(last, 0.7 * first);
}
