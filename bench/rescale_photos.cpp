// Photos made smaller, as a farther camera would see them (bench/framing.py):
// reads lines "IN OUT FACTOR" on stdin; writes IN resized by FACTOR (area
// averaging, as a camera's larger pixels do) to OUT as PNG, so that no JPEG
// loss is added.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

int main() {
  std::string in, out;
  double factor = 0;
  int written = 0;
  while (std::cin >> in >> out >> factor) {
    const cv::Mat image = cv::imread(in, cv::IMREAD_COLOR);
    if (image.empty() || !(factor > 0 && factor <= 1)) {
      std::cerr << "rescale_photos: cannot read " << in << " or factor " << factor << " not in (0, 1]\n";
      return 1;
    }
    const cv::Size size(std::max(1, static_cast<int>(std::lround(image.cols * factor))),
                        std::max(1, static_cast<int>(std::lround(image.rows * factor))));
    cv::Mat small;
    cv::resize(image, small, size, 0, 0, cv::INTER_AREA);
    if (!cv::imwrite(out, small)) {
      std::cerr << "rescale_photos: cannot write " << out << "\n";
      return 1;
    }
    ++written;
  }
  std::cout << written << " photos\n";
  return 0;
}
