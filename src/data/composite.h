// Synthetic faces for the rare class. A face is cut across at a seam: the
// rows above come from one crop (a face without a mask: eyes and nose), the
// rows below from another (a face wearing its mask), blended over a few rows.
// With the seam below the nose, the mask sits under it: a mask worn
// incorrectly. With the seam above the nose, the mask covers it: a mask worn
// well, so that the seam alone tells no class apart.
#pragma once
#include <cstdint>

#include "core/rng.h"

namespace mw {

// Where the seam falls, as a fraction of the crop's side (crops are the face
// box plus a margin, so the nose tip sits near 0.55 and a worn mask's upper
// edge near 0.42).
struct SeamRange {
  double lo, hi;
};
constexpr SeamRange kSeamBelowNose{0.55, 0.68};  // -> mask_weared_incorrect
constexpr SeamRange kSeamAboveNose{0.30, 0.42};  // -> with_mask
constexpr double kSeamBlend = 0.05;              // half-width of the blend, fraction of the side

// dst (size x size x 3) = top's rows above the seam, bottom's rows below it,
// linearly blended within kSeamBlend of it. All three crops have the same side.
void composite_faces(const std::uint8_t* top, const std::uint8_t* bottom, int size, double seam, std::uint8_t* dst);

// A seam drawn uniformly from the range.
inline double draw_seam(Rng& rng, SeamRange r) { return rng.uniform(r.lo, r.hi); }

}  // namespace mw
