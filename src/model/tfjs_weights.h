// TensorFlow.js weights: a weights_manifest.json plus its .bin shards.
// Tensors lie back to back in manifest order (across the shards, in path
// order) with no header or padding; uint8-quantised entries decode as
// q*scale + min (computed in double, stored as float32), like tfjs does.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "maskwatch.h"

namespace mw {

struct TfjsTensor {
  std::string name;
  std::vector<std::int64_t> shape;  // as in the manifest (TF layouts: HWIO filters)
  std::string dtype;                // float32 or int32 (as decoded)
  std::vector<float> values;        // float32 entries; int32 entries rounded to whole numbers
  std::int64_t numel() const;
};

// Reads <dir>/<manifest>, then its shards from the same folder. Throws
// mw::Error naming the tensor when the manifest and the bytes disagree
// (size, shape, dtype, quantisation).
std::map<std::string, TfjsTensor> load_tfjs_weights(const std::string& manifest_path);
// The shards a manifest (its array of weight groups) names, read from `dir`
// and concatenated in order; a shard path must be a plain file name, and each
// shard at most max_bytes. `source` names the manifest in errors.
std::string read_tfjs_shards(const json& manifest, const std::string& dir, const std::string& source,
                             std::size_t max_bytes);
// The same from bytes already in memory: the manifest text and the shards
// concatenated in path order; `source` names them in errors.
std::map<std::string, TfjsTensor> decode_tfjs_weights(const std::string& manifest_json, const std::string& data,
                                                      const std::string& source);

}  // namespace mw
