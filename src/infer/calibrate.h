// int8 calibration of a model's plain export: each convolution's input range,
// measured in fp32 on crops of the training split (never validation or test),
// stored in inference.bin so that the int8 engine needs nothing else.
#pragma once
#include "maskwatch.h"
#include "model/model_ref.h"
#include "store/object_store.h"

namespace mw {

// Crops the ranges are measured on: evenly spaced over the train shard, so
// every class and face size is there and the choice is the same every time.
inline constexpr int kCalibrationCrops = 256;

// Measures the ranges on the store's train shard (which must be the split the
// model was trained on), rewrites the model's inference.bin with them and
// records "calibration" and the new plain_sha256 in its model.json.
// Returns the new model.json. Throws Error when the model has no plain
// export or the shards are another split's.
json calibrate_model(ObjectStore& store, const ModelRef& model);

struct Shard;
// A split's shard from the store, refused when the shards are of another
// split than the model was trained on (`why` says what a wrong split would
// do) or when it holds no crops.
Shard load_model_shard(const ObjectStore& store, const ModelRef& model, const std::string& split,
                       const std::string& why);

}  // namespace mw
