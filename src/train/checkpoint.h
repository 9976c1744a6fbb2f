// Training checkpoints: model, optimiser state and the loop's own state in
// one object, written atomically after every epoch, so that a run killed at
// any moment resumes from its last finished epoch with the same result.
// The object is a header line with the SHA-256 of what follows, then the
// LibTorch archive: one atomic put holds both, so the checksum always
// matches the checkpoint it sits in, and a corrupted checkpoint is refused.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <string>
#include <string_view>

#include "maskwatch.h"
#include "model/network.h"
#include "store/object_store.h"

namespace mw {

// The checkpoint object of an archive (its SHA-256 line, then the archive),
// and back: the archive, once its checksum matches (else mw::Error naming `where`).
std::string seal_checkpoint(const std::string& archive);
std::string_view unseal_checkpoint(const std::string& bytes, const std::string& where);

struct TrainState {
  int epoch = 0;        // finished epochs
  double best_f1 = -1;  // best validation macro-F1 so far
  int best_epoch = 0;
  json history = json::array();
  json fingerprint;  // the settings that decide the result
};

// `ema`, when given, is the exponential moving average of the weights.
void save_checkpoint(ObjectStore& store, const std::string& key, NetworkImpl& net, torch::optim::Optimizer& opt,
                     const TrainState& st, NetworkImpl* ema = nullptr);
// False when there is no checkpoint under key. Throws mw::Error naming the
// key when the checkpoint is corrupt (its checksum does not match) or does
// not load. `check`, when given, sees the saved state before any weights are
// loaded and throws to refuse it.
bool load_checkpoint(const ObjectStore& store, const std::string& key, NetworkImpl& net, torch::optim::Optimizer& opt,
                     TrainState& st, NetworkImpl* ema = nullptr,
                     const std::function<void(const TrainState&)>& check = {});

}  // namespace mw
