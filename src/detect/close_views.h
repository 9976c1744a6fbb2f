// Close views: the dataset's photos are crowds, users' are often one or two
// people near the camera. Each annotated face over kCloseViewMinFace px is
// re-cut from its photo as a close photo: the face kCloseViewMinShare to
// kCloseViewMaxShare of the frame's longer side (drawn per face, seeded),
// placed at random in a square frame of its real surroundings (clipped where
// the photo ends), resized to kCloseViewSide px on its longer side. A
// detector is scored on them as a new user would see it: is the face found
// (a detection at IoU >= 0.5 with it), and how many detections overlap no
// annotated face at all (false positives: a shirt, a window, a blurred figure).
#pragma once
#include <opencv2/core.hpp>
#include <vector>

#include "core/rng.h"
#include "detect/detector.h"
#include "maskwatch.h"

namespace mw {

inline constexpr float kCloseViewMinFace = 48.f;  // longer side, photo pixels
inline constexpr float kCloseViewMinShare = 0.3f, kCloseViewMaxShare = 0.7f;
inline constexpr int kCloseViewSide = 640;
inline constexpr float kCloseViewFoundIou = 0.5f;

struct CloseView {
  cv::Mat rgb;             // the view, kCloseViewSide on its longer side
  Box face;                // the face it was cut for, in the view's pixels
  std::vector<Box> faces;  // every annotated face the view shows (part of), the face among them
};

// The view of `face` (one of `faces`) making `share` of its frame's longer
// side, resized to `side` px on its longer side (0: as cut).
CloseView close_view(const cv::Mat& rgb, const Box& face, const std::vector<Box>& faces, float share, int side,
                     Rng& rng);
// One view per face of `faces` over kCloseViewMinFace px, drawn with `rng`.
std::vector<CloseView> close_views(const cv::Mat& rgb, const std::vector<Box>& faces, Rng& rng);

struct CloseViewScore {
  long views = 0, found = 0, false_positives = 0;
  void add(const CloseView& view, const std::vector<FaceBox>& detected);
  json to_json() const;  // views, found (share), false positives a view
};

}  // namespace mw
