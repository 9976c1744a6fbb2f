// Decode images exactly as the C++ project does (cv::imread IMREAD_COLOR + BGR2RGB)
// and write each as raw interleaved RGB uint8: OUTDIR/<stem>.<W>x<H>.rgb
// Built and run by generate.js (--decoder opencv, the default).
#include <cstdio>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: dump_rgb OUTDIR IMAGE...\n");
    return 2;
  }
  for (int i = 2; i < argc; i++) {
    cv::Mat bgr = cv::imread(argv[i], cv::IMREAD_COLOR), rgb;
    if (bgr.empty()) {
      std::fprintf(stderr, "cannot read %s\n", argv[i]);
      return 1;
    }
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    std::string p = argv[i], stem = p.substr(p.find_last_of('/') + 1);
    stem = stem.substr(0, stem.find_last_of('.'));
    std::string out =
        std::string(argv[1]) + "/" + stem + "." + std::to_string(rgb.cols) + "x" + std::to_string(rgb.rows) + ".rgb";
    std::FILE* f = std::fopen(out.c_str(), "wb");
    if (!f) {
      std::fprintf(stderr, "cannot write %s\n", out.c_str());
      return 1;
    }
    for (int y = 0; y < rgb.rows; y++) std::fwrite(rgb.ptr(y), 1, size_t(rgb.cols) * 3, f);
    std::fclose(f);
  }
  std::printf("%s\n", CV_VERSION);
  return 0;
}
