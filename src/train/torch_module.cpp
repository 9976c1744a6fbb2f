// The table of LibTorch functions (train/torch_module.h).
#include "train/torch_module.h"

#include <torch/torch.h>

#include "model/artifact.h"
#include "model/torch_engine.h"

namespace mw {
namespace {
const TorchModule kModule = [] {
  TorchModule m;
  m.torch_version = TORCH_VERSION;
  m.train = &train;
  m.pipeline = &pipeline;
  m.train_detector = &train_detector;
  m.ensure_plain_export = &ensure_plain_export;
  m.reference_engine = torch_engine_factory();
  return m;
}();
}  // namespace
}  // namespace mw

const mw::TorchModule* maskwatch_torch_module() { return &mw::kModule; }
