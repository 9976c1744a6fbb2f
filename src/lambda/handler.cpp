#include "lambda/handler.h"

#include <cstdlib>
#include <memory>

#include "api/face_labeller.h"
#include "api/faces.h"
#include "core/env.h"
#include "detect/detector_artifact.h"
#include "lambda/events.h"
#include "lambda/photo_handler.h"
#include "results/photo_table.h"

namespace mw {

std::vector<int> parse_sizes(const std::string& text, const std::string& what) {
  std::vector<int> sizes;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string part = text.substr(start, end - start);
    char* stop = nullptr;
    const long v = std::strtol(part.c_str(), &stop, 10);
    if (part.empty() || *stop != '\0' || v <= 0 || v > 1'000'000)
      throw Error(what + " " + text, "expected positive whole numbers separated by commas, got '" + part + "'");
    sizes.push_back(static_cast<int>(v));
    start = end + 1;
  }
  return sizes;
}

LambdaConfig lambda_config_from_env() {
  LambdaConfig c;
  c.store = env_or("MASKWATCH_STORE", c.store);
  c.model_store = env_or("MASKWATCH_MODEL_STORE", c.model_store);
  c.model = env_or("MASKWATCH_MODEL", c.model);
  c.detector = env_or("MASKWATCH_DETECTOR", c.detector);
  c.results = env_or("MASKWATCH_RESULTS", c.results);
  c.photos = env_or("MASKWATCH_PHOTOS", c.photos);
  const std::string sizes = env_or("MASKWATCH_SIZES", "");
  if (!sizes.empty()) c.sizes = parse_sizes(sizes, "MASKWATCH_SIZES");
  c.threads = std::atoi(env_or("MASKWATCH_THREADS", "0").c_str());
  const std::string detect = env_or("MASKWATCH_BENCHMARK_DETECT", "0");
  if (detect != "0" && detect != "1") throw Error("MASKWATCH_BENCHMARK_DETECT", "must be 0 or 1, not '" + detect + "'");
  c.benchmark_detect = detect == "1";
  return c;
}

namespace {
// A classify request's result; any failure of the request is an HTTP caller's
// error status with a JSON reason, and a direct caller's invocation error.
std::string classify_result(const FaceLabeller& labeller, const json& event) {
  try {
    const FacesRequest request = parse_classify_request(event);
    auto faces = run_faces_request(labeller, request);
    return lambda_result(event, {{"model", labeller.classifier_id()}, {"faces", faces_json(faces, labeller.labels())}})
        .dump();
  } catch (...) {
    const auto error = request_error(std::current_exception());
    if (!is_http_event(event)) throw Error("request", error.message);
    return lambda_result(event, error_json(error), error.status).dump();
  }
}
}  // namespace

LambdaHandler make_lambda_handler(const LambdaConfig& config) {
  LabellerParts parts{config.model_store.empty() ? config.store : config.model_store, config.model, config.threads};
  parts.detector = config.detector;
  auto labeller = std::make_shared<FaceLabeller>(open_labeller(parts));
  const std::string results = config.results.empty() ? default_results_uri(config.store) : config.results;
  auto photos =
      std::make_shared<PhotoEventHandler>(labeller, config.photos.empty() ? photos_uri_for(results) : config.photos);
  return [config, labeller, photos](const LambdaInvocation& inv) -> std::string {
    if (inv.event.size() > kMaxEventBytes)
      throw Error("event", std::to_string(inv.event.size()) + " bytes, over the " + std::to_string(kMaxEventBytes) +
                               " an invocation may carry");
    json event;
    try {
      event = json::parse(inv.event);
    } catch (const json::exception& e) {
      throw Error("event", std::string("not JSON: ") + e.what());
    }
    switch (classify_event(event)) {
      case LambdaEventKind::Scheduled: {
        BenchmarkOptions bo;
        bo.store = config.store;
        bo.model_store = config.model_store;
        bo.model = config.model;
        bo.results = config.results;
        bo.sizes = config.sizes;
        bo.threads = config.threads;
        bo.detect = config.benchmark_detect;
        bo.detector = config.detector;
        return benchmark(bo).dump();
      }
      case LambdaEventKind::Classify:
        return classify_result(*labeller, event);
      case LambdaEventKind::Photos:
        return photos->handle(event).dump();
      case LambdaEventKind::Unknown:
        break;
    }
    // An HTTP caller gets 400 and the reason (its body is no classify request); a direct caller, the error.
    if (is_http_event(event)) return classify_result(*labeller, event);
    throw Error("event", "neither a scheduled event nor a classify request; " + accepted_events());
  };
}

}  // namespace mw
