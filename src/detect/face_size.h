// Face-size bands, by the shorter side of the face's box in pixels. The one
// rule for crop evaluation (src/train/evaluate.cpp) and detection recall
// (src/detect/detection_metrics.cpp). Bands: [0, 12), [12, 24), [24, 64] and
// (64, inf): 12 and 24 px open the band above them, 64 px closes the one below.
#pragma once
#include <algorithm>

#include "maskwatch.h"

namespace mw {

inline constexpr double kTinyFacePx = 12, kSmallFacePx = 24, kLargeFacePx = 64;

// "under_24px", "24_to_64px" or "over_64px".
inline const char* face_size_band(double shorter_side_px) {
  return shorter_side_px < kSmallFacePx ? "under_24px" : shorter_side_px <= kLargeFacePx ? "24_to_64px" : "over_64px";
}

// face_size_band with "under_24px" split at 12 px into "under_12px" and "12_to_24px".
inline const char* fine_face_size_band(double shorter_side_px) {
  if (shorter_side_px >= kSmallFacePx) return face_size_band(shorter_side_px);
  return shorter_side_px < kTinyFacePx ? "under_12px" : "12_to_24px";
}

// The fine bands, smallest first.
inline constexpr const char* kFineFaceSizeBands[] = {"under_12px", "12_to_24px", "24_to_64px", "over_64px"};

inline double shorter_side(const Box& box) { return std::min(box.width(), box.height()); }

}  // namespace mw
