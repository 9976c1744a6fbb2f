// Detect-then-classify latency on one photo, the models loaded beforehand (as
// a server or a warm Lambda has them): the photo decoded once, then the face
// detector and the classifier run on it again and again, one photo at a time.
//   photo_bench --store DIR [--model latest] PHOTO [--resize 1920x1080]
//               [--canvas 1024] [--threads 2] [--seconds 5] [--json]
// Prints the median and 90th-percentile milliseconds of detect, classify and
// both, and the faces found.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <opencv2/imgproc.hpp>

#include "api/faces.h"
#include "core/paths.h"
#include "detect/detector.h"
#include "detect/detector_artifact.h"
#include "infer/fast_conv.h"
#include "store/object_store.h"

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"maskwatch detect-then-classify latency on one photo"};
  std::string store, model = "latest", photo, resize, detector_id = mw::kPretrainedDetector;
  int threads = 2;
  double seconds = 5;
  bool as_json = false;
  mw::DetectorOptions det;
  app.add_option("--store", store, "the store holding the classifier")->required();
  app.add_option("--model", model)->capture_default_str();
  app.add_option("photo", photo, "a JPEG or PNG")->required();
  app.add_option("--resize", resize, "resize the photo first, WIDTHxHEIGHT (e.g. 1920x1080)");
  app.add_option("--detector", detector_id, "the store's detector: an id, 'latest' or 'pretrained'")
      ->capture_default_str();
  app.add_option("--canvas", det.canvas, "0: the detector's own")->capture_default_str();
  app.add_option("--detector-precision", det.precision, "fp32 | bf16 | int8 | auto")->capture_default_str();
  app.add_option("--threads", threads)->capture_default_str();
  app.add_option("--seconds", seconds, "how long to measure")->capture_default_str();
  app.add_flag("--json", as_json);
  CLI11_PARSE(app, argc, argv);
  try {
    const mw::Classifier clf(store, model, threads);
    std::string detector_name;
    const mw::FaceDetector detector = mw::open_detector(*mw::open_store(store), detector_id, det, detector_name);
    mw::FacesRequest req;
    req.source = photo, req.image = mw::read_file(photo), req.detect = true;
    cv::Mat rgb = mw::decode_request_image(req);
    int w = 0, h = 0;
    if (!resize.empty() && std::sscanf(resize.c_str(), "%dx%d", &w, &h) == 2)
      cv::resize(cv::Mat(rgb), rgb, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
    std::vector<double> detect_ms, classify_ms, total_ms;
    std::size_t faces = 0;
    const auto start = Clock::now();
    while (detect_ms.size() < 3 || ms_since(start) < seconds * 1000) {
      const auto t0 = Clock::now();
      const auto found = detector.detect(rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows);
      detect_ms.push_back(ms_since(t0));
      std::vector<mw::Box> boxes;
      for (const auto& f : found) boxes.push_back(f.box);
      const auto t1 = Clock::now();
      if (!boxes.empty()) clf.classify_rgb(rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows, boxes);
      classify_ms.push_back(ms_since(t1));
      total_ms.push_back(ms_since(t0));
      faces = boxes.size();
    }
    const mw::json r = {
        {"photo", photo},
        {"width", rgb.cols},
        {"height", rgb.rows},
        {"detector", detector_name},
        {"arch", detector.arch()},
        {"canvas", detector.options().canvas},
        {"detector_precision", det.precision},
        {"threads", threads},
        {"classifier_engine", clf.engine()},
        {"faces", faces},
        {"runs", total_ms.size()},
        {"detect_ms", {{"median", percentile(detect_ms, 0.5)}, {"p90", percentile(detect_ms, 0.9)}}},
        {"classify_ms", {{"median", percentile(classify_ms, 0.5)}, {"p90", percentile(classify_ms, 0.9)}}},
        {"total_ms", {{"median", percentile(total_ms, 0.5)}, {"p90", percentile(total_ms, 0.9)}}}};
    if (as_json) {
      std::cout << r.dump() << "\n";
    } else {
      std::printf(
          "%s %dx%d, %zu faces, %s canvas %d %s, %d threads, %zu runs: detect %.1f ms, classify %.1f ms, "
          "total %.1f ms (median; p90 %.1f); oneDNN ISA %s\n",
          photo.c_str(), rgb.cols, rgb.rows, faces, detector.arch(), detector.options().canvas, det.precision.c_str(),
          threads, total_ms.size(), percentile(detect_ms, 0.5), percentile(classify_ms, 0.5), percentile(total_ms, 0.5),
          percentile(total_ms, 0.9), mw::fast_conv_isa().c_str());
    }
  } catch (const std::exception& e) {
    std::cerr << "photo_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
