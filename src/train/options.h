// Where a run keeps its recorded options, and which of them are recorded.
#pragma once
#include <string>

#include "maskwatch.h"

namespace mw {

// The store's pointer to the latest resumable run (one with a checkpoint).
inline const std::string kLatestRunKey = "runs/latest";
// runs/<run>/options.json: the run's options as it started (recorded_json).
inline const std::string kOptionsFile = "options.json";

// "runs/<run>/<file>"
std::string run_key(const std::string& run, const std::string& file);
// The options a run records: to_json without the settings of one process
// (store, resume, stop_after_batches).
json recorded_json(const TrainOptions& o);

}  // namespace mw
