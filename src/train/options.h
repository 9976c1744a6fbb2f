// Where a run keeps its recorded options, and which of them are recorded.
#pragma once
#include <string>

#include "maskwatch.h"

namespace mw {

// The store's pointer to the latest resumable run (one with a checkpoint).
inline const std::string kLatestRunKey = "runs/latest";
// runs/<run>/options.json: the run's options as it started (recorded_json).
inline const std::string kOptionsFile = "options.json";

// --framing is on (TrainOptions::framing_max >= 0).
inline bool framing_on(const TrainOptions& o) { return o.framing_max >= 0; }

// "runs/<run>/<file>"
std::string run_key(const std::string& run, const std::string& file);

class ObjectStore;
// The run a training writes: `run` when named; else, resuming, the one
// `latest_key` points at; else a new "<prefix><UTC time>-s<seed>" no run of
// the store has. A new run must not overwrite one with a checkpoint.
std::string choose_run(const ObjectStore& store, std::string run, bool resume, std::uint64_t seed,
                       const std::string& latest_key, const std::string& prefix = "");
// The options a run records: to_json without the settings of one process
// (store, resume, stop_after_batches).
json recorded_json(const TrainOptions& o);

}  // namespace mw
