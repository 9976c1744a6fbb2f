// A short test video from a photo: make_test_video PHOTO OUT.avi FRAMES WIDTH
// HEIGHT SHIFT writes FRAMES frames (MJPG, 25 fps) of the photo resized to
// WIDTH x HEIGHT, moved SHIFT pixels right each frame.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

namespace {
constexpr double kFps = 25;
constexpr int kArgs = 7;
}  // namespace

int main(int argc, char** argv) {
  if (argc != kArgs) {
    std::fprintf(stderr, "usage: make_test_video PHOTO OUT.avi FRAMES WIDTH HEIGHT SHIFT\n");
    return 2;
  }
  const cv::Mat photo = cv::imread(argv[1]);
  if (photo.empty()) {
    std::fprintf(stderr, "%s: cannot be read\n", argv[1]);
    return 1;
  }
  const int frames = std::atoi(argv[3]), width = std::atoi(argv[4]), height = std::atoi(argv[5]);
  const int shift = std::atoi(argv[6]);
  cv::Mat base;
  cv::resize(photo, base, {width, height});
  cv::VideoWriter w(argv[2], cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), kFps, {width, height});
  if (!w.isOpened()) {
    std::fprintf(stderr, "%s: cannot be written\n", argv[2]);
    return 1;
  }
  for (int i = 0; i < frames; ++i) {
    cv::Mat frame(height, width, CV_8UC3, cv::Scalar(0, 0, 0));
    const int dx = std::min(width - 1, i * shift);
    base(cv::Rect(0, 0, width - dx, height)).copyTo(frame(cv::Rect(dx, 0, width - dx, height)));
    w.write(frame);
  }
  return 0;
}
