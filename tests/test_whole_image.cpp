// The whole-image rule (api/faces.h): a photo of one face framed by the face
// detector's largest face, the whole photo or its centred square.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "api/face_labeller.h"
#include "api/faces.h"
#include "core/paths.h"
#include "detect/box_math.h"
#include "detect/detector.h"
#include "model_fixture.h"

using namespace mw;

namespace {
const json& trained_model() {
  static const json m = fixture::train_tiny("whole-image", 1);
  return m;
}
}  // namespace

// classify --whole-image on a dataset photo of one face (maksssksksss4: a
// 301x400 photo, the face at [70,185,176,321], low and to the left): each rule
// frames it as it says and names itself; the face rule finds the annotated face.
TEST(WholeImage, RulesFrameAPhotoOfOneFace) {
  const auto& m = trained_model();
  LabellerParts parts{fixture::small_store(), m["id"], 2};
  parts.detector = "pretrained";
  const FaceLabeller detector = open_labeller(parts);  // with the pretrained FaceBoxes
  parts.with_detector = false;
  const FaceLabeller no_detector = open_labeller(parts);
  const Classifier& clf = detector.impl().classifier;
  FacesRequest req;
  req.source = fixture::data_dir() + "/images/maksssksksss4.jpg";
  req.image = read_file(req.source);
  req.whole_image = true;
  const cv::Mat rgb = decode_request_image(req);
  auto run = [&](const std::string& rule, const FaceLabeller& labeller) {
    req.whole_image_rule = rule;
    const auto faces = run_faces_request(labeller, req, rgb);
    EXPECT_EQ(faces.size(), 1u);
    return faces.at(0);
  };
  const Box annotated{70, 185, 176, 321};
  auto same = [](const Box& a, const Box& b) {
    return a.xmin == b.xmin && a.ymin == b.ymin && a.xmax == b.xmax && a.ymax == b.ymax;
  };
  const Face face = run("face", detector);
  EXPECT_EQ(face.framing, "face");
  // FaceBoxes' boxes sit higher and tighter than the dataset's (which take in
  // the chin and the mask): the found face overlaps the annotated one and its
  // centre lies inside it.
  const float cx = 0.5f * (face.box.xmin + face.box.xmax), cy = 0.5f * (face.box.ymin + face.box.ymax);
  EXPECT_GT(iou(face.box, annotated), 0.3);
  EXPECT_TRUE(cx > annotated.xmin && cx < annotated.xmax && cy > annotated.ymin && cy < annotated.ymax)
      << face.box.xmin << "," << face.box.ymin << "," << face.box.xmax << "," << face.box.ymax;
  EXPECT_LT(face.face_score, 1.f);  // the detector's face probability
  // The face rule classifies the face's box exactly as a given box is classified.
  EXPECT_EQ(face.scores, clf.classify_rgb(rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows, {face.box}).at(0).scores);

  const Face image = run("image", detector);
  EXPECT_EQ(image.framing, "image");
  EXPECT_TRUE(same(image.box, {0, 0, 301, 400}));
  EXPECT_EQ(image.scores, clf.classify_whole_rgb(rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows).scores);
  const Face centre = run("centre", no_detector);  // needs no detector
  EXPECT_EQ(centre.framing, "centre");
  EXPECT_TRUE(same(centre.box, {0, 49.5f, 301, 350.5f}));
  EXPECT_EQ(run("auto", detector).framing, kWholeImageRule);
  EXPECT_THROW(run("face", no_detector), Error);
  EXPECT_THROW(run("middle", detector), Error);

  // A photo without a face: the face rule falls back to the whole image and says so.
  FacesRequest flat = req;
  cv::Mat grey(200, 160, CV_8UC3, cv::Scalar(128, 128, 128));
  flat.whole_image_rule = "face";
  const auto none = run_faces_request(detector, flat, grey);
  ASSERT_EQ(none.size(), 1u);
  EXPECT_EQ(none[0].framing, kNoFaceFraming);
  EXPECT_TRUE(same(none[0].box, {0, 0, 160, 200}));
  // The answer's JSON names the rule.
  EXPECT_EQ(faces_json({face}, clf.labels())[0]["framing"], "face");
}
