#include "data/framing.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

#include "core/parallel.h"
#include "data/crop.h"
#include "data/dataset.h"
#include "data/split.h"

namespace mw {

double context_margin(const FramingOptions& o) {
  return std::max({o.margin_max, o.margin_min, o.prepare_margin}) + std::max(0.0, o.shift);
}

int context_size(const FramingOptions& o, int shard_size) {
  return std::max(1,
                  static_cast<int>(std::lround(shard_size * (1 + 2 * context_margin(o)) / (1 + 2 * o.prepare_margin))));
}

Framing draw_framing(Rng& rng, const FramingOptions& o) {
  Framing f;
  f.margin = rng.uniform(o.margin_min, o.margin_max);
  f.dx = rng.uniform(-o.shift, o.shift);
  f.dy = rng.uniform(-o.shift, o.shift);
  return f;
}

cv::Rect framed_window(const Framing& f, double ctx_margin, int ctx_size) {
  const double per_box = ctx_size / (1 + 2 * ctx_margin);  // pixels per box side
  const int side = std::clamp(static_cast<int>(std::lround((1 + 2 * f.margin) * per_box)), 1, ctx_size);
  const double cx = 0.5 * ctx_size + f.dx * per_box, cy = 0.5 * ctx_size + f.dy * per_box;
  const int x = std::clamp(static_cast<int>(std::lround(cx - 0.5 * side)), 0, ctx_size - side);
  const int y = std::clamp(static_cast<int>(std::lround(cy - 0.5 * side)), 0, ctx_size - side);
  return {x, y, side, side};
}

void copy_window(const std::uint8_t* ctx, int ctx_size, const cv::Rect& window, std::uint8_t* dst) {
  const std::size_t row = static_cast<std::size_t>(window.width) * 3;
  for (int y = 0; y < window.height; ++y)
    std::memcpy(dst + y * row, ctx + (static_cast<std::size_t>(window.y + y) * ctx_size + window.x) * 3, row);
}

double seam_in_context(double seam, const FramingOptions& o) {
  const double m = context_margin(o);
  return (m - o.prepare_margin + seam * (1 + 2 * o.prepare_margin)) / (1 + 2 * m);
}

Shard context_shard(const ObjectStore& store, const std::string& split, const Shard& like, double ctx_margin,
                    int ctx_size, int threads) {
  const auto index = load_index(store);
  const auto manifest = SplitManifest::from_json(json::parse(store.get(kManifestKey)));
  const int s = split_index(split);
  std::vector<const ImageRecord*> photos;
  for (const auto& rec : index.images)
    if (manifest.split_of(rec.stem) == s) photos.push_back(&rec);
  // Each photo's faces, cut on the threads, then added in the index's order (prepare's).
  std::vector<std::vector<cv::Mat>> crops(photos.size());
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  parallel_for(static_cast<std::int64_t>(photos.size()), threads, [&](std::int64_t i) {
    const ImageRecord& rec = *photos[static_cast<std::size_t>(i)];
    cv::Mat rgb;
    try {
      rgb = decode_rgb(read_verified(store, rec.image), store.uri() + "/" + rec.image.key);
    } catch (const Error&) {
      return;  // prepare rejected it too: its faces are in no shard
    }
    for (const auto& box : rec.boxes)
      crops[static_cast<std::size_t>(i)].push_back(crop_face(rgb, box, static_cast<float>(ctx_margin), ctx_size));
  });
  Shard out;
  out.size = ctx_size;
  for (std::size_t i = 0; i < photos.size(); ++i)
    for (std::size_t k = 0; k < crops[i].size(); ++k) {
      const auto& box = photos[i]->boxes[k];
      const int face = static_cast<int>(std::min(box.width(), box.height()));
      out.add(crops[i][k].ptr<std::uint8_t>(), photos[i]->labels[k], face, photos[i]->stem);
    }
  const std::string where = store.uri() + "/" + shard_key(split);
  if (out.count() != like.count())
    throw Error(where, "the shard holds " + std::to_string(like.count()) + " faces, the photos of its split " +
                           std::to_string(out.count()) + ": run 'maskwatch prepare' again");
  for (std::size_t i = 0; i < out.count(); ++i)
    if (out.stems[i] != like.stems[i] || out.labels[i] != like.labels[i] || out.face_px[i] != like.face_px[i])
      throw Error(where, "face " + std::to_string(i) + " (" + like.stems[i] +
                             ") is not the photos' face in the same place: run 'maskwatch prepare' again");
  return out;
}

}  // namespace mw
