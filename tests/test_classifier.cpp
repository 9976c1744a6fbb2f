#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <fstream>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "core/base64.h"
#include "data/dataset.h"
#include "data/shard.h"
#include "lambda/handler.h"
#include "model/artifact.h"
#include "model/runtime.h"
#include "model_fixture.h"

using namespace mw;

namespace {
const json& trained_model() {
  static const json m = fixture::train_tiny("classifier", 2);
  return m;
}
// An ingested image of the store, as ingest stored it.
std::string ingested_image(const ObjectStore& store, const std::string& file) {
  return store.get(raw_key(load_index(store).generation, "images/" + file));
}
}  // namespace

TEST(Classifier, AgreesWithTheShardPathOnTestImages) {
  const auto& m = trained_model();
  auto store = open_store(fixture::small_store());
  auto index = load_index(*store);
  auto test = load_shard(*store, "test");
  ASSERT_GT(test.count(), 0u);
  auto model = load_model(*store, m["id"]);
  model.net->fold_batchnorm();  // as the classifier runs it
  auto logits = logits_for_crops(*model.net, test.pixels.data(), static_cast<std::int64_t>(test.count()), test.size,
                                 model.meta["input_size"]);
  // Scores are softmax(logits / T), T the temperature train fitted on validation and recorded.
  Classifier clf(fixture::small_store(), m["id"], 2);
  ASSERT_TRUE(m.contains("confidence")) << "train published no temperature";
  EXPECT_EQ(clf.temperature(), m["confidence"]["temperature"].get<double>());
  auto probs = torch::softmax(logits / clf.temperature(), 1);
  std::size_t checked = 0;
  for (const auto& rec : index.images) {
    // The shard keeps an image's crops together, in box order.
    auto first = std::find(test.stems.begin(), test.stems.end(), rec.stem);
    if (first == test.stems.end()) continue;
    auto preds = clf.classify(store->get(rec.image.key), rec.boxes);
    ASSERT_EQ(preds.size(), rec.boxes.size());
    for (std::size_t i = 0; i < preds.size(); ++i) {
      auto row = static_cast<std::int64_t>(first - test.stems.begin()) + static_cast<std::int64_t>(i);
      float sum = 0;
      for (int k = 0; k < kNumClasses; ++k) {
        EXPECT_NEAR(preds[i].scores[k], probs[row][k].item<float>(), 1e-5);
        sum += preds[i].scores[k];
      }
      EXPECT_NEAR(sum, 1.f, 1e-5);
      EXPECT_EQ(preds[i].label, probs[row].argmax().item<long>());
      ++checked;
    }
  }
  EXPECT_EQ(checked, test.count());
}

TEST(Classifier, EvaluateCountsEveryTestCrop) {
  const auto& m = trained_model();
  EvaluateOptions ev;
  ev.store = fixture::small_store();
  ev.model = m["id"];
  auto r = evaluate(ev);
  auto test = load_shard(*open_store(ev.store), "test");
  EXPECT_EQ(r["objects"].get<std::size_t>(), test.count());
  long sum = 0;
  for (const auto& row : r["confusion"])
    for (const auto& v : row) sum += v.get<long>();
  EXPECT_EQ(sum, static_cast<long>(test.count()));
  long banded = 0;
  for (const auto& [band, v] : r["by_face_size"].items()) banded += v["objects"].get<long>();
  EXPECT_EQ(banded, sum);
  ev.split = "holdout";
  EXPECT_THROW(evaluate(ev), Error);
}

TEST(Classifier, EvaluatePredictionsAgreeWithTheConfusionMatrix) {
  const auto& m = trained_model();
  EvaluateOptions ev;
  ev.store = fixture::small_store();
  ev.model = m["id"];
  ev.predictions = ev.store + "/predictions-test.csv";
  auto r = evaluate(ev);
  std::ifstream in(ev.predictions);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "image,face_px,label,predicted,score_with_mask,score_without_mask,score_mask_weared_incorrect");
  std::array<std::array<long, kNumClasses>, kNumClasses> cm{};
  std::size_t rows = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
    ASSERT_EQ(f.size(), 7u) << line;
    EXPECT_GT(std::stoi(f[1]), 0);
    double sum = std::stod(f[4]) + std::stod(f[5]) + std::stod(f[6]);
    EXPECT_NEAR(sum, 1.0, 1e-4) << line;
    ++cm[class_index(f[2])][class_index(f[3])];
    ++rows;
  }
  EXPECT_EQ(rows, r["objects"].get<std::size_t>());
  for (int a = 0; a < kNumClasses; ++a)
    for (int b = 0; b < kNumClasses; ++b) EXPECT_EQ(cm[a][b], r["confusion"][a][b].get<long>());
}

