// Training-time augmentation of 8-bit RGB crops, driven by a seeded Rng:
// flip, scale, shift, rotation, colour, and down-up sampling (so that small,
// blurry faces and large, sharp ones look alike to the model).
#pragma once
#include <algorithm>
#include <cstdint>

#include "core/rng.h"

namespace mw {

struct AugmentOptions {
  bool flip = true;
  float scale = 0.15f;  // zoom in/out by up to this fraction
  float shift = 0.08f;  // translate by up to this fraction of the side
  float rotate_deg = 10.f;
  float brightness = 0.2f;   // +- fraction of 255
  float contrast = 0.2f;     // multiply by 1 +- this
  float lowres_prob = 0.3f;  // chance to down-sample then up-sample
  float lowres_min = 0.25f;  // smallest down-sampling factor

  // Every range times k (k = 0: no change but flips).
  AugmentOptions scaled(float k) const {
    AugmentOptions o = *this;
    o.scale *= k, o.shift *= k, o.rotate_deg *= k, o.brightness *= k, o.contrast *= k;
    o.lowres_prob = std::min(1.f, lowres_prob * k);
    return o;
  }
};

// Writes an augmented dst_size x dst_size crop of the src_size x src_size crop.
void augment_crop(const std::uint8_t* src, int src_size, std::uint8_t* dst, int dst_size, Rng& rng,
                  const AugmentOptions& opt);
// The plain path: a resize (or copy) without augmentation.
void resize_crop(const std::uint8_t* src, int src_size, std::uint8_t* dst, int dst_size);

}  // namespace mw
