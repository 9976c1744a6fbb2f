// JPEG and PNG decoding straight on libjpeg-turbo and libpng: the pixels
// cv::imdecode(IMREAD_COLOR) gives (then BGR->RGB), without OpenCV's imgcodecs
// and the hundred-odd libraries it loads.
#pragma once
#include <functional>
#include <opencv2/core.hpp>
#include <string>
#include <string_view>

#include "maskwatch.h"

namespace mw {

enum class ImageFormat { Unknown, Jpeg, Png };

// What a decode may cost: an image over either is refused from its header.
struct ImageLimits {
  long max_pixels;  // width x height
  int max_side;     // width and height each
  // Called with width x height once the header is read and within the
  // limits, before pixel memory is allocated (a server admits the pixels it
  // decodes at once here); may throw to refuse the image.
  std::function<void(long pixels)> admit = nullptr;
};

// An image refused from its header for being over the limits (a caller may
// answer it apart from a malformed one, e.g. with HTTP 413).
class ImageTooLarge : public Error {
 public:
  using Error::Error;
};

// The format by its magic bytes.
ImageFormat sniff_image_format(std::string_view bytes);

// Decodes a JPEG or PNG held in memory to 8-bit RGB (CV_8UC3), as OpenCV 4.6's
// IMREAD_COLOR does: gray and palette images are expanded, alpha is dropped
// (not composited), 16-bit samples keep their high byte, CMYK is converted
// OpenCV's way and the EXIF orientation (JPEG APP1, PNG eXIf) is
// applied. An image over the limits is refused from its header, before pixel
// memory is allocated (ImageTooLarge). A JPEG whose data ends before its last row is refused
// (OpenCV returned uninitialized rows for it), and so is one for which libjpeg
// warns of corrupt data before its last row (it would fill the rest with grey).
// Throws mw::Error(source, why).
cv::Mat decode_image_rgb(std::string_view bytes, const std::string& source, const ImageLimits& limits);

}  // namespace mw
