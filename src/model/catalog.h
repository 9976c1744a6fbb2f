// The models of a store, as a person browses them: each one's summary (id,
// architecture, created, validation and recorded test figures, whether it is
// latest), and one model's whole card.
#pragma once
#include <string>

#include "maskwatch.h"
#include "store/object_store.h"

namespace mw {

// Where evaluate records a model's figures on a split, for the catalog.
std::string evaluation_key(const std::string& model_id, const std::string& split);

// Every model, oldest first: [{"id", "arch", "input_size", "created_at", "latest",
// "val": {accuracy, macro_f1}, "test": {accuracy, macro_f1} or null}].
json list_models(const ObjectStore& store);
// One model ("latest", an id or a unique prefix): its model.json, plus
// "latest" and the figures evaluate recorded, by split ("evaluations").
json show_model(const ObjectStore& store, const std::string& id);

}  // namespace mw
