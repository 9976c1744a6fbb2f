// Face crops: a square around the box, with a margin of context, clipped at
// the image edge (the part outside is filled by replicating the edge), then
// resized to the model's input size.
#pragma once
#include <opencv2/core.hpp>

#include "maskwatch.h"

namespace mw {

// The largest square (in pixels) padded at full resolution before the resize:
// 4096 x 4096, 48 MiB of RGB. A larger one that reaches outside the image (a
// thin image's whole-image crop is as wide as its long side) is averaged down
// straight from the image, the edge replicated by clamping coordinates, so a
// crop costs at most max(kMaxPaddedCropPixels, size * size) * 3 bytes plus
// size * size * 12 (float sums) besides its output, whatever the image and the
// box, and reads each pixel of the image inside the region once.
inline constexpr long kMaxPaddedCropPixels = 4096L * 4096;

// The square region (may reach outside the image): side = max(w, h) * (1 + 2*margin),
// centred on the box, rounded to whole pixels, at least 1 pixel.
cv::Rect crop_region(const Box& box, float margin);

// The crop of an RGB (or any 8-bit) image, size x size pixels: the region
// resized (INTER_AREA down, INTER_LINEAR up), bit for bit cv::resize of the
// padded region whenever that region lies inside the image or fits in
// kMaxPaddedCropPixels, within rounding of it otherwise.
cv::Mat crop_face(const cv::Mat& image, const Box& box, float margin, int size);

}  // namespace mw