TEST(Classifier, WholeImageAndBadImages) {
  const auto& m = trained_model();
  Classifier clf(fixture::small_store(), m["id"], 2);
  auto store = open_store(fixture::small_store());
  auto p = clf.classify_face_crop(ingested_image(*store, "maksssksksss3.jpg"));
  EXPECT_GE(p.label, 0);
  EXPECT_THROW(clf.classify("not an image", {Box{0, 0, 5, 5}}), Error);
  EXPECT_TRUE(clf.classify(ingested_image(*store, "maksssksksss3.jpg"), {}).empty());
  EXPECT_THROW(Classifier(fixture::small_store(), "ffffffffffff"), Error);
  // Boxes are clipped to the image as ingest clips them; one with nothing inside is refused.
  auto image = ingested_image(*store, "maksssksksss3.jpg");
  EXPECT_THROW(clf.classify(image, {Box{-50000, -50000, -40000, -40000}}), Error);
  EXPECT_THROW(clf.classify(image, {Box{0, 0, std::nanf(""), 5}}), Error);
  auto inside = clf.classify(image, {Box{10, 10, 40, 40}});
  auto overhanging = clf.classify(image, {Box{10, 10, 40, 40}, Box{-20, -20, 30, 30}});
  ASSERT_EQ(overhanging.size(), 2u);
  EXPECT_EQ(overhanging[0].scores, inside[0].scores);
}

// A close face (a portrait or webcam frame rather than a crowd shot) reaches
// the network as the same input as the same face far away: the crop is taken
// relative to the box and resized, so a face four times larger in the frame
// gets (up to interpolation) the same scores.
TEST(Classifier, CloseFacesScoreLikeFarOnes) {
  const auto& m = trained_model();
  Classifier clf(fixture::small_store(), m["id"], 2);
  auto store = open_store(fixture::small_store());
  auto index = load_index(*store);
  constexpr float kCloser = 4.f, kContext = 0.5f;
  int checked = 0;
  for (const auto& rec : index.images) {
    if (checked == 8) break;
    for (const auto& b : rec.boxes) {
      if (b.width() < 20 || b.height() < 20) continue;  // a face big enough to tell apart at its own size
      auto rgb = decode_rgb(store->get(rec.image.key), rec.stem);
      // The face with half its size of context on every side, enlarged four times.
      const int x0 = std::max(0, int(b.xmin - kContext * b.width())),
                y0 = std::max(0, int(b.ymin - kContext * b.height()));
      const int x1 = std::min(rgb.cols, int(b.xmax + kContext * b.width()) + 1);
      const int y1 = std::min(rgb.rows, int(b.ymax + kContext * b.height()) + 1);
      cv::Mat region = rgb(cv::Rect(x0, y0, x1 - x0, y1 - y0)), close;
      cv::resize(region, close, cv::Size(), kCloser, kCloser, cv::INTER_CUBIC);
      const Box near{(b.xmin - x0) * kCloser, (b.ymin - y0) * kCloser, (b.xmax - x0) * kCloser,
                     (b.ymax - y0) * kCloser};
      auto far_p = clf.classify_rgb(rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows, {b}).at(0);
      auto near_p = clf.classify_rgb(close.ptr<std::uint8_t>(), close.cols, close.rows, {near}).at(0);
      for (int k = 0; k < kNumClasses; ++k)
        EXPECT_NEAR(near_p.scores[k], far_p.scores[k], 0.1) << rec.stem << " box " << b.xmin << "," << b.ymin;
      ++checked;
      break;
    }
  }
  EXPECT_EQ(checked, 8);
}

// The Lambda function's handler in-process: a classify event answers with
// faces; a bad request over HTTP gets a 400 with the reason.
TEST(Classifier, LambdaHandlerClassifiesAndRefusesBadRequests) {
  const auto& m = trained_model();
  LambdaConfig config;
  config.store = fixture::small_store();
  config.model = m["id"];
  config.threads = 2;
  auto handler = make_lambda_handler(config);
  auto store = open_store(fixture::small_store());
  const std::string image = base64_encode(ingested_image(*store, "maksssksksss3.jpg"));
  LambdaInvocation inv;
  inv.event = json{{"image", image}, {"boxes", {{10, 10, 40, 40}}}}.dump();
  auto reply = json::parse(handler(inv));
  ASSERT_EQ(reply["faces"].size(), 1u);
  EXPECT_EQ(reply["model"], m["id"]);
  json http = {{"httpMethod", "POST"},
               {"body", json{{"image", image}, {"boxes", {{-9e5, -9e5, -8e5, -8e5}}}}.dump()},
               {"isBase64Encoded", false}};
  inv.event = http.dump();
  reply = json::parse(handler(inv));
  EXPECT_EQ(reply["statusCode"], 400);
  EXPECT_NE(reply["body"].get<std::string>().find("no area"), std::string::npos) << reply.dump();
  inv.event = json{{"image", image}, {"boxes", {{-9e5, -9e5, -8e5, -8e5}}}}.dump();
  EXPECT_THROW(handler(inv), Error);  // a direct caller gets the invocation error
}
