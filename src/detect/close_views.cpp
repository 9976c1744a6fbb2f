#include "detect/close_views.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "detect/box_math.h"

namespace mw {

namespace {

// The intersection of two boxes (empty: width or height <= 0).
Box intersect(const Box& a, const Box& b) {
  return {std::max(a.xmin, b.xmin), std::max(a.ymin, b.ymin), std::min(a.xmax, b.xmax), std::min(a.ymax, b.ymax)};
}

bool empty(const Box& b) { return b.width() <= 0 || b.height() <= 0; }

// `b` in the coordinates of `frame` scaled by `scale`.
Box into(const Box& b, const Box& frame, float scale) {
  return {(b.xmin - frame.xmin) * scale, (b.ymin - frame.ymin) * scale, (b.xmax - frame.xmin) * scale,
          (b.ymax - frame.ymin) * scale};
}

// A square frame whose side makes the face `share` of it, placed at random
// around the face (which stays inside), clipped to the photo.
Box frame_for(const Box& face, float share, int width, int height, Rng& rng) {
  const float side = std::max(face.width(), face.height()) / share;
  const float x0 = face.xmax - side + float(rng.uniform()) * (side - face.width());
  const float y0 = face.ymax - side + float(rng.uniform()) * (side - face.height());
  return intersect({x0, y0, x0 + side, y0 + side}, {0, 0, float(width), float(height)});
}

}  // namespace

CloseView close_view(const cv::Mat& rgb, const Box& face, const std::vector<Box>& faces, float share, int side,
                     Rng& rng) {
  const Box frame = frame_for(face, share, rgb.cols, rgb.rows, rng);
  const cv::Rect r(int(std::floor(frame.xmin)), int(std::floor(frame.ymin)),
                   int(std::ceil(frame.xmax)) - int(std::floor(frame.xmin)),
                   int(std::ceil(frame.ymax)) - int(std::floor(frame.ymin)));
  const Box cut{float(r.x), float(r.y), float(r.x + r.width), float(r.y + r.height)};
  const float scale = side > 0 ? float(side) / float(std::max(r.width, r.height)) : 1.f;
  CloseView v;
  if (scale == 1.f)
    v.rgb = rgb(r).clone();
  else
    cv::resize(rgb(r), v.rgb, cv::Size(), scale, scale, scale > 1 ? cv::INTER_LINEAR : cv::INTER_AREA);
  v.face = into(intersect(face, cut), cut, scale);
  for (const Box& f : faces) {
    const Box seen = intersect(f, cut);
    if (!empty(seen)) v.faces.push_back(into(seen, cut, scale));
  }
  return v;
}

std::vector<CloseView> close_views(const cv::Mat& rgb, const std::vector<Box>& faces, Rng& rng) {
  std::vector<CloseView> out;
  for (const Box& face : faces) {
    if (std::max(face.width(), face.height()) <= kCloseViewMinFace) continue;
    const float share = float(rng.uniform(kCloseViewMinShare, kCloseViewMaxShare));
    out.push_back(close_view(rgb, face, faces, share, kCloseViewSide, rng));
  }
  return out;
}

void CloseViewScore::add(const CloseView& view, const std::vector<FaceBox>& detected) {
  ++views;
  bool hit = false;
  for (const auto& d : detected) {
    hit = hit || iou(d.box, view.face) >= kCloseViewFoundIou;
    const bool on_a_face =
        std::any_of(view.faces.begin(), view.faces.end(), [&](const Box& f) { return !empty(intersect(d.box, f)); });
    if (!on_a_face) ++false_positives;
  }
  found += hit;
}

json CloseViewScore::to_json() const {
  const double n = double(std::max(views, 1L));
  return {{"views", views}, {"found", double(found) / n}, {"false_positives_per_view", double(false_positives) / n}};
}

}  // namespace mw
