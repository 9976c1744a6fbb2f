// Box geometry for a face detector: IoU, the SSD / FaceBoxes encoding of a
// box against an anchor, anchor matching for training, non-maximum suppression.
// Boxes are mw::Box (float pixels, [xmin, xmax) x [ymin, ymax)).
#pragma once
#include <cstddef>
#include <vector>

#include "maskwatch.h"

namespace mw {

// A box in centre-size form (the form anchors and the encoding use).
struct CenterBox {
  float cx = 0, cy = 0, w = 0, h = 0;
};
CenterBox to_center(const Box& box);
Box to_corners(const CenterBox& box);

// Intersection over union; 0 when the union is empty (two empty boxes).
double iou(const Box& a, const Box& b);

// IoU of every pair, row-major: rows a, columns b (at(i, j) = iou(a[i], b[j])).
struct IouMatrix {
  std::size_t rows = 0, cols = 0;
  std::vector<double> values;
  double at(std::size_t i, std::size_t j) const { return values[i * cols + j]; }
};
IouMatrix iou_matrix(const std::vector<Box>& a, const std::vector<Box>& b);

// The encoding's variances: centre offsets are divided by `center`, log size
// ratios by `size` (SSD and FaceBoxes use 0.1 and 0.2).
struct Variances {
  float center = 0.1f, size = 0.2f;
};

// A box relative to an anchor: dx = (cx - cx_a) / (w_a * center), dy likewise
// with heights, dw = log(w / w_a) / size, dh likewise.
struct BoxOffsets {
  float dx = 0, dy = 0, dw = 0, dh = 0;
};
BoxOffsets encode_box(const Box& truth, const CenterBox& anchor, const Variances& var = {});
Box decode_box(const BoxOffsets& offsets, const CenterBox& anchor, const Variances& var = {});

// Anchor matching for training (SSD's rule). Thresholds on IoU: an anchor
// whose best IoU is >= positive is matched, one below negative is background,
// one in between is ignored (no loss). FaceBoxes uses 0.35 for both.
struct MatchOptions {
  double positive = 0.35;
  double negative = 0.35;
};
inline constexpr int kBackgroundAnchor = -1, kIgnoredAnchor = -2;

// Per anchor: the index of its ground truth, kBackgroundAnchor or
// kIgnoredAnchor. First every ground truth is forced onto one anchor, by
// bipartite matching as SSD's reference code does: the pair of (ground truth,
// anchor) with the highest IoU among those not yet taken is matched, until
// every ground truth has its anchor (ties: lower ground-truth index, then lower
// anchor index). Thus two ground truths whose best anchor is the same do not
// steal it from each other: the one with the higher IoU keeps it, the other
// takes its next best. A ground truth that overlaps no free anchor at all
// (IoU 0) is not forced. Then every other anchor goes to the ground truth it
// overlaps most (ties: lower index) when that IoU is >= positive; the
// thresholds decide the rest.
std::vector<int> match_anchors(const std::vector<Box>& truths, const std::vector<Box>& anchors,
                               const MatchOptions& options = {});

// Detections (in order, best first) matched to ground truths: each takes the
// ground truth not yet taken that it overlaps most (equal IoUs: the lower
// index), when that IoU is >= iou_threshold. Per detection: the ground
// truth's index, or -1.
std::vector<int> match_detections(const std::vector<Box>& truths, const std::vector<Box>& detections,
                                  double iou_threshold);

// Greedy hard non-maximum suppression: boxes in order of score (highest first;
// equal scores: lower index first); a box is kept unless its IoU with a box
// already kept is > iou_threshold; stops after max_outputs. Returns the kept
// indices in that order.
std::vector<std::size_t> non_max_suppression(const std::vector<Box>& boxes, const std::vector<float>& scores,
                                             double iou_threshold, std::size_t max_outputs);

}  // namespace mw
