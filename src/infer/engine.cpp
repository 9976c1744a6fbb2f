#include "infer/engine.h"

#include <cstdlib>
#include <thread>

#include "core/hash.h"
#include "infer/fast_conv.h"
#include "infer/plain_net.h"
#include "maskwatch.h"

namespace mw {

namespace {

EngineFactory reference_factory = nullptr;
std::string default_kind = "auto", default_precision = "auto";  // set_engine_defaults()

class PlainEngine : public Engine {
 public:
  PlainEngine(PlainNet net, int threads) : net_(std::move(net)), threads_(threads) {}
  void logits(const std::uint8_t* crops, std::int64_t n, float* out) const override {
    net_.logits(crops, n, out, threads_);
  }
  int input_size() const override { return net_.input_size; }
  std::string name() const override { return std::string("plain ") + precision_name(net_.precision()); }

 private:
  PlainNet net_;
  int threads_;
};

}  // namespace

void set_reference_engine(EngineFactory factory) { reference_factory = factory; }

void set_engine_defaults(const std::string& kind, const std::string& precision) {
  default_kind = kind.empty() ? "auto" : kind;
  default_precision = precision.empty() ? "auto" : precision;
}

std::unique_ptr<Engine> open_engine(const ObjectStore& store, const ModelRef& model, int threads, std::string kind,
                                    const std::string& precision) {
  if (kind.empty()) kind = default_kind;
  if (kind != "auto" && kind != "plain" && kind != "torch")
    throw Error("engine", "unknown engine '" + kind + "' (auto, plain or torch)");
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::string plain_key = model.dir + kPlainWeightsFile;
  const bool has_plain = model.meta.contains("plain_sha256") && store.exists(plain_key);
  // auto: the plain engine wherever the model has its weights (every model published since it exists).
  if (kind == "plain" || (kind == "auto" && has_plain)) {
    if (!has_plain)
      throw Error(store.uri() + "/" + plain_key,
                  "model (" + model.meta.value("arch", "?") + ") has no plain export; use the torch engine");
    auto bytes = store.get(plain_key);
    if (sha256_hex(bytes) != model.meta.at("plain_sha256").get<std::string>())
      throw Error(store.uri() + "/" + plain_key, "does not match its recorded SHA-256");
    return std::make_unique<PlainEngine>(
        PlainNet::from_bytes(bytes, store.uri() + "/" + plain_key, precision.empty() ? default_precision : precision),
        threads);
  }
  if (!reference_factory)
    throw Error(store.uri() + "/" + model.dir,
                "model (" + model.meta.value("arch", "?") + ") needs the LibTorch engine, which this build lacks");
  return reference_factory(store, model, threads);
}

}  // namespace mw
