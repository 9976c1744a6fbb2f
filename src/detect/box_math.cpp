#include "detect/box_math.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mw {

namespace {

constexpr const char* kWhere = "src/detect/box_math";

double area(const Box& b) { return std::max(0.0, double(b.width())) * std::max(0.0, double(b.height())); }

void check_positive_size(float w, float h, const char* what) {
  if (!(w > 0 && h > 0)) throw Error(kWhere, std::string(what) + " has no width or height");
}

// Bipartite step: each ground truth forced onto one anchor, best pairs first.
// Walking every overlapping pair once, by IoU (ties: ground truth, then anchor
// index), and taking those whose two sides are both free is the same as taking
// the best free pair again and again.
void force_best_anchors(const IouMatrix& m, std::vector<int>& anchor_truth) {
  struct Pair {
    double iou;
    std::size_t truth, anchor;
  };
  std::vector<Pair> pairs;
  for (std::size_t t = 0; t < m.rows; ++t)
    for (std::size_t a = 0; a < m.cols; ++a)
      if (m.at(t, a) > 0) pairs.push_back({m.at(t, a), t, a});
  std::stable_sort(pairs.begin(), pairs.end(), [](const Pair& x, const Pair& y) { return x.iou > y.iou; });
  std::vector<bool> truth_done(m.rows, false);
  for (const auto& p : pairs)
    if (!truth_done[p.truth] && anchor_truth[p.anchor] == kBackgroundAnchor) {
      anchor_truth[p.anchor] = static_cast<int>(p.truth);
      truth_done[p.truth] = true;
    }
}

}  // namespace

CenterBox to_center(const Box& b) { return {(b.xmin + b.xmax) / 2, (b.ymin + b.ymax) / 2, b.width(), b.height()}; }

Box to_corners(const CenterBox& c) { return {c.cx - c.w / 2, c.cy - c.h / 2, c.cx + c.w / 2, c.cy + c.h / 2}; }

double iou(const Box& a, const Box& b) {
  const double iw = std::min(a.xmax, b.xmax) - std::max(a.xmin, b.xmin);
  const double ih = std::min(a.ymax, b.ymax) - std::max(a.ymin, b.ymin);
  const double inter = std::max(0.0, iw) * std::max(0.0, ih);
  const double uni = area(a) + area(b) - inter;
  return uni > 0 ? inter / uni : 0.0;
}

IouMatrix iou_matrix(const std::vector<Box>& a, const std::vector<Box>& b) {
  IouMatrix m{a.size(), b.size(), {}};
  m.values.reserve(a.size() * b.size());
  for (const auto& x : a)
    for (const auto& y : b) m.values.push_back(iou(x, y));
  return m;
}

std::vector<int> match_detections(const std::vector<Box>& truths, const std::vector<Box>& detections,
                                  double iou_threshold) {
  const IouMatrix m = iou_matrix(detections, truths);
  std::vector<bool> taken(truths.size(), false);
  std::vector<int> match(detections.size(), -1);
  for (std::size_t d = 0; d < detections.size(); ++d) {
    double best = iou_threshold;
    for (std::size_t t = 0; t < truths.size(); ++t)
      if (!taken[t] && m.at(d, t) >= best && (match[d] < 0 || m.at(d, t) > best)) best = m.at(d, t), match[d] = int(t);
    if (match[d] >= 0) taken[match[d]] = true;
  }
  return match;
}

BoxOffsets encode_box(const Box& truth, const CenterBox& anchor, const Variances& var) {
  check_positive_size(truth.width(), truth.height(), "the box to encode");
  check_positive_size(anchor.w, anchor.h, "the anchor");
  const CenterBox t = to_center(truth);
  return {(t.cx - anchor.cx) / (anchor.w * var.center), (t.cy - anchor.cy) / (anchor.h * var.center),
          std::log(t.w / anchor.w) / var.size, std::log(t.h / anchor.h) / var.size};
}

Box decode_box(const BoxOffsets& d, const CenterBox& anchor, const Variances& var) {
  const CenterBox c{anchor.cx + d.dx * var.center * anchor.w, anchor.cy + d.dy * var.center * anchor.h,
                    anchor.w * std::exp(d.dw * var.size), anchor.h * std::exp(d.dh * var.size)};
  return to_corners(c);
}

std::vector<int> match_anchors(const std::vector<Box>& truths, const std::vector<Box>& anchors,
                               const MatchOptions& options) {
  const IouMatrix m = iou_matrix(truths, anchors);
  std::vector<int> anchor_truth(anchors.size(), kBackgroundAnchor);
  force_best_anchors(m, anchor_truth);
  for (std::size_t a = 0; a < anchors.size(); ++a) {
    if (anchor_truth[a] != kBackgroundAnchor) continue;
    double best = 0;
    int best_truth = kBackgroundAnchor;
    for (std::size_t t = 0; t < truths.size(); ++t)
      if (m.at(t, a) > best) best = m.at(t, a), best_truth = static_cast<int>(t);
    if (best > 0 && best >= options.positive)
      anchor_truth[a] = best_truth;
    else if (best >= options.negative)
      anchor_truth[a] = kIgnoredAnchor;
  }
  return anchor_truth;
}

std::vector<std::size_t> non_max_suppression(const std::vector<Box>& boxes, const std::vector<float>& scores,
                                             double iou_threshold, std::size_t max_outputs) {
  if (boxes.size() != scores.size())
    throw Error(kWhere, "non_max_suppression: " + std::to_string(boxes.size()) + " boxes but " +
                            std::to_string(scores.size()) + " scores");
  std::vector<std::size_t> order(boxes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  std::vector<std::size_t> kept;
  for (std::size_t i : order) {
    if (kept.size() >= max_outputs) break;
    const bool overlaps =
        std::any_of(kept.begin(), kept.end(), [&](std::size_t k) { return iou(boxes[i], boxes[k]) > iou_threshold; });
    if (!overlaps) kept.push_back(i);
  }
  return kept;
}

}  // namespace mw
