#include "model/torch_engine.h"

#include "infer/engine.h"
#include "model/artifact.h"
#include "model/runtime.h"

namespace mw {

namespace {

class TorchEngine : public Engine {
 public:
  explicit TorchEngine(LoadedModel m) : model_(std::move(m)), input_(model_.meta.at("input_size")) {
    model_.net->fold_batchnorm();
  }
  void logits(const std::uint8_t* crops, std::int64_t n, float* out) const override {
    auto l = logits_for_crops(*model_.net, crops, n, input_, input_).contiguous();
    std::copy(l.data_ptr<float>(), l.data_ptr<float>() + l.numel(), out);
  }
  int input_size() const override { return input_; }
  std::string name() const override { return "torch"; }

 private:
  LoadedModel model_;
  int input_;
};

std::unique_ptr<Engine> make_torch_engine(const ObjectStore& store, const ModelRef& ref, int threads) {
  set_threads(threads);
  return std::make_unique<TorchEngine>(load_model(store, ref.meta.at("id").get<std::string>()));
}

}  // namespace

EngineFactory torch_engine_factory() { return &make_torch_engine; }
void use_torch_engine() { set_reference_engine(torch_engine_factory()); }

}  // namespace mw
