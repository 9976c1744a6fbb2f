// The public API's calls from C++, the baseline for bench/python_api.py:
// api_bench --models DIR --photo P [--runs N] [--threads T] prints the
// median and least milliseconds of FaceLabeller::detect on the decoded
// photo, and of classify on one box (a call that costs little, so that the
// Python module's overhead over it stands out).
#include <maskwatch/maskwatch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>
#include <vector>

namespace {

const mw::Box kBox{79, 105, 109, 142};  // a face of maksssksksss0

// The median and the least milliseconds of `runs` calls, after one to warm up.
template <class Call>
std::pair<double, double> timed(int runs, Call call) {
  call();
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    call();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front()};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"median ms of FaceLabeller::detect on one photo"};
  std::string models, photo;
  int runs = 50, threads = 1;
  app.add_option("--models", models, "a store or a models export folder")->required();
  app.add_option("--photo", photo, "a JPEG or PNG")->required();
  app.add_option("--runs", runs, "calls timed")->capture_default_str();
  app.add_option("--threads", threads, "compute threads")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  mw::OpenOptions o;
  o.threads = threads;
  const mw::FaceLabeller faces = mw::FaceLabeller::open(models, o);
  const mw::Image image = mw::read_image(photo);
  const std::size_t found = faces.detect(image.view()).size();
  const auto detect = timed(runs, [&] { faces.detect(image.view()); });
  const auto classify = timed(runs, [&] { faces.classify(image.view(), {kBox}); });
  std::printf("{\"detect_ms\": [%.3f, %.3f], \"classify_ms\": [%.3f, %.3f], \"faces\": %zu, \"engine\": \"%s\"}\n",
              detect.first, detect.second, classify.first, classify.second, found, faces.engine().c_str());
  return 0;
}
