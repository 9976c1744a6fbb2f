// Classifier throughput: crops per second through the inference path
// (uint8 crops -> normalised input -> network -> logits) at a fixed batch, for
// each engine: plain (no LibTorch; what the classifier runs) in fp32, bf16 or
// int8, torch (LibTorch, BatchNorm folded) and torch-unfolded (the training
// graph). int8 is calibrated on the benchmark's own crops.
//   classifier_bench [--store DIR --model latest | --arch resnet18 --input-size 32]
//                    [--batch 64] [--threads 2] [--seconds 10] [--engine plain]
//                    [--precision fp32] [--json]
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "core/rng.h"
#include "infer/fast_conv.h"
#include "model/artifact.h"
#include "model/plain_export.h"
#include "model/runtime.h"

int main(int argc, char** argv) {
  CLI::App app{"maskwatch classifier throughput benchmark"};
  std::string store, model = "latest", arch = "resnet18";
  int input = 32, batch = 64, threads = 2;
  double seconds = 10;
  bool as_json = false;
  std::string engine = "plain", precision = "fp32";
  app.add_option("--store", store, "take the model from this store (default: a fresh network)");
  app.add_option("--model", model, "model id in the store")->capture_default_str();
  app.add_option("--arch", arch, "architecture when no store is given")->capture_default_str();
  app.add_option("--input-size", input, "input side when no store is given")->capture_default_str();
  app.add_option("--batch", batch)->capture_default_str();
  app.add_option("--threads", threads)->capture_default_str();
  app.add_option("--seconds", seconds, "how long to measure")->capture_default_str();
  app.add_option("--engine", engine, "plain | torch | torch-unfolded")->capture_default_str();
  app.add_option("--precision", precision, "the plain engine's: fp32 | bf16 | int8")->capture_default_str();
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
  if (engine != "plain" && engine != "torch" && engine != "torch-unfolded") {
    std::cerr << "unknown engine " << engine << "\n";
    return 2;
  }
  if (input < net->min_input_size()) {
    std::cerr << arch << " needs an input of at least " << net->min_input_size() << " px\n";
    return 2;
  }
  if (engine != "torch-unfolded") net->fold_batchnorm();
  std::optional<mw::PlainNet> plain;
  if (engine == "plain" && !(plain = mw::export_plain(*net, input))) {
    std::cerr << arch << " has no plain export\n";
    return 2;
  }
  std::vector<std::uint8_t> crops(static_cast<std::size_t>(batch) * input * input * 3);
  mw::Rng rng(1);
  for (auto& v : crops) v = static_cast<std::uint8_t>(rng.below(256));
  std::vector<float> logits(static_cast<std::size_t>(batch) * mw::kNumClasses);
  if (plain) {
    const auto p = mw::parse_precision(precision, "--precision");
    if (p == mw::Precision::int8) plain->calibrate(crops.data(), batch);
    plain->set_precision(p);
  }
  auto run = [&] {
    if (plain)
      plain->logits(crops.data(), batch, logits.data(), threads);
    else
      mw::logits_for_crops(*net, crops.data(), batch, input, input, batch);
  };

  using clock = std::chrono::steady_clock;
  run();  // warm-up
  long done = 0;
  auto t0 = clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    run();
    done += batch;
    elapsed = std::chrono::duration<double>(clock::now() - t0).count();
  }
  const double rate = done / elapsed;
  const std::string path = plain ? engine + " " + precision : engine;
  if (as_json) {
    std::cout << mw::json{{"model", id},    {"arch", arch},       {"input_size", input},
                          {"batch", batch}, {"threads", threads}, {"path", path},
                          {"crops", done},  {"seconds", elapsed}, {"crops_per_s", rate}}
                     .dump()
              << "\n";
  } else {
    std::printf("%s %s %d px, batch %d, %d threads, %s: %ld crops in %.2f s = %.1f crops/s\n", id.c_str(), arch.c_str(),
                input, batch, threads, path.c_str(), done, elapsed, rate);
  }
  return 0;
}
