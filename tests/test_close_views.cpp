// Close views (detect/close_views.h): their geometry on a synthetic photo, and
// how a view is scored.
#include <gtest/gtest.h>

#include "detect/close_views.h"

using namespace mw;

TEST(CloseViews, EachFaceOverTheMinimumIsCutAsAFramedCloseView) {
  const cv::Mat photo(1000, 1200, CV_8UC3, cv::Scalar(10, 20, 30));
  const std::vector<Box> faces = {{500, 400, 600, 520}, {100, 100, 140, 140}, {0, 0, 60, 80}, {560, 420, 620, 500}};
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    Rng rng(seed);
    const auto views = close_views(photo, faces, rng);
    ASSERT_EQ(views.size(), 3u);  // the 40 px face is too small
    for (const auto& v : views) {
      EXPECT_EQ(std::max(v.rgb.cols, v.rgb.rows), kCloseViewSide);
      const float share = std::max(v.face.width(), v.face.height()) / float(std::max(v.rgb.cols, v.rgb.rows));
      EXPECT_GE(share, kCloseViewMinShare - 0.01f) << seed;  // clipped at the photo's edge it only grows
      EXPECT_GE(v.face.xmin, -0.01f);
      EXPECT_LE(v.face.xmax, float(v.rgb.cols) + 0.01f);
      EXPECT_FALSE(v.faces.empty());
    }
    // Away from the edges the frame is whole: the share is as drawn.
    const float first = std::max(views[0].face.width(), views[0].face.height()) / float(kCloseViewSide);
    EXPECT_LE(first, kCloseViewMaxShare + 0.01f);
    EXPECT_GE(views[0].faces.size(), 1u);
  }
}

TEST(CloseViews, AViewCountsTheFaceFoundAndDetectionsOnNoFace) {
  CloseView v;
  v.face = {100, 100, 300, 300};
  v.faces = {v.face, {500, 100, 600, 200}};
  CloseViewScore s;
  s.add(v, {{{110, 105, 305, 300}, 0.9f}, {{550, 150, 700, 300}, 0.8f}, {{10, 400, 60, 450}, 0.7f}});
  s.add(v, {{{100, 100, 160, 160}, 0.9f}});  // on the face, but not it: not found, and no false positive
  EXPECT_EQ(s.views, 2);
  EXPECT_EQ(s.found, 1);
  EXPECT_EQ(s.false_positives, 1);
  EXPECT_DOUBLE_EQ(s.to_json()["found"].get<double>(), 0.5);
}
