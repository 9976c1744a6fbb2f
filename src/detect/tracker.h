// Faces followed across a video's frames: a greedy IoU tracker. Each frame's
// detections are matched to the live tracks (the pair with the highest IoU
// first, at least kMinTrackIou), a detection left over starts a track with
// the next id, and a track unmatched for max_misses frames in a row ends.
// Each track smooths its label over its last kSmoothFrames frames.
#pragma once
#include <cstddef>
#include <deque>
#include <functional>
#include <vector>

#include "maskwatch.h"

namespace mw {

inline constexpr double kMinTrackIou = 0.3;      // a detection continues a track overlapping it at least this much
inline constexpr std::size_t kSmoothFrames = 5;  // the frames a track's label is averaged over
inline constexpr int kDefaultMaxMisses = 5;      // frames a track may go unseen before it ends

struct TrackerOptions {
  double min_iou = kMinTrackIou;
  int max_misses = kDefaultMaxMisses;
  std::size_t smooth_frames = kSmoothFrames;
};

struct Track {
  int id = 0;
  Face last;                               // the detection it was last matched to
  std::deque<std::vector<float>> history;  // class scores of its last smooth_frames detections
  int misses = 0;                          // frames in a row it went unmatched
  int hits = 0;                            // frames it was matched in
  int smoothed_label = -1;                 // the best class of the scores averaged over the history
  float smoothed_confidence = 0;           // that class's averaged score
};

// One face of one frame, with its track.
struct TrackedFace {
  int id = 0;
  Face face;
  int smoothed_label = -1;
  float smoothed_confidence = 0;
};

class FaceTracker {
 public:
  explicit FaceTracker(const TrackerOptions& options = {});
  // The frame's faces, each given its track (in the order of `faces`).
  std::vector<TrackedFace> update(const std::vector<Face>& faces);
  const std::vector<Track>& tracks() const { return tracks_; }  // the live tracks
  int tracks_started() const { return next_id_ - 1; }
  // Called with each track as it ends (and by finish() for those still live).
  void on_end(std::function<void(const Track&)> callback) { on_end_ = std::move(callback); }
  void finish();  // ends every live track

 private:
  void add_scores(Track& track, const Face& face) const;
  TrackerOptions options_;
  std::vector<Track> tracks_;
  int next_id_ = 1;
  std::function<void(const Track&)> on_end_;
};

// Pairs (track, detection) by greedy IoU: the highest IoU first, each used
// once, only pairs at least min_iou. Returns for each detection its track's
// index, or -1.
std::vector<int> greedy_match(const std::vector<Box>& tracks, const std::vector<Box>& detections, double min_iou);

}  // namespace mw
