#include "data/crop.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace mw {

namespace {

cv::Mat resized(const cv::Mat& region, int size) {
  cv::Mat out;
  int interp = region.cols > size ? cv::INTER_AREA : cv::INTER_LINEAR;
  cv::resize(region, out, cv::Size(size, size), 0, 0, interp);
  return out;
}

struct Tap {
  int out;       // output pixel
  float weight;  // the share of its cell this source pixel covers
};

// Area weights along one axis: output pixel o's cell is [start + o*len/n,
// start + (o+1)*len/n) in image coordinates, and source pixel i covers [i, i+1),
// the first and last pixels reaching out to either side (the edge replicated).
// Returns, per source pixel, the output pixels it contributes to.
std::vector<std::vector<Tap>> area_taps(int start, int len, int extent, int n) {
  std::vector<std::vector<Tap>> taps(static_cast<std::size_t>(extent));
  const double cell = static_cast<double>(len) / n;
  for (int o = 0; o < n; ++o) {
    const double a = start + o * cell, b = a + cell;
    const int first = std::clamp(static_cast<int>(std::floor(a)), 0, extent - 1);
    const int last = std::clamp(static_cast<int>(std::ceil(b)) - 1, 0, extent - 1);
    for (int i = first; i <= last; ++i) {
      const double lo = i == 0 ? a : std::max(a, double(i)), hi = i == extent - 1 ? b : std::min(b, double(i + 1));
      if (hi > lo) taps[static_cast<std::size_t>(i)].push_back({o, static_cast<float>((hi - lo) / cell)});
    }
  }
  return taps;
}

// The region r, outside the image filled by replicating its edge, averaged
// down to size x size (as INTER_AREA does) without making the padded region:
// each pixel of `inside` (r's part within the image) is read once, and the
// memory is the output's, in float.
cv::Mat area_crop(const cv::Mat& image, const cv::Rect& r, const cv::Rect& inside, int size) {
  const int cn = image.channels();
  const auto xt = area_taps(r.x, r.width, image.cols, size), yt = area_taps(r.y, r.height, image.rows, size);
  cv::Mat acc = cv::Mat::zeros(size, size, CV_32FC(cn)), row(1, size, CV_32FC(cn));
  for (int y = inside.y; y < inside.br().y; ++y) {
    if (yt[static_cast<std::size_t>(y)].empty()) continue;
    row.setTo(0);
    auto* h = row.ptr<float>();
    const auto* px = image.ptr<std::uint8_t>(y);
    for (int x = inside.x; x < inside.br().x; ++x)
      for (const Tap& t : xt[static_cast<std::size_t>(x)])
        for (int c = 0; c < cn; ++c) h[t.out * cn + c] += t.weight * px[x * cn + c];
    for (const Tap& t : yt[static_cast<std::size_t>(y)]) {
      cv::Mat out_row = acc.row(t.out);
      cv::scaleAdd(row, t.weight, out_row, out_row);
    }
  }
  cv::Mat out;
  acc.convertTo(out, image.type());
  return out;
}

}  // namespace

cv::Rect crop_region(const Box& box, float margin) {
  float side = std::max(box.width(), box.height()) * (1.f + 2.f * margin);
  int s = std::max(1, static_cast<int>(std::lround(side)));
  float cx = 0.5f * (box.xmin + box.xmax), cy = 0.5f * (box.ymin + box.ymax);
  int x0 = static_cast<int>(std::lround(cx - 0.5f * s)), y0 = static_cast<int>(std::lround(cy - 0.5f * s));
  return {x0, y0, s, s};
}

cv::Mat crop_face(const cv::Mat& image, const Box& box, float margin, int size) {
  if (image.empty()) throw Error("crop", "empty image");
  cv::Rect r = crop_region(box, margin);
  cv::Rect inside = r & cv::Rect(0, 0, image.cols, image.rows);
  if (inside.area() == 0) {
    // Entirely outside: nothing to show; a flat crop of the nearest pixel (what resizing a flat region gives).
    int x = std::clamp(r.x, 0, image.cols - 1), y = std::clamp(r.y, 0, image.rows - 1);
    return cv::Mat(size, size, image.type(), image.at<cv::Vec3b>(y, x));
  }
  if (inside == r) return resized(image(r), size);  // a view: nothing copied
  const long pixels = static_cast<long>(r.width) * r.height;
  if (pixels > kMaxPaddedCropPixels && r.width > size) return area_crop(image, r, inside, size);
  cv::Mat region;
  cv::copyMakeBorder(image(inside), region, inside.y - r.y, r.br().y - inside.br().y, inside.x - r.x,
                     r.br().x - inside.br().x, cv::BORDER_REPLICATE);
  return resized(region, size);
}

}  // namespace mw
