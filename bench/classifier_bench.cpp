// Classifier throughput: crops per second through the inference path
// (uint8 crops -> normalised tensor -> network -> logits) at a fixed batch.
//   classifier_bench [--store DIR --model latest | --arch resnet18 --input-size 32]
//                    [--batch 64] [--threads 2] [--seconds 10] [--plain] [--json]
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "core/rng.h"
#include "model/artifact.h"
#include "model/runtime.h"

int main(int argc, char** argv) {
  CLI::App app{"maskwatch classifier throughput benchmark"};
  std::string store, model = "latest", arch = "resnet18";
  int input = 32, batch = 64, threads = 2;
  double seconds = 10;
  bool as_json = false, plain = false;
  app.add_option("--store", store, "take the model from this store (default: a fresh network)");
  app.add_option("--model", model, "model id in the store")->capture_default_str();
  app.add_option("--arch", arch, "architecture when no store is given")->capture_default_str();
  app.add_option("--input-size", input, "input side when no store is given")->capture_default_str();
  app.add_option("--batch", batch)->capture_default_str();
  app.add_option("--threads", threads)->capture_default_str();
  app.add_option("--seconds", seconds, "how long to measure")->capture_default_str();
  app.add_flag("--plain", plain, "the reference path: BatchNorm not folded into the convolutions");
  app.add_flag("--json", as_json);
  CLI11_PARSE(app, argc, argv);

  threads = mw::set_threads(threads);
  mw::Network net;
  std::string id = "random-init";
  if (!store.empty()) {
    auto m = mw::load_model(*mw::open_store(store), model);
    net = m.net;
    input = m.meta.at("input_size");
    arch = m.meta.at("arch");
    id = m.meta.at("id");
  } else {
    net = mw::make_network(arch, mw::kNumClasses);
  }
  if (!plain) net->fold_batchnorm();
  std::vector<std::uint8_t> crops(static_cast<std::size_t>(batch) * input * input * 3);
  mw::Rng rng(1);
  for (auto& v : crops) v = static_cast<std::uint8_t>(rng.below(256));

  using clock = std::chrono::steady_clock;
  mw::logits_for_crops(*net, crops.data(), batch, input, input, batch);  // warm-up
  long done = 0;
  auto t0 = clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    mw::logits_for_crops(*net, crops.data(), batch, input, input, batch);
    done += batch;
    elapsed = std::chrono::duration<double>(clock::now() - t0).count();
  }
  const double rate = done / elapsed;
  const char* path = plain ? "plain" : "folded";
  if (as_json) {
    std::cout << mw::json{{"model", id},    {"arch", arch},       {"input_size", input},
                          {"batch", batch}, {"threads", threads}, {"path", path},
                          {"crops", done},  {"seconds", elapsed}, {"crops_per_s", rate}}
                     .dump()
              << "\n";
  } else {
    std::printf("%s %s %d px, batch %d, %d threads, %s: %ld crops in %.2f s = %.1f crops/s\n", id.c_str(), arch.c_str(),
                input, batch, threads, path, done, elapsed, rate);
  }
  return 0;
}
