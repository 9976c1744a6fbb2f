#include "detect/video.h"

#include <chrono>
#include <opencv2/imgproc.hpp>

namespace mw {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string label_name(int label, const std::vector<std::string>& labels) {
  return label >= 0 && std::size_t(label) < labels.size() ? labels[std::size_t(label)] : "unknown";
}

// A frame over the limit is refused before it is converted or analysed.
void check_frame_size(const cv::Mat& bgr, long index, const WatchOptions& options) {
  if (over_pixel_limit(bgr.size(), options.max_pixels))
    throw Error(options.source,
                "frame " + std::to_string(index) + " is " + pixel_limit_text(bgr.size(), options.max_pixels));
}

}  // namespace

bool over_pixel_limit(cv::Size size, long max_pixels) {
  return max_pixels > 0 && double(size.width) * double(size.height) > double(max_pixels);
}

std::string pixel_limit_text(cv::Size size, long max_pixels) {
  const auto pixels = static_cast<long long>(size.width) * static_cast<long long>(size.height);
  return std::to_string(size.width) + "x" + std::to_string(size.height) + " (" + std::to_string(pixels) +
         " pixels), over the limit of " + std::to_string(max_pixels) + " pixels";
}

LiveSource::LiveSource(GrabFrame grab) : grab_(std::move(grab)), reader_([this] { read_loop(); }) {}

LiveSource::~LiveSource() {
  stop_ = true;
  reader_.join();
}

void LiveSource::read_loop() {
  cv::Mat frame;
  while (!stop_ && grab_(frame)) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (full_) ++dropped_;
    frame.copyTo(slot_);
    full_ = true;
    ready_.notify_one();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  ended_ = true;
  ready_.notify_one();
}

bool LiveSource::next(cv::Mat& bgr) {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait(lock, [this] { return full_ || ended_; });
  if (!full_) return false;
  slot_.copyTo(bgr);
  full_ = false;
  return true;
}

long LiveSource::dropped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

WatchSummary watch_video(FrameSource& source, const AnalyzeFrame& analyze, const WatchOptions& options,
                         const OnWatchFrame& on_frame) {
  WatchSummary s;
  FaceTracker tracker(options.tracker);
  tracker.on_end([&](const Track& t) {
    if (t.hits < options.min_person_frames) return;
    ++s.people;
    ++s.people_by_label[label_name(t.smoothed_label, options.labels)];
  });
  const auto start = Clock::now();
  const int every = std::max(1, options.every);
  cv::Mat bgr;
  WatchFrame frame;
  while (!(options.max_frames > 0 && s.frames_processed >= options.max_frames) && source.next(bgr)) {
    const long index = s.frames_read++;
    check_frame_size(bgr, index, options);
    if (index % every != 0) continue;
    frame.index = index;
    frame.time_s = options.source_fps > 0 ? double(index) / options.source_fps : seconds_since(start);
    cv::cvtColor(bgr, frame.rgb, cv::COLOR_BGR2RGB);
    frame.faces = tracker.update(analyze(frame.rgb));
    ++s.frames_processed;
    if (on_frame) on_frame(frame);
  }
  tracker.finish();
  s.frames_dropped = source.dropped();
  s.frames_read += s.frames_dropped;
  s.seconds = seconds_since(start);
  s.fps_processed = s.seconds > 0 ? double(s.frames_processed) / s.seconds : 0;
  s.tracks = tracker.tracks_started();
  return s;
}

json watch_frame_json(const WatchFrame& frame, const std::vector<std::string>& labels) {
  json faces = json::array();
  for (const auto& f : frame.faces) {
    const Box& b = f.face.box;
    faces.push_back({{"id", f.id},
                     {"box", {b.xmin, b.ymin, b.xmax, b.ymax}},
                     {"label", label_name(f.face.label, labels)},
                     {"smoothed_label", label_name(f.smoothed_label, labels)},
                     {"confidence", f.face.confidence},
                     {"smoothed_confidence", f.smoothed_confidence},
                     {"face_score", f.face.face_score}});
  }
  return {{"frame", frame.index}, {"time_s", frame.time_s}, {"faces", faces}};
}

json watch_summary_json(const WatchSummary& s) {
  return {{"summary",
           {{"frames_read", s.frames_read},
            {"frames_processed", s.frames_processed},
            {"frames_dropped", s.frames_dropped},
            {"seconds", s.seconds},
            {"fps_processed", s.fps_processed},
            {"tracks", s.tracks},
            {"people", s.people},
            {"people_by_label", s.people_by_label}}}};
}

}  // namespace mw
