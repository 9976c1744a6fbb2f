// Image decoding (JPEG, PNG) and face crops of a few boxes around the image.
#include <array>

#include "data/crop.h"
#include "data/image_decode.h"
#include "fuzz.h"

namespace {

// Small enough that a hostile header cannot take the fuzzer past its memory limit.
const mw::ImageLimits kLimits{1L << 22, 1 << 13};
constexpr int kCropSize = 32;
constexpr float kMargin = 0.2f;

// Boxes as fractions of the image: inside, over an edge, tiny, outside, whole.
constexpr std::array<mw::Box, 5> kBoxes{{{0.25f, 0.25f, 0.75f, 0.75f},
                                         {-0.5f, 0.8f, 0.3f, 1.6f},
                                         {0.5f, 0.5f, 0.501f, 0.501f},
                                         {2.0f, -3.0f, 2.5f, -1.0f},
                                         {0.0f, 0.0f, 1.0f, 1.0f}}};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mw::fuzz::accept_or_reject([&] {
    const std::string bytes = mw::fuzz::bytes_of(data, size);
    const cv::Mat image = mw::decode_image_rgb(bytes, "fuzz-image", kLimits);
    const float w = static_cast<float>(image.cols), h = static_cast<float>(image.rows);
    for (const auto& f : kBoxes) {
      const mw::Box box{f.xmin * w, f.ymin * h, f.xmax * w, f.ymax * h};
      const cv::Mat crop = mw::crop_face(image, box, kMargin, kCropSize);
      if (crop.rows != kCropSize || crop.cols != kCropSize) __builtin_trap();
    }
  });
  return 0;
}
