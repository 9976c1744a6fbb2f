// Tensor shards: all crops of one split in one object, 8-bit RGB HWC, with
// label, source image and face size per crop.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "store/object_store.h"

namespace mw {

struct Shard {
  int size = 0;                      // crop side in pixels
  std::vector<std::uint8_t> pixels;  // count * size * size * 3
  std::vector<std::uint8_t> labels;
  std::vector<std::uint16_t> face_px;  // shorter side of the original box
  std::vector<std::string> stems;      // source image per crop

  std::size_t count() const { return labels.size(); }
  std::size_t crop_bytes() const { return static_cast<std::size_t>(size) * size * 3; }
  const std::uint8_t* crop(std::size_t i) const { return pixels.data() + i * crop_bytes(); }
  void add(const std::uint8_t* rgb, int label, int face, const std::string& stem);
  // The first n crops (all when n <= 0 or n >= count).
  Shard head(long n) const;
  // This shard's crops followed by other's (same crop size).
  Shard joined(const Shard& other) const;
};

std::string encode_shard(const Shard& s);
Shard decode_shard(const std::string& bytes, const std::string& source);

std::string shard_key(const std::string& split);  // shards/<split>.bin
Shard load_shard(const ObjectStore& store, const std::string& split);

}  // namespace mw
