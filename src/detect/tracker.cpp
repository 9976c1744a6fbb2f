#include "detect/tracker.h"

#include <algorithm>
#include <tuple>

#include "detect/box_math.h"

namespace mw {

std::vector<int> greedy_match(const std::vector<Box>& tracks, const std::vector<Box>& detections, double min_iou) {
  const IouMatrix m = iou_matrix(tracks, detections);
  std::vector<std::tuple<double, std::size_t, std::size_t>> pairs;  // (iou, track, detection)
  for (std::size_t t = 0; t < m.rows; ++t)
    for (std::size_t d = 0; d < m.cols; ++d)
      if (m.at(t, d) >= min_iou) pairs.emplace_back(m.at(t, d), t, d);
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
  std::vector<int> match(detections.size(), -1);
  std::vector<bool> taken(tracks.size(), false);
  for (const auto& [value, t, d] : pairs) {
    if (taken[t] || match[d] >= 0) continue;
    taken[t] = true;
    match[d] = int(t);
  }
  return match;
}

FaceTracker::FaceTracker(const TrackerOptions& options) : options_(options) {}

void FaceTracker::add_scores(Track& track, const Face& face) const {
  track.last = face;
  track.misses = 0;
  ++track.hits;
  if (face.scores.empty()) return;
  track.history.push_back(face.scores);
  while (track.history.size() > std::max<std::size_t>(1, options_.smooth_frames)) track.history.pop_front();
  std::vector<float> mean(face.scores.size(), 0.f);
  for (const auto& s : track.history)
    for (std::size_t i = 0; i < mean.size() && i < s.size(); ++i) mean[i] += s[i] / float(track.history.size());
  const auto best = std::max_element(mean.begin(), mean.end());
  track.smoothed_label = int(best - mean.begin());
  track.smoothed_confidence = *best;
}

std::vector<TrackedFace> FaceTracker::update(const std::vector<Face>& faces) {
  std::vector<Box> track_boxes, boxes;
  for (const auto& t : tracks_) track_boxes.push_back(t.last.box);
  for (const auto& f : faces) boxes.push_back(f.box);
  const std::vector<int> match = greedy_match(track_boxes, boxes, options_.min_iou);
  std::vector<bool> seen(tracks_.size(), false);
  std::vector<int> index(faces.size());  // each face's track, by position in tracks_
  for (std::size_t d = 0; d < faces.size(); ++d) {
    if (match[d] >= 0) {
      seen[std::size_t(match[d])] = true;
      index[d] = match[d];
    } else {
      tracks_.emplace_back();
      tracks_.back().id = next_id_++;
      seen.push_back(true);
      index[d] = int(tracks_.size() - 1);
    }
    add_scores(tracks_[std::size_t(index[d])], faces[d]);
  }
  std::vector<TrackedFace> out;
  for (std::size_t d = 0; d < faces.size(); ++d) {
    const Track& t = tracks_[std::size_t(index[d])];
    out.push_back({t.id, faces[d], t.smoothed_label, t.smoothed_confidence});
  }
  std::vector<Track> live;
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    if (!seen[i]) ++tracks_[i].misses;
    if (tracks_[i].misses >= options_.max_misses) {
      if (on_end_) on_end_(tracks_[i]);
    } else {
      live.push_back(std::move(tracks_[i]));
    }
  }
  tracks_ = std::move(live);
  return out;
}

void FaceTracker::finish() {
  if (on_end_)
    for (const auto& t : tracks_) on_end_(t);
  tracks_.clear();
}

}  // namespace mw
