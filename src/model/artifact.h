// Model artifacts: weights plus JSON metadata (architecture, labels, input
// size, crop margin, normalisation, metrics, manifest hash, created_at),
// stored under models/<id>/ where id is the SHA-256 of the weights, with
// models/latest naming the newest.
#pragma once
#include <torch/torch.h>

#include <string>

#include "maskwatch.h"
#include "model/model_ref.h"
#include "model/network.h"
#include "store/object_store.h"

namespace mw {

std::string weights_to_bytes(NetworkImpl& net);
void weights_from_bytes(NetworkImpl& net, const std::string& bytes, const std::string& source);

// Stores the weights and metadata, moves models/latest; returns the metadata with "id".
json publish_model(ObjectStore& store, NetworkImpl& net, json meta);

// Adds the plain engine's weights to a model published before they existed;
// false when its architecture has no plain export.
bool ensure_plain_export(ObjectStore& store, const std::string& id);

struct LoadedModel {
  Network net;
  json meta;
};
// "latest" or an id (a unique prefix of one is enough).
LoadedModel load_model(const ObjectStore& store, const std::string& id);

}  // namespace mw
