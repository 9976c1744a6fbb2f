// JPEG and PNG decoding straight on libjpeg-turbo and libpng: the pixels
// cv::imdecode(IMREAD_COLOR) gives (then BGR->RGB), without OpenCV's imgcodecs
// and the hundred-odd libraries it loads.
#pragma once
#include <opencv2/core.hpp>
#include <string>
#include <string_view>

namespace mw {

enum class ImageFormat { Unknown, Jpeg, Png };

// The format by its magic bytes.
ImageFormat sniff_image_format(std::string_view bytes);

// Decodes a JPEG or PNG held in memory to 8-bit RGB (CV_8UC3), as OpenCV 4.6's
// IMREAD_COLOR does: gray and palette images are expanded, alpha is dropped
// (not composited), 16-bit samples keep their high byte, CMYK is converted
// OpenCV's way and the EXIF orientation (JPEG APP1, PNG eXIf) is
// applied. An image of more than
// max_pixels is refused from its header, before pixel memory is allocated. A
// JPEG whose data ends before its last row is refused (OpenCV returned
// uninitialized rows for it). Throws mw::Error(source, why).
cv::Mat decode_image_rgb(std::string_view bytes, const std::string& source, long max_pixels);

}  // namespace mw
