// The greedy IoU tracker (detect/tracker.h) and the frame loop (detect/video.h)
// on hand-made detections.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <opencv2/core.hpp>
#include <thread>

#include "detect/tracker.h"
#include "detect/video.h"

namespace {

mw::Face face(float x, float y, float side, std::vector<float> scores = {}) {
  mw::Face p;
  p.box = {x, y, x + side, y + side};
  p.scores = std::move(scores);
  return p;
}

TEST(Tracker, SameFaceMovingSlightlyKeepsItsId) {
  mw::FaceTracker t;
  const int id = t.update({face(100, 100, 50)}).at(0).id;
  for (int i = 1; i <= 10; ++i) EXPECT_EQ(t.update({face(100.f + 2 * i, 100.f + i, 50)}).at(0).id, id);
  EXPECT_EQ(t.tracks_started(), 1);
}

TEST(Tracker, NewFaceGetsNewId) {
  mw::FaceTracker t;
  const auto first = t.update({face(0, 0, 40)});
  const auto both = t.update({face(300, 300, 40), face(1, 1, 40)});
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[1].id, first[0].id);
  EXPECT_NE(both[0].id, first[0].id);
  EXPECT_EQ(t.tracks_started(), 2);
}

TEST(Tracker, BoxesOverlappingTooLittleStartNewTracks) {
  mw::FaceTracker t;
  const int id = t.update({face(0, 0, 100)}).at(0).id;
  EXPECT_NE(t.update({face(60, 60, 100)}).at(0).id, id);  // IoU 1600 / 18400, under 0.3
}

TEST(Tracker, TrackEndsAfterMaxMisses) {
  mw::TrackerOptions o;
  o.max_misses = 3;
  mw::FaceTracker t(o);
  int ended = 0;
  t.on_end([&](const mw::Track&) { ++ended; });
  const int id = t.update({face(10, 10, 50)}).at(0).id;
  t.update({});
  t.update({});
  EXPECT_EQ(t.tracks().size(), 1u);  // two misses: still live, and the face comes back as itself
  EXPECT_EQ(t.update({face(10, 10, 50)}).at(0).id, id);
  for (int i = 0; i < 3; ++i) t.update({});
  EXPECT_TRUE(t.tracks().empty());
  EXPECT_EQ(ended, 1);
  EXPECT_NE(t.update({face(10, 10, 50)}).at(0).id, id);  // after it ended, a new track
}

TEST(Tracker, SmoothedLabelFollowsTheMajority) {
  mw::FaceTracker t;
  const std::vector<float> a = {0.9f, 0.1f}, b = {0.2f, 0.8f};
  for (const auto& s : {a, a, b, a}) t.update({face(0, 0, 50, s)});
  const auto f = t.update({face(0, 0, 50, b)}).at(0);
  EXPECT_EQ(f.smoothed_label, 0);  // 3 of the last 5 frames say 0
  EXPECT_NEAR(f.smoothed_confidence, (3 * 0.9f + 2 * 0.2f) / 5, 1e-5);
  // Only the last kSmoothFrames count: five more of b turn it.
  mw::TrackedFace g;
  for (std::size_t i = 0; i < mw::kSmoothFrames; ++i) g = t.update({face(0, 0, 50, b)}).at(0);
  EXPECT_EQ(g.smoothed_label, 1);
  EXPECT_NEAR(g.smoothed_confidence, 0.8f, 1e-5);
}

TEST(Tracker, GreedyMatchTakesTheBestPairFirst) {
  const std::vector<mw::Box> tracks = {{0, 0, 10, 10}, {4, 0, 14, 10}};
  const std::vector<mw::Box> dets = {{5, 0, 15, 10}, {0, 0, 10, 10}};
  const auto m = mw::greedy_match(tracks, dets, 0.3);
  EXPECT_EQ(m, (std::vector<int>{1, 0}));
}

// A source of n frames; the loop's analyser sees a face moving 2 px a frame.
TEST(WatchVideo, CountsFramesAndKeepsIds) {
  int left = 12;
  mw::SequentialSource src([&](cv::Mat& bgr) {
    if (left-- <= 0) return false;
    bgr = cv::Mat(48, 64, CV_8UC3, cv::Scalar(0, 0, 0));
    return true;
  });
  int n = 0;
  const mw::AnalyzeFrame analyze = [&](const cv::Mat& rgb) {
    EXPECT_EQ(rgb.cols, 64);
    const float x = 2.f * n;
    std::vector<mw::Face> faces{face(x, 0, 30, {0.3f, 0.7f})};
    if (n++ == 0) faces.push_back(face(0, 200, 30, {0.9f, 0.1f}));  // a one-frame false detection
    return faces;
  };
  mw::WatchOptions o;
  o.every = 2, o.source_fps = 10, o.labels = {"with_mask", "without_mask"};
  std::vector<int> ids;
  std::vector<double> times;
  const auto s = mw::watch_video(src, analyze, o, [&](const mw::WatchFrame& f) {
    ids.push_back(f.faces.at(0).id);
    times.push_back(f.time_s);
  });
  EXPECT_EQ(s.frames_read, 12);
  EXPECT_EQ(s.frames_processed, 6);
  EXPECT_EQ(s.frames_dropped, 0);
  EXPECT_EQ(ids, std::vector<int>(6, 1));
  EXPECT_DOUBLE_EQ(times.at(1), 0.2);
  EXPECT_EQ(s.tracks, 2);
  EXPECT_EQ(s.people, 1);  // the one-frame track is not a person
  EXPECT_EQ(s.people_by_label.at("without_mask"), 1);
}

// A frame over the pixel limit stops the loop with an error naming the source and the size.
TEST(WatchVideo, RefusesAFrameOverThePixelLimit) {
  int served = 0;
  mw::SequentialSource src([&](cv::Mat& bgr) {
    if (served == 5) return false;
    const bool large = served++ == 2;
    bgr = cv::Mat(large ? 480 : 48, large ? 640 : 64, CV_8UC3, cv::Scalar(0, 0, 0));
    return true;
  });
  int analysed = 0;
  const mw::AnalyzeFrame analyze = [&](const cv::Mat&) {
    ++analysed;
    return std::vector<mw::Face>{};
  };
  mw::WatchOptions o;
  o.max_pixels = 10'000, o.source = "clip.mp4";
  try {
    mw::watch_video(src, analyze, o, nullptr);
    FAIL() << "a 640x480 frame passed a limit of 10000 pixels";
  } catch (const mw::Error& e) {
    EXPECT_EQ(e.where(), "clip.mp4");
    EXPECT_EQ(e.reason(), "frame 2 is 640x480 (307200 pixels), over the limit of 10000 pixels");
  }
  EXPECT_EQ(analysed, 2);
}

// A slow consumer of a fast live source drops frames and never queues them.
TEST(WatchVideo, LiveSourceDropsFramesForASlowConsumer) {
  std::atomic<int> produced{0};
  mw::LiveSource src([&](cv::Mat& bgr) {
    if (produced >= 200) return false;
    ++produced;
    bgr = cv::Mat(4, 4, CV_8UC3, cv::Scalar(produced.load()));
    std::this_thread::sleep_for(std::chrono::microseconds(100));
    return true;
  });
  cv::Mat f;
  long taken = 0;
  while (src.next(f)) {
    ++taken;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(produced, 200);
  EXPECT_LT(taken, 100);
  EXPECT_EQ(taken + src.dropped(), 200);
}

}  // namespace
