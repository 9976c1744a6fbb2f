// The LibTorch functions that programs built on maskwatch_base reach through
// one table: the CLI's LibTorch build (maskwatch-torch) links it; maskwatch
// itself hands such commands to that build (cli/torch_loader.h).
#pragma once
#include "detect/train_detector.h"
#include "infer/engine.h"
#include "maskwatch.h"
#include "store/object_store.h"

namespace mw {

struct TorchModule {
  const char* torch_version = "";
  json (*train)(const TrainOptions&, const Reporter&) = nullptr;
  json (*pipeline)(const PipelineOptions&, const Reporter&) = nullptr;
  json (*train_detector)(const DetectorTrainOptions&, const Reporter&) = nullptr;
  // Adds the plain engine's weights to a model published before they existed.
  bool (*ensure_plain_export)(ObjectStore&, const std::string&) = nullptr;
  EngineFactory reference_engine = nullptr;  // LibTorch as an Engine
};

}  // namespace mw

const mw::TorchModule* maskwatch_torch_module();
