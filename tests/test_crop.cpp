#include <gtest/gtest.h>

#include <algorithm>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

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

namespace {
// The crop as the padded region at full size, resized: what crop_face gave for every box before
// large regions were padded after shrinking.
cv::Mat padded_then_resized(const cv::Mat& img, const Box& box, float margin, int size) {
  cv::Rect r = crop_region(box, margin), inside = r & cv::Rect(0, 0, img.cols, img.rows);
  cv::Mat region, out;
  cv::copyMakeBorder(img(inside), region, inside.y - r.y, r.br().y - inside.br().y, inside.x - r.x,
                     r.br().x - inside.br().x, cv::BORDER_REPLICATE);
  cv::resize(region, out, cv::Size(size, size), 0, 0, region.cols > size ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

// Records the largest cv::Mat allocation while it is the default allocator.
class LargestAllocation : public cv::MatAllocator {
 public:
  LargestAllocation() : std_(cv::Mat::getStdAllocator()), before_(cv::Mat::getDefaultAllocator()) {
    cv::Mat::setDefaultAllocator(this);
  }
  ~LargestAllocation() override { cv::Mat::setDefaultAllocator(before_); }
  cv::UMatData* allocate(int dims, const int* sizes, int type, void* data, size_t* step, cv::AccessFlag flags,
                         cv::UMatUsageFlags usage) const override {
    std::size_t bytes = CV_ELEM_SIZE(type);
    for (int i = 0; i < dims; ++i) bytes *= static_cast<std::size_t>(sizes[i]);
    largest = std::max(largest, bytes);
    return std_->allocate(dims, sizes, type, data, step, flags, usage);
  }
  bool allocate(cv::UMatData* u, cv::AccessFlag flags, cv::UMatUsageFlags usage) const override {
    return std_->allocate(u, flags, usage);
  }
  void deallocate(cv::UMatData* u) const override { std_->deallocate(u); }
  mutable std::size_t largest = 0;

 private:
  cv::MatAllocator* std_;
  cv::MatAllocator* before_;
};

// A horizontal colour ramp with a vertical one in the second channel.
cv::Mat ramp_image(int w, int h) {
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b(255 * x / w, 255 * y / h, 99);
  return m;
}
}  // namespace

TEST(Crop, OrdinaryBoxesAreThePaddedRegionResizedBitForBit) {
  auto img = ramp_image(300, 200);
  cv::RNG rng(5);
  for (int i = 0; i < 200; ++i) {
    float x = rng.uniform(-20.f, 300.f), y = rng.uniform(-20.f, 200.f);
    Box b{x, y, x + rng.uniform(1.f, 150.f), y + rng.uniform(1.f, 150.f)};
    float margin = rng.uniform(0.f, 1.f);
    int size = rng.uniform(8, 160);
    EXPECT_EQ(cv::norm(crop_face(img, b, margin, size), padded_then_resized(img, b, margin, size), cv::NORM_INF), 0)
        << i;
  }
}

TEST(Crop, AThinImageIsNotPaddedToASquareAtFullSize) {
  // The whole-image box of a 6000 x 4 image: its square region is 6000 x 6000, 108 MB padded.
  auto img = ramp_image(6000, 4);
  const int size = 64;
  LargestAllocation counter;
  cv::Mat c = crop_face(img, {0, 0, 6000, 4}, 0.f, size);
  const std::size_t bound = std::max<std::size_t>(kMaxPaddedCropPixels, size * size) * 3;
  EXPECT_LE(counter.largest, bound);
  EXPECT_EQ(c.size(), cv::Size(size, size));
}

TEST(Crop, ALargeRegionAveragedFromTheImageMatchesTheFullSizePadding) {
  // 4200 x 4200 > kMaxPaddedCropPixels: averaged straight from the image, against the full-size padding.
  auto img = ramp_image(4200, 30);
  ASSERT_GT(4200L * 4200, kMaxPaddedCropPixels);
  for (int size : {32, 150, 224}) {
    cv::Mat got;
    {
      LargestAllocation counter;
      got = crop_face(img, {0, 0, 4200, 30}, 0.f, size);
      EXPECT_LE(counter.largest, std::size_t(kMaxPaddedCropPixels) * 3) << size;
    }
    cv::Mat want = padded_then_resized(img, {0, 0, 4200, 30}, 0.f, size);
    EXPECT_LE(cv::norm(got, want, cv::NORM_INF), 1) << size;
  }
  // A box far beyond a small image: a flat crop, without a region the box's size.
  LargestAllocation counter;
  cv::Mat far = crop_face(img, {1e5f, 1e5f, 1.01e5f, 1.01e5f}, 0.5f, 16);
  EXPECT_LE(counter.largest, 16u * 16 * 3);
  EXPECT_EQ(far.at<cv::Vec3b>(15, 15), img.at<cv::Vec3b>(29, 4199));
}
