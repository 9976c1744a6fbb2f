// The face detectors' networks alone, one canvas at a time on one thread:
// FaceBoxes (detect/faceboxes.h) and CenterNet (detect/centernet.h) at the
// canvases given, in each precision this CPU runs natively (int8 calibrated
// on dataset photos first). Prints the median milliseconds of a forward pass,
// the network's multiply-adds, and the rate they run at.
//   detector_nets [--canvases 512,640,1024] [--runs 10]
// The dataset comes from $MASKWATCH_DATA (default ../shared/data/face-mask-detection).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "core/env.h"
#include "core/paths.h"
#include "data/image_decode.h"
#include "detect/centernet.h"
#include "detect/detector.h"
#include "detect/faceboxes.h"
#include "infer/fast_conv.h"
#include "infer/plain_ops.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kCalibrationPhotos = 4;

// Multiply-adds of the network's convolutions on one canvas.
double conv_macs(const mw::PlainNet& net) {
  double macs = 0;
  for (const auto& op : net.ops) {
    if (op.kind != mw::PlainOp::Kind::Conv) continue;
    const double side = mw::plain_out_side(op.in_side, op);
    macs += side * side * op.cout * op.k * op.k * (op.cin / op.groups);
  }
  return macs;
}

// Dataset photos at the top left of side x side zero canvases, one after another.
std::vector<std::uint8_t> canvases(int side, int count) {
  const std::string data = mw::env_or("MASKWATCH_DATA", "../shared/data/face-mask-detection");
  std::vector<std::uint8_t> out(static_cast<std::size_t>(count) * side * side * 3, 0);
  for (int i = 0; i < count; ++i) {
    const std::string path = data + "/images/maksssksksss" + std::to_string(i) + ".jpg";
    const cv::Mat rgb = mw::decode_image_rgb(mw::read_file(path), path, {1L << 26, 1 << 14});
    std::uint8_t* canvas = out.data() + static_cast<std::size_t>(i) * side * side * 3;
    for (int y = 0; y < std::min(rgb.rows, side); ++y)
      std::copy_n(rgb.ptr<std::uint8_t>(y), std::min(rgb.cols, side) * 3,
                  canvas + static_cast<std::size_t>(y) * side * 3);
  }
  return out;
}

double median_ms(const mw::PlainNet& net, const std::uint8_t* canvas, int runs) {
  std::vector<double> ms;
  net.forward(canvas, 1);  // kernels built, buffers touched
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    net.forward(canvas, 1);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

void report(const char* name, int side, mw::PlainNet net, int runs) {
  const auto photos = canvases(side, kCalibrationPhotos);
  net.calibrate(photos.data(), kCalibrationPhotos);
  const double macs = conv_macs(net);
  for (auto p : {mw::Precision::fp32, mw::Precision::bf16, mw::Precision::int8}) {
    if (!mw::cpu_runs_natively(p)) continue;
    net.set_precision(p);
    const double ms = median_ms(net, photos.data(), runs);
    std::printf("%-10s %5d  %-5s %8.1f ms  %6.2f GMAC  %6.1f GMAC/s\n", name, side, mw::precision_name(p), ms,
                macs / 1e9, macs / 1e6 / ms);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("forward time of the face detectors' networks, one canvas on one thread");
  std::vector<int> sides = {512, 640, 1024};
  int runs = 10;
  app.add_option("--canvases", sides, "canvas sides")->delimiter(',');
  app.add_option("--runs", runs, "timed runs a row (the median is printed)");
  CLI11_PARSE(app, argc, argv);
  try {
    std::printf("oneDNN ISA %s; the plain engine built for %s\n", mw::fast_conv_isa().c_str(),
                mw::plain_engine_cpu_features().c_str());
    const auto centernet = mw::load_centernet_weights(mw::centernet_dir());
    for (int side : sides) {
      if (side % mw::kFaceBoxesStride == 0)
        report("faceboxes", side, mw::load_faceboxes(mw::faceboxes_dir(), side), runs);
      report("centernet", side, mw::centernet_from_tfjs(centernet, side).net, runs);
    }
  } catch (const mw::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
