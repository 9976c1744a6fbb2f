// Finding a model artifact in a store without loading it: "latest", a full
// id, or a unique prefix of one -> its folder and metadata, checked.
#pragma once
#include <string>

#include "maskwatch.h"
#include "store/object_store.h"

namespace mw {

inline constexpr const char* kLatestKey = "models/latest";
inline constexpr const char* kPlainWeightsFile = "inference.bin";
inline constexpr std::uint64_t kMaxLatestBytes = 1024;  // models/latest holds one id and a newline

// The ranges model.json's fields must lie in.
inline constexpr int kMinModelInputSize = 16, kMaxModelInputSize = 512;
inline constexpr int kMinModelCropSize = 16, kMaxModelCropSize = 1024;
inline constexpr double kMinModelMargin = 0, kMaxModelMargin = 1;
inline constexpr std::size_t kNormalisationChannels = 3;
inline constexpr double kMinModelTemperature = 0.05, kMaxModelTemperature = 20;  // confidence.temperature

struct ModelRef {
  std::string dir;  // "models/<id>/"
  json meta;        // model.json
};

// The architectures a model.json may name.
const std::vector<std::string>& model_archs();

// Checks model.json: arch one of model_archs(), labels the class names in
// order, input_size, crop_size (when present) and margin (when present) in
// their ranges, normalisation's mean and inv_scale (when present) 3 finite
// numbers each, confidence.temperature (when present) in its range.
// Throws mw::Error(where, "field 'margin' is 1e+09; expected 0 to 1").
void validate_model_meta(const json& meta, const std::string& where);

// The model's folder and its validated metadata.
ModelRef find_model(const ObjectStore& store, const std::string& id);

}  // namespace mw
