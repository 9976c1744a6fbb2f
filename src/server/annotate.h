// The photo a predict request sent, with each face boxed and labelled (its
// label and score), as a JPEG: what `POST /v1/predict?annotate=1` returns.
#pragma once
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "maskwatch.h"

namespace mw {

inline constexpr int kAnnotatedJpegQuality = 85;

// Draws on a copy of `rgb` (8-bit RGB) and encodes it.
std::string annotated_jpeg(const cv::Mat& rgb, const std::vector<Face>& faces, const std::vector<std::string>& labels);
// Draws one face on `img` (8-bit RGB): its box in its label's colour (grey
// when unsure) and "<tag><label> <confidence>" above it.
void draw_face(cv::Mat& img, const Face& p, const std::string& label, const std::string& tag = "");
// 8-bit RGB -> baseline JPEG (libjpeg); throws mw::Error when it cannot.
std::string encode_jpeg(const cv::Mat& rgb, int quality);

}  // namespace mw
