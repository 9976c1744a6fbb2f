// The public inference API (<maskwatch/maskwatch.h>): a FaceLabeller opened
// from a store finds and labels a dataset photo's faces; a view of the same
// pixels in BGR with padded rows gives the same faces; given boxes are
// classified as the classifier does; bad views and options are named
// errors; an exported folder opens alone and answers the same; const calls
// from several threads agree.
#include <gtest/gtest.h>
#include <maskwatch/maskwatch.h>

#include <filesystem>
#include <thread>

#include "api/face_labeller.h"
#include "api/model_export.h"
#include "detect/box_math.h"
#include "model_fixture.h"
#include "store/object_store.h"

using namespace mw;

namespace {

const json& trained_model() {
  static const json m = fixture::train_tiny("face-labeller", 1);
  return m;
}

OpenOptions pretrained_detector() {
  OpenOptions o;
  o.classifier = trained_model()["id"];
  o.detector = "pretrained";
  o.threads = 2;
  return o;
}

std::string photo() { return fixture::data_dir() + "/images/maksssksksss0.jpg"; }

void expect_same(const std::vector<Face>& a, const std::vector<Face>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].box.xmin, b[i].box.xmin);
    EXPECT_EQ(a[i].box.ymax, b[i].box.ymax);
    EXPECT_EQ(a[i].label, b[i].label);
    EXPECT_EQ(a[i].scores, b[i].scores);
    EXPECT_EQ(a[i].face_score, b[i].face_score);
  }
}

// The image's pixels BGR, each row followed by `pad` bytes of noise.
std::vector<std::uint8_t> bgr_padded(const Image& image, int pad) {
  const std::size_t row = static_cast<std::size_t>(image.width) * 3, stride = row + static_cast<std::size_t>(pad);
  std::vector<std::uint8_t> out(stride * static_cast<std::size_t>(image.height), 0xA5);
  for (int y = 0; y < image.height; ++y)
    for (std::size_t x = 0; x < row; x += 3)
      for (int c = 0; c < 3; ++c)
        out[stride * static_cast<std::size_t>(y) + x + static_cast<std::size_t>(c)] =
            image.pixels[row * static_cast<std::size_t>(y) + x + 2 - static_cast<std::size_t>(c)];
  return out;
}

}  // namespace

TEST(FaceLabeller, DetectsAndLabelsTheFacesOfAPhotoFromAnyLayout) {
  const FaceLabeller faces = FaceLabeller::open(fixture::small_store(), pretrained_detector());
  EXPECT_EQ(faces.detector_id(), "pretrained");
  EXPECT_EQ(faces.classifier_id(), trained_model()["id"]);
  const Image image = read_image(photo());
  ASSERT_EQ(image.width, 512);
  const auto found = faces.detect(image.view());
  // maksssksksss0 has 3 annotated faces; the detector finds at least 2 of them.
  const std::vector<Box> truth = read_voc_boxes(fixture::data_dir() + "/annotations/maksssksksss0.xml");
  int matched = 0;
  for (const auto& t : truth)
    matched += std::any_of(found.begin(), found.end(), [&](const Face& f) { return iou(f.box, t) >= 0.5; });
  EXPECT_GE(3 * matched, 2 * static_cast<int>(truth.size()));
  for (const auto& f : found) {
    EXPECT_GE(f.face_score, 0.5f);
    ASSERT_EQ(f.scores.size(), faces.labels().size());
    EXPECT_EQ(f.confidence, f.scores.at(static_cast<std::size_t>(f.label)));
    EXPECT_EQ(faces.label_of(f), faces.labels().at(static_cast<std::size_t>(f.label)));
  }
  // The same pixels as BGR rows with 7 bytes of noise after each: the same faces.
  const auto bgr = bgr_padded(image, 7);
  const ImageView view{bgr.data(), image.width, image.height, image.width * 3 + 7, PixelOrder::bgr};
  expect_same(faces.detect(view), found);
  // min_face_size leaves out the smaller faces; min_confidence marks the less sure ones unsure.
  DetectOptions o;
  o.min_face_size = 1e5;
  EXPECT_TRUE(faces.detect(image.view(), o).empty());
  o = {};
  o.min_confidence = 0.9;
  for (const auto& f : faces.detect(image.view(), o)) {
    EXPECT_EQ(f.unsure, f.confidence < 0.9);
    EXPECT_EQ(faces.label_of(f) == "unsure", f.unsure);
  }
}

