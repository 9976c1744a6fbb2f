// Face crops: a square around the box, with a margin of context, clipped at
// the image edge (the part outside is filled by replicating the edge), then
// resized to the model's input size.
#pragma once
#include <opencv2/core.hpp>

#include "maskwatch.h"

namespace mw {

// The square region (may reach outside the image): side = max(w, h) * (1 + 2*margin),
// centred on the box, rounded to whole pixels, at least 1 pixel.
cv::Rect crop_region(const Box& box, float margin);

// The crop of an RGB (or any 8-bit) image, size x size pixels.
cv::Mat crop_face(const cv::Mat& image, const Box& box, float margin, int size);

}  // namespace mw
