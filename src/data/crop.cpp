#include "data/crop.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace mw {

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
  cv::Mat region;
  if (inside.area() == 0) {
    // Entirely outside: nothing to show; a flat crop of the nearest pixel.
    int x = std::clamp(r.x, 0, image.cols - 1), y = std::clamp(r.y, 0, image.rows - 1);
    region = cv::Mat(r.height, r.width, image.type(), image.at<cv::Vec3b>(y, x));
  } else if (inside == r) {
    region = image(r);
  } else {
    cv::copyMakeBorder(image(inside), region, inside.y - r.y, r.br().y - inside.br().y, inside.x - r.x,
                       r.br().x - inside.br().x, cv::BORDER_REPLICATE);
  }
  cv::Mat out;
  int interp = region.cols > size ? cv::INTER_AREA : cv::INTER_LINEAR;
  cv::resize(region, out, cv::Size(size, size), 0, 0, interp);
  return out;
}

}  // namespace mw
