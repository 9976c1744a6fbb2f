// The public API's call from C++, the baseline for bench/python_api.py:
// api_bench --models DIR --photo P [--runs N] [--threads T] prints the
// median milliseconds of FaceLabeller::detect on the decoded photo.
#include <maskwatch/maskwatch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

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
  std::size_t found = faces.detect(image.view()).size();  // warm
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    found = faces.detect(image.view()).size();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  std::printf("{\"median_ms\": %.3f, \"faces\": %zu, \"engine\": \"%s\"}\n", ms[ms.size() / 2], found,
              faces.engine().c_str());
  return 0;
}
