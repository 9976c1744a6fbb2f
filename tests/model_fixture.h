// A small prepared store (the first 120 images, 32 px crops), made once per
// test process, and tiny training settings that run in seconds.
#pragma once
#include "fixture.h"
#include "maskwatch.h"

namespace fixture {

inline const std::string& small_store() {
  static const std::string store = [] {
    auto data = small_dataset(120, "model-data");
    mw::IngestOptions in;
    in.data_dir = data;
    in.store = temp_dir("model-store");
    mw::ingest(in);
    mw::PrepareOptions pr;
    pr.store = in.store;
    pr.crop_size = 32;
    mw::prepare(pr);
    return in.store;
  }();
  return store;
}

inline mw::TrainOptions tiny_training(const std::string& run) {
  mw::TrainOptions t;
  t.store = small_store();
  t.run = run;
  t.arch = "resnet18";
  t.input_size = 32;
  t.epochs = 3;
  t.batch = 16;
  t.limit = 160;  // 10 batches an epoch
  t.val_limit = 64;
  t.threads = 2;
  t.seed = 11;
  return t;
}

// A tiny model trained and published in the small store (run `run`, `epochs` epochs).
inline mw::json train_tiny(const std::string& run, int epochs) {
  auto t = tiny_training(run);
  t.epochs = epochs;
  return mw::train(t);
}

}  // namespace fixture
