// Finding a model artifact in a store without loading it: "latest", a full
// id, or a unique prefix of one -> its folder and metadata.
#pragma once
#include <string>

#include "maskwatch.h"
#include "store/object_store.h"

namespace mw {

inline constexpr const char* kLatestKey = "models/latest";
inline constexpr const char* kPlainWeightsFile = "inference.bin";

struct ModelRef {
  std::string dir;  // "models/<id>/"
  json meta;        // model.json
};

ModelRef find_model(const ObjectStore& store, const std::string& id);

}  // namespace mw
