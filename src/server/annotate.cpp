#include "server/annotate.h"

#include <jpeglib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <opencv2/imgproc.hpp>

namespace mw {

namespace {

const cv::Scalar kUnsureColour = {128, 128, 128};

// RGB, as the web page draws them.
cv::Scalar label_colour(const std::string& label) {
  if (label == "with_mask") return {34, 170, 85};
  if (label == "without_mask") return {220, 50, 47};
  return {240, 150, 20};
}

}  // namespace

void draw_face(cv::Mat& img, const Face& p, const std::string& label, const std::string& tag) {
  const cv::Scalar colour = p.unsure ? kUnsureColour : label_colour(label);
  const int thickness = std::max(2, std::min(img.cols, img.rows) / 200);
  const cv::Point a(int(p.box.xmin), int(p.box.ymin)), b(int(p.box.xmax), int(p.box.ymax));
  cv::rectangle(img, a, b, colour, thickness);
  char text[128];
  if (p.unsure)
    std::snprintf(text, sizeof text, "%sunsure (%s?) %.2f", tag.c_str(), label.c_str(), double(p.confidence));
  else
    std::snprintf(text, sizeof text, "%s%s %.2f", tag.c_str(), label.c_str(), double(p.confidence));
  const double scale = std::max(0.4, std::min(img.cols, img.rows) / 900.0);
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &baseline);
  const int top = std::max(0, a.y - size.height - baseline - 2);
  cv::rectangle(img, {a.x, top}, {a.x + size.width + 4, top + size.height + baseline + 2}, colour, cv::FILLED);
  cv::putText(img, text, {a.x + 2, top + size.height + 1}, cv::FONT_HERSHEY_SIMPLEX, scale, {255, 255, 255}, 1,
              cv::LINE_AA);
}

std::string annotated_jpeg(const cv::Mat& rgb, const std::vector<Face>& faces, const std::vector<std::string>& labels) {
  cv::Mat img = rgb.clone();
  for (const auto& p : faces) draw_face(img, p, labels.at(std::size_t(p.label)));
  return encode_jpeg(img, kAnnotatedJpegQuality);
}

std::string encode_jpeg(const cv::Mat& rgb, int quality) {
  if (rgb.type() != CV_8UC3 || rgb.empty()) throw Error("encode_jpeg", "expected a non-empty 8-bit RGB image");
  jpeg_compress_struct c{};
  jpeg_error_mgr err{};
  c.err = jpeg_std_error(&err);
  err.error_exit = [](j_common_ptr) { std::abort(); };  // only a programming error reaches it: the input is checked
  jpeg_create_compress(&c);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &out, &size);
  c.image_width = JDIMENSION(rgb.cols);
  c.image_height = JDIMENSION(rgb.rows);
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, quality, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(rgb.ptr<unsigned char>(int(c.next_scanline)));
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::string bytes(reinterpret_cast<const char*>(out), size);
  std::free(out);
  return bytes;
}

}  // namespace mw