TEST(FaceLabeller, ClassifiesGivenBoxesAsTheClassifierDoes) {
  const FaceLabeller faces = FaceLabeller::open(fixture::small_store(), pretrained_detector());
  const Image image = read_image(photo());
  const std::vector<Box> boxes = {{79, 105, 109, 142}, {185, 100, 226, 144}, {-50, -50, 20, 20}};
  const auto got = faces.classify(image.view(), boxes);
  const Classifier clf(fixture::small_store(), trained_model()["id"], 2);
  expect_same(got, clf.classify_rgb(image.pixels.data(), image.width, image.height, boxes));
  EXPECT_EQ(got.at(0).face_score, 1.f);  // a given box
}

TEST(FaceLabeller, BadViewsAndOptionsAreNamed) {
  const FaceLabeller faces = FaceLabeller::open(fixture::small_store(), pretrained_detector());
  const Image image = read_image(photo());
  auto error_of = [](auto&& call) -> std::string {
    try {
      call();
    } catch (const Error& e) {
      return e.where();
    }
    return "no error";
  };
  EXPECT_EQ(error_of([&] { faces.detect(ImageView{}); }), "image");
  EXPECT_EQ(error_of([&] { faces.detect({image.pixels.data(), image.width, image.height, 10}); }), "image stride");
  EXPECT_EQ(error_of([&] { faces.detect({image.pixels.data(), 20000, 2}); }), "image");
  DetectOptions o;
  o.min_confidence = 2;
  EXPECT_EQ(error_of([&] { faces.detect(image.view(), o); }), "min_confidence");
  EXPECT_NE(error_of([&] { faces.classify(image.view(), {{1e4f, 1e4f, 2e4f, 2e4f}}); }), "no error");
  EXPECT_EQ(error_of([&] { faces.classify(image.view(), std::vector<Box>(5000, Box{0, 0, 9, 9})); }), "boxes");
  EXPECT_EQ(error_of([&] { decode_image("not an image", "bytes.jpg"); }), "bytes.jpg");
  OpenOptions bad = pretrained_detector();
  bad.min_face_score = 3;
  EXPECT_EQ(error_of([&] { FaceLabeller::open(fixture::small_store(), bad); }), "min_face_score");
}

TEST(FaceLabeller, AnExportedFolderOpensAloneAndAnswersTheSame) {
  const std::string dir = fixture::temp_dir("export") + "/models";
  const json r = export_models(*open_store(fixture::small_store()), trained_model()["id"], "pretrained", dir);
  EXPECT_EQ(r["classifier"], trained_model()["id"]);
  EXPECT_TRUE(std::filesystem::exists(dir + "/models/latest"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/detectors/latest"));
  EXPECT_THROW(export_models(*open_store(fixture::small_store()), "latest", "pretrained", dir), Error);  // not empty
  const Image image = read_image(photo());
  const FaceLabeller from_store = FaceLabeller::open(fixture::small_store(), pretrained_detector());
  OpenOptions two;
  two.threads = 2;
  const FaceLabeller exported = FaceLabeller::open(dir, two);
  EXPECT_EQ(exported.detector_id(), r["detector"]);
  expect_same(exported.detect(image.view()), from_store.detect(image.view()));
}

TEST(FaceLabeller, ConstCallsFromSeveralThreadsAgree) {
  const FaceLabeller faces = FaceLabeller::open(fixture::small_store(), pretrained_detector());
  const Image image = read_image(photo());
  const auto once = faces.detect(image.view());
  std::vector<std::vector<Face>> got(4);
  std::vector<std::thread> threads;
  for (auto& g : got)
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) g = faces.detect(image.view());
    });
  for (auto& t : threads) t.join();
  for (const auto& g : got) expect_same(g, once);
}
