// Framing augmentation: training faces framed as users frame them, tight or
// loose and off centre. The shard holds each face as the box plus the
// prepare margin (0.15); a framing needs more context than that, so the
// training faces are cut again from the store's photos with a wider margin
// (the context crop) and each draw takes a square window of it: the box plus
// a margin m drawn from [margin_min, margin_max], its centre moved by up to
// `shift` of the box's side along each axis. The window is copied at the
// context crop's own resolution (no resampling), so the augmentation that
// follows resamples once, as without framing.
#pragma once
#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "core/rng.h"
#include "data/shard.h"
#include "store/object_store.h"

namespace mw {

struct FramingOptions {
  double margin_min = 0;         // the tightest crop: the box plus this fraction of its side on every side
  double margin_max = 0.6;       // the loosest (0.6: head and shoulders)
  double shift = 0.25;           // the window's centre moves by up to this fraction of the box's side, each axis
  double prepare_margin = 0.15;  // the shard's margin: where the seam fractions of composite faces refer to
};

// One drawn framing, in fractions of the box's side (the square around the
// box, max(width, height)).
struct Framing {
  double margin = 0;      // on every side
  double dx = 0, dy = 0;  // the window's centre from the box's
};

// The margin a context crop needs so that every framing fits inside it.
double context_margin(const FramingOptions& o);
// The pixel side of a context crop that shows the box at the shard's scale:
// shard_size * (1 + 2 * context_margin) / (1 + 2 * prepare_margin), rounded.
int context_size(const FramingOptions& o, int shard_size);

// A framing drawn uniformly: margin in [margin_min, margin_max], dx and dy in [-shift, shift].
Framing draw_framing(Rng& rng, const FramingOptions& o);

// The window of framing f in a context crop of side ctx_size holding the box
// plus ctx_margin: whole pixels, square, always inside the crop (a window that
// would reach out, by rounding or a framing wider than the context, is moved
// in and, if need be, shrunk).
cv::Rect framed_window(const Framing& f, double ctx_margin, int ctx_size);

// dst (window.width^2 x 3 bytes) = that window of the context crop.
void copy_window(const std::uint8_t* ctx, int ctx_size, const cv::Rect& window, std::uint8_t* dst);

// A seam's place (a fraction of the side, composite.h) in a prepare-margin crop
// moved to the same row of the face in a context crop.
double seam_in_context(double seam, const FramingOptions& o);

// The faces of `split` cut again from the store's photos as prepare cut them,
// in the same order (checked against `like`, the split's shard: the same
// count, stems and face sizes), but with margin ctx_margin at ctx_size pixels.
// Photos are decoded on `threads` threads (0: all cores).
Shard context_shard(const ObjectStore& store, const std::string& split, const Shard& like, double ctx_margin,
                    int ctx_size, int threads = 0);

}  // namespace mw
