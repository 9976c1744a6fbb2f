// Framing augmentation (data/framing.h): the drawn framings stay within their
// bounds, the windows inside the context crop and where the framing puts
// them, the same seed gives the same windows, and the window of the prepare
// framing is the prepared crop.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/paths.h"
#include "data/crop.h"
#include "data/dataset.h"
#include "data/framing.h"
#include "fixture.h"

using namespace mw;

namespace {

std::vector<cv::Rect> windows(std::uint64_t seed, const FramingOptions& o, int ctx_size, int n) {
  std::vector<cv::Rect> out;
  for (int j = 0; j < n; ++j) {
    Rng rng = Rng::derive(seed, 1, static_cast<std::uint64_t>(j));
    out.push_back(framed_window(draw_framing(rng, o), context_margin(o), ctx_size));
  }
  return out;
}

}  // namespace

TEST(Framing, DrawsStayWithinTheirBounds) {
  FramingOptions o;
  o.margin_min = 0.05, o.margin_max = 0.55, o.shift = 0.2;
  Rng rng(7);
  double lo = 1, hi = 0, dmax = 0;
  for (int i = 0; i < 20000; ++i) {
    const Framing f = draw_framing(rng, o);
    ASSERT_GE(f.margin, o.margin_min);
    ASSERT_LE(f.margin, o.margin_max);
    ASSERT_LE(std::abs(f.dx), o.shift);
    ASSERT_LE(std::abs(f.dy), o.shift);
    lo = std::min(lo, f.margin), hi = std::max(hi, f.margin), dmax = std::max({dmax, std::abs(f.dx), std::abs(f.dy)});
  }
  // The whole range is drawn, not a corner of it.
  EXPECT_LT(lo, o.margin_min + 0.01);
  EXPECT_GT(hi, o.margin_max - 0.01);
  EXPECT_GT(dmax, o.shift - 0.01);
  EXPECT_DOUBLE_EQ(context_margin(o), 0.55 + 0.2);
  EXPECT_EQ(context_size(o, 64), static_cast<int>(std::lround(64 * 2.5 / 1.3)));
}

TEST(Framing, WindowsSitWhereTheFramingPutsThem) {
  FramingOptions o;  // 0..0.6, shifted up to 0.25: context margin 0.85
  const int ctx = context_size(o, 64);
  const double per_box = ctx / (1 + 2 * context_margin(o));
  Rng rng(3);
  for (int i = 0; i < 5000; ++i) {
    const Framing f = draw_framing(rng, o);
    const cv::Rect w = framed_window(f, context_margin(o), ctx);
    ASSERT_EQ(w.width, w.height);
    ASSERT_GE(w.x, 0);
    ASSERT_GE(w.y, 0);
    ASSERT_LE(w.x + w.width, ctx);
    ASSERT_LE(w.y + w.height, ctx);
    // The side is the box plus the margin, the centre the box's plus the shift (to a pixel).
    EXPECT_NEAR(w.width, (1 + 2 * f.margin) * per_box, 0.5 + 1e-9);
    EXPECT_NEAR(w.x + 0.5 * w.width, 0.5 * ctx + f.dx * per_box, 1.0);
    EXPECT_NEAR(w.y + 0.5 * w.height, 0.5 * ctx + f.dy * per_box, 1.0);
    // So the margin on each side is within the stated bounds, to a pixel.
    const double left = (0.5 * ctx - 0.5 * per_box - w.x) / per_box;
    EXPECT_GE(left, o.margin_min - o.shift - 1.0 / per_box);
    EXPECT_LE(left, o.margin_max + o.shift + 1.0 / per_box);
  }
  // A framing wider than the context is moved in and shrunk, never read outside.
  const cv::Rect w = framed_window({2.0, 0.5, -0.5}, context_margin(o), ctx);
  EXPECT_EQ(w, cv::Rect(0, 0, ctx, ctx));
  const cv::Rect edge = framed_window({0.3, 0.9, 0.9}, context_margin(o), ctx);
  EXPECT_LE(edge.x + edge.width, ctx);
  EXPECT_LE(edge.y + edge.height, ctx);
}

TEST(Framing, SameSeedSameWindows) {
  FramingOptions o;
  const int ctx = context_size(o, 64);
  const auto a = windows(5, o, ctx, 200), b = windows(5, o, ctx, 200), c = windows(6, o, ctx, 200);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // The windows differ from one draw to the next (the augmentation does something).
  int distinct = 0;
  for (std::size_t i = 1; i < a.size(); ++i) distinct += a[i] != a[i - 1];
  EXPECT_GT(distinct, 190);
}

// On a dataset photo: the window at the prepare margin, unshifted, is the
// crop prepare makes (within what two resamplings against one leave), and
// closer to it than any window a tenth of the box away or looser.
TEST(Framing, PrepareFramingIsThePreparedCrop) {
  const std::string path = fixture::data_dir() + "/images/maksssksksss4.jpg";
  const cv::Mat rgb = decode_rgb(read_file(path), path);
  const Box box{70, 185, 176, 321};
  FramingOptions o;
  const int ctx = context_size(o, 64);
  const cv::Mat context = crop_face(rgb, box, static_cast<float>(context_margin(o)), ctx);
  const cv::Mat prepared = crop_face(rgb, box, static_cast<float>(o.prepare_margin), 64);
  auto distance = [&](const Framing& f) {
    const cv::Rect w = framed_window(f, context_margin(o), ctx);
    std::vector<std::uint8_t> window(static_cast<std::size_t>(w.width) * w.width * 3);
    copy_window(context.ptr<std::uint8_t>(), ctx, w, window.data());
    cv::Mat framed, diff;
    cv::resize(cv::Mat(w.height, w.width, CV_8UC3, window.data()), framed, cv::Size(64, 64), 0, 0, cv::INTER_AREA);
    cv::absdiff(framed, prepared, diff);
    const cv::Scalar m = cv::mean(diff);
    return (m[0] + m[1] + m[2]) / 3;
  };
  const double same = distance({o.prepare_margin, 0, 0});
  EXPECT_LT(same, 8.0);
  for (const Framing& other :
       {Framing{o.prepare_margin, 0.1, 0}, Framing{o.prepare_margin, -0.1, 0}, Framing{o.prepare_margin, 0, 0.1},
        Framing{o.prepare_margin, 0, -0.1}, Framing{o.prepare_margin + 0.1, 0, 0}, Framing{0.6, 0.25, 0.25}})
    EXPECT_GT(distance(other), same + 1.0) << other.margin << " " << other.dx << " " << other.dy;
}

// A composite face's seam, placed in the prepared crop, falls on the same row of the photo in the context crop.
TEST(Framing, SeamKeepsItsRowOfTheFace) {
  FramingOptions o;
  const double box = 100, m = context_margin(o);
  for (double seam : {0.3, 0.55, 0.68}) {
    const double row_prepared = -o.prepare_margin * box + seam * (1 + 2 * o.prepare_margin) * box;
    const double row_context = -m * box + seam_in_context(seam, o) * (1 + 2 * m) * box;
    EXPECT_NEAR(row_context, row_prepared, 1e-9);
  }
}
