// Engine: what turns face crops into logits. The plain engine
// (infer/plain_net.h) runs every model with a plain export (ResNet-18/34 and
// face-resnet) without LibTorch; programs that link LibTorch can register it
// as the reference engine (MASKWATCH_ENGINE=torch), which also runs models
// published without a plain export.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "model/model_ref.h"
#include "store/object_store.h"

namespace mw {

class Engine {
 public:
  virtual ~Engine() = default;
  // Logits [n][classes] for n 8-bit RGB HWC crops of side input_size().
  virtual void logits(const std::uint8_t* crops, std::int64_t n, float* out) const = 0;
  virtual int input_size() const = 0;
  virtual std::string name() const = 0;
};

using EngineFactory = std::unique_ptr<Engine> (*)(const ObjectStore& store, const ModelRef& model, int threads);
void set_reference_engine(EngineFactory factory);

// What a Classifier asked for "" runs on: "auto" and "auto" until a program
// sets them (the CLI and the Lambda function, from $MASKWATCH_ENGINE and
// $MASKWATCH_PRECISION); the library itself reads no environment for them.
void set_engine_defaults(const std::string& kind, const std::string& precision);

// kind: "auto" (plain when the model has a plain export, else the reference),
// "plain" or "torch"; "" the default. The plain engine runs in `precision` as
// choose_precision() reads it (infer/plain_net.h; "" the default).
std::unique_ptr<Engine> open_engine(const ObjectStore& store, const ModelRef& model, int threads, std::string kind = "",
                                    const std::string& precision = "");

}  // namespace mw
