#include <algorithm>
#include <opencv2/core.hpp>

#include "core/paths.h"
#include "data/crop.h"
#include "data/dataset.h"
#include "data/shard.h"
#include "data/split.h"

namespace mw {

inline constexpr const char* kShardMetaKey = "shards/meta.json";

json prepare(const PrepareOptions& opt, const Reporter& rep) {
  if (opt.crop_size < 8 || opt.crop_size > 512) throw Error("prepare", "--crop-size must be in 8..512");
  if (opt.margin < 0 || opt.margin > 1) throw Error("prepare", "--margin must be in 0..1");
  auto store = open_store(opt.store);
  auto index = load_index(*store);
  auto manifest = split_by_image(index, opt.train_fraction, opt.val_fraction, opt.seed);
  store->put(kManifestKey, manifest.to_json().dump(1));

  Shard shards[3];
  for (auto& s : shards) s.size = opt.crop_size;
  long images = 0, failed = 0;
  json rejects = json::array();
  for (const auto& rec : index.images) {
    rep.tick("prepare", ++images, static_cast<long>(index.images.size()));
    int s = manifest.split_of(rec.stem);
    // Outside the try: a file that is not what the index says stops prepare.
    const auto bytes = read_verified(*store, rec.image);
    try {
      auto rgb = decode_rgb(bytes, store->uri() + "/" + rec.image.key);
      for (std::size_t i = 0; i < rec.boxes.size(); ++i) {
        cv::Mat crop = crop_face(rgb, rec.boxes[i], opt.margin, opt.crop_size);
        int face = static_cast<int>(std::min(rec.boxes[i].width(), rec.boxes[i].height()));
        shards[s].add(crop.ptr<std::uint8_t>(), rec.labels[i], face, rec.stem);
      }
    } catch (const Error& e) {
      ++failed;
      rejects.push_back({{"file", e.where()}, {"reason", e.reason()}});
      rep.say("rejected image: " + std::string(e.what()));
    }
  }
  json counts;
  for (int s = 0; s < 3; ++s) {
    store->put(shard_key(kSplitNames[s]), encode_shard(shards[s]));
    std::array<long, kNumClasses> pc{};
    for (auto l : shards[s].labels) ++pc[l];
    json c = {{"images", manifest.stems[s].size()}, {"crops", shards[s].count()}};
    for (int k = 0; k < kNumClasses; ++k) c[class_names()[k]] = pc[k];
    counts[kSplitNames[s]] = c;
  }
  json meta = {{"crop_size", opt.crop_size}, {"margin", opt.margin},
               {"seed", opt.seed},           {"manifest_hash", manifest.hash()},
               {"splits", counts},           {"rejected_images", failed},
               {"rejects", rejects},         {"created_at", utc_now_iso()}};
  store->put(kShardMetaKey, meta.dump(2));
  return meta;
}

}  // namespace mw
