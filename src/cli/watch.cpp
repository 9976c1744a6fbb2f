// maskwatch watch: a video file, a camera or a stream in; each frame's faces
// found, labelled and tracked (detect/video.h), an annotated video and a JSON
// line per frame out, a summary at the end.
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <opencv2/videoio/registry.hpp>

#include "api/faces.h"
#include "cli/cli.h"
#include "detect/detector_artifact.h"
#include "detect/video.h"
#include "server/annotate.h"

namespace mw::cli {

namespace {

inline constexpr double kDefaultOutFps = 25;  // when the source does not say its frame rate
// OpenCV sets FFmpeg's log level from this variable when it first loads FFmpeg; -8 is AV_LOG_QUIET.
inline constexpr const char* kFfmpegLogLevelVar = "OPENCV_FFMPEG_LOGLEVEL";
inline constexpr const char* kFfmpegQuiet = "-8";
inline constexpr const char* kOpenCvLogLevelVar = "OPENCV_LOG_LEVEL";

struct WatchArgs {
  std::string source, model = "latest", out;
  DetectionArgs detection;
  int every = 1;
  long max_frames = 0, max_pixels = kDefaultMaxFramePixels;
};

bool is_camera_index(const std::string& s) {
  return !s.empty() && s.size() <= 4 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool is_live(const std::string& s) { return is_camera_index(s) || s.find("://") != std::string::npos; }

// OpenCV's log lines and FFmpeg's ("[ WARN:0@0.01] ... GStreamer warning", "moov
// atom not found") would come before the one error maskwatch gives; a user who
// sets OPENCV_LOG_LEVEL or OPENCV_FFMPEG_LOGLEVEL still gets them.
void quiet_video_libraries() {
  if (!std::getenv(kOpenCvLogLevelVar)) cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  ::setenv(kFfmpegLogLevelVar, kFfmpegQuiet, /*overwrite=*/0);
}

// Files and URLs go to FFmpeg when OpenCV has it: the backends it would try
// next (GStreamer, image sequences) only add failures of their own.
int file_backend() { return cv::videoio_registry::hasBackend(cv::CAP_FFMPEG) ? cv::CAP_FFMPEG : cv::CAP_ANY; }

// A file source that is missing or unreadable is named as such before OpenCV tries it.
void check_readable_file(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec) throw Error(path, "cannot be read: " + ec.message());
  if (std::filesystem::is_directory(status)) throw Error(path, "is a folder, not a video");
  if (::access(path.c_str(), R_OK) != 0) throw Error(path, std::string("cannot be read: ") + std::strerror(errno));
}

cv::VideoCapture open_source(const std::string& source) {
  quiet_video_libraries();
  cv::VideoCapture cap;
  if (is_camera_index(source)) {
    if (!cap.open(std::stoi(source))) throw Error(source, "no camera with this index can be opened");
  } else if (is_live(source)) {
    if (!cap.open(source, file_backend()))
      throw Error(source, "cannot be opened as a video stream (unreachable, or not a video)");
  } else {
    check_readable_file(source);
    if (!cap.open(source, file_backend()))
      throw Error(source, "cannot be read as a video (another kind of file, or damaged or truncated)");
  }
  return cap;
}

// A source whose frames, as it reports their size, are over the limit is refused before a frame is read.
void check_frame_size(cv::VideoCapture& cap, const std::string& source, long max_pixels) {
  const cv::Size size(static_cast<int>(cap.get(cv::CAP_PROP_FRAME_WIDTH)),
                      static_cast<int>(cap.get(cv::CAP_PROP_FRAME_HEIGHT)));
  if (over_pixel_limit(size, max_pixels))
    throw Error(source, "frames are " + pixel_limit_text(size, max_pixels) + " (--max-pixels)");
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() &&
         std::equal(tail.rbegin(), tail.rend(), s.rbegin(), [](char a, char b) { return std::tolower(a) == b; });
}

// mp4v for .mp4, MJPG for .avi.
cv::VideoWriter open_writer(const std::string& path, double fps, cv::Size size) {
  int fourcc = 0;
  if (ends_with(path, ".mp4"))
    fourcc = cv::VideoWriter::fourcc('m', 'p', '4', 'v');
  else if (ends_with(path, ".avi"))
    fourcc = cv::VideoWriter::fourcc('M', 'J', 'P', 'G');
  else
    throw Error(path, "--out must end in .mp4 or .avi");
  cv::VideoWriter w(path, fourcc, fps, size);
  if (!w.isOpened()) throw Error(path, "cannot be written as a video");
  return w;
}

void write_annotated(cv::VideoWriter& w, const WatchFrame& f, const std::vector<std::string>& labels) {
  cv::Mat img = f.rgb.clone();
  for (const auto& t : f.faces) {
    Face p = t.face;
    p.label = t.smoothed_label >= 0 ? t.smoothed_label : p.label;
    p.confidence = t.smoothed_label >= 0 ? t.smoothed_confidence : p.confidence;
    const std::string label = p.label >= 0 ? labels.at(std::size_t(p.label)) : "face";
    draw_face(img, p, label, "#" + std::to_string(t.id) + " ");
  }
  cv::cvtColor(img, img, cv::COLOR_RGB2BGR);
  w.write(img);
}

void print_summary(const WatchSummary& s) {
  std::cerr << s.frames_read << " frames read, " << s.frames_processed << " processed, " << s.frames_dropped
            << " dropped; " << fixed(s.fps_processed, 1) << " frames per second; " << s.people << " people seen";
  for (const auto& [label, n] : s.people_by_label) std::cerr << ", " << label << " " << n;
  std::cerr << "\n";
}

}  // namespace

Run add_watch(CLI::App& app, const Globals& g) {
  auto* c = app.add_subcommand("watch", "find, label and track the faces in a video, camera or stream");
  auto a = std::make_shared<WatchArgs>();
  c->add_option("source", a->source, "a video file, a camera index (0, 1, ...) or a stream URL")->required();
  c->add_option("--model", a->model, "classifier: model id or 'latest'")->capture_default_str();
  add_detection_options(*c, a->detection);
  c->add_option("--out", a->out, "write the annotated video here (.mp4 or .avi)");
  c->add_option("--every", a->every, "process every Nth frame")->capture_default_str()->check(at_least(1));
  c->add_option("--max-frames", a->max_frames, "stop after processing this many frames (0: all)")
      ->capture_default_str()
      ->check(at_least(0));
  c->add_option("--max-pixels", a->max_pixels, "largest frame, width x height; a source over it is refused")
      ->capture_default_str()
      ->check(at_least(1));
  return [&g, a] {
    require_store(g.store);
    cv::VideoCapture cap = open_source(a->source);
    check_frame_size(cap, a->source, a->max_pixels);
    const FaceLabeller labeller = open_labeller(labeller_parts(g, a->model, a->detection));
    WatchOptions o;
    o.every = a->every, o.max_frames = a->max_frames, o.labels = labeller.labels();
    o.max_pixels = a->max_pixels, o.source = a->source;
    o.source_fps = is_live(a->source) ? 0 : cap.get(cv::CAP_PROP_FPS);
    const AnalyzeFrame analyze = [&](const cv::Mat& rgb) {
      FacesRequest req;
      req.source = a->source, req.detect = true, req.min_face = a->detection.min_face;
      return run_faces_request(labeller, req, rgb);
    };
    cv::VideoWriter writer;
    const double out_fps = (o.source_fps > 0 ? o.source_fps : kDefaultOutFps) / a->every;
    const OnWatchFrame on_frame = [&](const WatchFrame& f) {
      if (g.json) std::cout << watch_frame_json(f, o.labels).dump() << "\n" << std::flush;
      if (a->out.empty()) return;
      if (!writer.isOpened()) writer = open_writer(a->out, out_fps, f.rgb.size());
      write_annotated(writer, f, o.labels);
    };
    const GrabFrame grab = [&cap](cv::Mat& bgr) { return cap.read(bgr) && !bgr.empty(); };
    std::unique_ptr<FrameSource> source;
    if (is_live(a->source))
      source = std::make_unique<LiveSource>(grab);
    else
      source = std::make_unique<SequentialSource>(grab);
    const WatchSummary s = watch_video(*source, analyze, o, on_frame);
    source.reset();
    writer.release();
    if (g.json)
      std::cout << watch_summary_json(s).dump() << "\n";
    else if (!g.quiet)
      print_summary(s);
    return 0;
  };
}

}  // namespace mw::cli
