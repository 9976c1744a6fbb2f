#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "data/crop.h"

using namespace mw;

namespace {
// Pixel (x, y) = (x, y, 7): every pixel tells where it came from.
cv::Mat coordinate_image(int w, int h) {
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b(x, y, 7);
  return m;
}
}  // namespace

TEST(Crop, RegionIsASquareAroundTheBox) {
  auto r = crop_region({10, 20, 30, 60}, 0.25f);  // 20x40 box, centre (20, 40)
  EXPECT_EQ(r.width, 60);
  EXPECT_EQ(r.height, 60);
  EXPECT_EQ(r.x, -10);
  EXPECT_EQ(r.y, 10);
  auto tiny = crop_region({5, 5, 5.2f, 5.2f}, 0.f);
  EXPECT_GE(tiny.width, 1);
}

TEST(Crop, InsideTheImageIsAPlainCopy) {
  auto img = coordinate_image(100, 80);
  auto c = crop_face(img, {20, 20, 40, 40}, 0.f, 20);
  ASSERT_EQ(c.rows, 20);
  ASSERT_EQ(c.cols, 20);
  EXPECT_EQ(c.at<cv::Vec3b>(0, 0), cv::Vec3b(20, 20, 7));
  EXPECT_EQ(c.at<cv::Vec3b>(19, 19), cv::Vec3b(39, 39, 7));
}

TEST(Crop, TopLeftCornerReplicatesTheEdge) {
  auto img = coordinate_image(100, 80);
  // 10x10 box at the corner with a 50% margin: the region starts at (-5, -5).
  auto c = crop_face(img, {0, 0, 10, 10}, 0.5f, 20);
  ASSERT_EQ(c.size(), cv::Size(20, 20));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(c.at<cv::Vec3b>(i, i), cv::Vec3b(0, 0, 7)) << i;   // outside: the corner pixel
    EXPECT_EQ(c.at<cv::Vec3b>(i, 10), cv::Vec3b(5, 0, 7)) << i;  // above: the top row
  }
  EXPECT_EQ(c.at<cv::Vec3b>(5, 5), cv::Vec3b(0, 0, 7));
  EXPECT_EQ(c.at<cv::Vec3b>(19, 19), cv::Vec3b(14, 14, 7));
}

TEST(Crop, BottomRightCornerReplicatesTheEdge) {
  auto img = coordinate_image(100, 80);
  auto c = crop_face(img, {95, 75, 100, 80}, 0.5f, 10);  // region (92.5..102.5): x 93..102 rounded
  ASSERT_EQ(c.size(), cv::Size(10, 10));
  EXPECT_EQ(c.at<cv::Vec3b>(9, 9), cv::Vec3b(99, 79, 7));
  EXPECT_EQ(c.at<cv::Vec3b>(0, 0)[2], 7);
}

TEST(Crop, BoxOutsideTheImageStillGivesACrop) {
  auto img = coordinate_image(50, 40);
  auto c = crop_face(img, {200, 200, 220, 220}, 0.1f, 16);
  EXPECT_EQ(c.size(), cv::Size(16, 16));
  EXPECT_EQ(c.at<cv::Vec3b>(3, 3), cv::Vec3b(49, 39, 7));
}

TEST(Crop, ResizesUpAndDown) {
  auto img = coordinate_image(200, 200);
  EXPECT_EQ(crop_face(img, {10, 10, 20, 20}, 0.f, 64).size(), cv::Size(64, 64));
  EXPECT_EQ(crop_face(img, {0, 0, 180, 180}, 0.f, 32).size(), cv::Size(32, 32));
}
