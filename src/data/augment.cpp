#include "data/augment.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <opencv2/imgproc.hpp>

namespace mw {

void resize_crop(const std::uint8_t* src, int src_size, std::uint8_t* dst, int dst_size) {
  if (src_size == dst_size) {
    std::memcpy(dst, src, static_cast<std::size_t>(src_size) * src_size * 3);
    return;
  }
  cv::Mat in(src_size, src_size, CV_8UC3, const_cast<std::uint8_t*>(src));
  cv::Mat out(dst_size, dst_size, CV_8UC3, dst);
  cv::resize(in, out, out.size(), 0, 0, src_size > dst_size ? cv::INTER_AREA : cv::INTER_LINEAR);
}

void augment_crop(const std::uint8_t* src, int src_size, std::uint8_t* dst, int dst_size, Rng& rng,
                  const AugmentOptions& opt) {
  cv::Mat in(src_size, src_size, CV_8UC3, const_cast<std::uint8_t*>(src));
  cv::Mat out(dst_size, dst_size, CV_8UC3, dst);

  const double k = double(dst_size) / src_size;
  const double scale = k * rng.uniform(1 - opt.scale, 1 + opt.scale);
  const double angle = rng.uniform(-opt.rotate_deg, opt.rotate_deg);
  const double tx = rng.uniform(-opt.shift, opt.shift) * dst_size;
  const double ty = rng.uniform(-opt.shift, opt.shift) * dst_size;
  const bool flip = opt.flip && rng.uniform() < 0.5;
  cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(0.5f * src_size, 0.5f * src_size), angle, scale);
  // Move the source centre to the destination centre, plus the shift.
  m.at<double>(0, 2) += 0.5 * dst_size - 0.5 * src_size + tx;
  m.at<double>(1, 2) += 0.5 * dst_size - 0.5 * src_size + ty;
  if (flip) {
    m.at<double>(0, 0) = -m.at<double>(0, 0);
    m.at<double>(0, 1) = -m.at<double>(0, 1);
    m.at<double>(0, 2) = dst_size - m.at<double>(0, 2);
  }
  cv::warpAffine(in, out, m, out.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT_101);

  if (opt.lowres_prob > 0 && rng.uniform() < opt.lowres_prob) {
    int small = std::max(4, static_cast<int>(std::lround(dst_size * rng.uniform(opt.lowres_min, 1.0))));
    cv::Mat tmp;
    cv::resize(out, tmp, cv::Size(small, small), 0, 0, cv::INTER_AREA);
    cv::resize(tmp, out, out.size(), 0, 0, cv::INTER_LINEAR);
  }
  const double alpha = rng.uniform(1 - opt.contrast, 1 + opt.contrast);
  const double beta = rng.uniform(-opt.brightness, opt.brightness) * 255.0;
  constexpr double kPivot = 128.0;  // contrast turns about mid-grey
  out.convertTo(out, CV_8UC3, alpha, beta + (1 - alpha) * kPivot);
}

}  // namespace mw
