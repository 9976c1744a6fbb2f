// What the Lambda function does with each event: a scheduled event runs the
// benchmark job, a classify event returns the faces' labels, an upload event
// (or a batch of keys) labels those photos into the photo table. The same code
// runs in `maskwatch` and in the Lambda build (`maskwatch-lambda`, no LibTorch).
#pragma once
#include <string>
#include <vector>

#include "lambda/runtime.h"

namespace mw {

struct LambdaConfig {
  std::string store = "maskwatch-data";  // MASKWATCH_STORE: dataset and split
  std::string model_store;               // MASKWATCH_MODEL_STORE: where the model is (default: store)
  std::string model = "latest";          // MASKWATCH_MODEL
  std::string detector = "latest";       // MASKWATCH_DETECTOR: in the model store (open_detector)
  std::string results;                   // MASKWATCH_RESULTS (default: default_results_uri(store); set it on Lambda)
  std::string photos;  // MASKWATCH_PHOTOS: the photo table (default: photos_uri_for(results))
  std::vector<int> sizes = {100, 200, 400};  // MASKWATCH_SIZES, e.g. "100,200,400"
  int threads = 0;                           // MASKWATCH_THREADS (0: all cores)
  bool benchmark_detect = false;             // MASKWATCH_BENCHMARK_DETECT=1: the scheduled job detects the faces
};

LambdaConfig lambda_config_from_env();
// Loads the model once (a failure here is an init error) and returns the handler.
LambdaHandler make_lambda_handler(const LambdaConfig& config);
// "100,200,400" -> {100, 200, 400}; throws mw::Error naming `what` on bad input.
std::vector<int> parse_sizes(const std::string& text, const std::string& what);

}  // namespace mw
