// The frame loop of `maskwatch watch`: frames from a source, faces found and
// labelled in each (any function from an RGB frame to predictions), tracked
// across frames (detect/tracker.h), each processed frame handed on, and a
// summary at the end. Reading and writing video (OpenCV's videoio) stays with
// the caller: a source is a function that fills the next BGR frame.
#pragma once
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <opencv2/core.hpp>
#include <string>
#include <thread>
#include <vector>

#include "detect/tracker.h"
#include "maskwatch.h"

namespace mw {

// Fills `bgr` with the next frame; false at the end of the video (or on a read error).
using GrabFrame = std::function<bool(cv::Mat& bgr)>;

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  virtual bool next(cv::Mat& bgr) = 0;  // the next frame to process; false at the end
  virtual long dropped() const = 0;     // frames read and never handed on
};

// A file: every frame in order, none dropped.
class SequentialSource : public FrameSource {
 public:
  explicit SequentialSource(GrabFrame grab) : grab_(std::move(grab)) {}
  bool next(cv::Mat& bgr) override { return grab_(bgr); }
  long dropped() const override { return 0; }

 private:
  GrabFrame grab_;
};

// A live source (camera, stream): a thread reads frames as they come into a
// one-slot buffer, each overwriting the one before if it was not taken, so a
// slow consumer drops frames and never queues them.
class LiveSource : public FrameSource {
 public:
  explicit LiveSource(GrabFrame grab);
  ~LiveSource() override;
  LiveSource(const LiveSource&) = delete;
  LiveSource& operator=(const LiveSource&) = delete;
  bool next(cv::Mat& bgr) override;  // waits for a frame newer than the last taken
  long dropped() const override;

 private:
  void read_loop();
  GrabFrame grab_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  cv::Mat slot_;
  bool full_ = false, ended_ = false;
  std::atomic<bool> stop_{false};
  long dropped_ = 0;
  std::thread reader_;
};

// A track seen in fewer frames is not counted as a person (a passing false detection).
inline constexpr int kMinPersonFrames = 3;
// The largest frame `watch` takes by default, width x height (as serve's --max-pixels).
inline constexpr long kDefaultMaxFramePixels = 40'000'000;

// Whether a frame of `size` is over `max_pixels` (0: no limit).
bool over_pixel_limit(cv::Size size, long max_pixels);
// "8000x8000 (64000000 pixels), over the limit of 40000000 pixels".
std::string pixel_limit_text(cv::Size size, long max_pixels);

struct WatchOptions {
  int every = 1;                    // process every Nth frame the source gives
  long max_frames = 0;              // stop after processing this many (0: no limit)
  long max_pixels = 0;              // a frame over this, width x height, stops the loop (0: no limit)
  std::string source;               // names the source in errors
  double source_fps = 0;            // a file's frame rate, for frame times (0: the wall clock's)
  std::vector<std::string> labels;  // the classes, for the summary
  TrackerOptions tracker;
  int min_person_frames = kMinPersonFrames;
};

// One processed frame.
struct WatchFrame {
  long index = 0;     // the frame's number in the source (0-based, dropped frames not counted)
  double time_s = 0;  // index / source_fps, or seconds since the start
  cv::Mat rgb;        // the frame, 8-bit RGB
  std::vector<TrackedFace> faces;
};

struct WatchSummary {
  long frames_read = 0, frames_processed = 0, frames_dropped = 0;
  double seconds = 0;                          // wall time of the loop
  double fps_processed = 0;                    // frames processed / seconds
  int tracks = 0;                              // tracks started
  int people = 0;                              // tracks seen in at least min_person_frames frames
  std::map<std::string, int> people_by_label;  // those by their last smoothed label ("unknown" when never labelled)
};

using AnalyzeFrame = std::function<std::vector<Face>(const cv::Mat& rgb)>;
using OnWatchFrame = std::function<void(const WatchFrame&)>;

// Throws mw::Error naming options.source when a frame is over options.max_pixels.
WatchSummary watch_video(FrameSource& source, const AnalyzeFrame& analyze, const WatchOptions& options,
                         const OnWatchFrame& on_frame);

json watch_frame_json(const WatchFrame& frame, const std::vector<std::string>& labels);
json watch_summary_json(const WatchSummary& summary);

}  // namespace mw
