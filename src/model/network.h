// A classification network: what training, checkpoints, artifacts and
// inference need of one, whatever its architecture.
#pragma once
#include <torch/torch.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace mw {

// Input normalisation on 0..255 pixels: x_norm = (x - mean) * inv_scale, per RGB channel.
struct Normalisation {
  std::array<float, 3> mean, inv_scale;
};

struct NetworkImpl : torch::nn::Module {
  explicit NetworkImpl(std::string a) : arch(std::move(a)) {}
  virtual torch::Tensor forward(torch::Tensor x) = 0;  // NCHW normalised input -> logits
  // The stages that --freeze counts, input first.
  virtual std::vector<std::shared_ptr<torch::nn::Module>> stages() = 0;
  // For inference only: fold BatchNorm-like affines into convolutions.
  virtual void fold_batchnorm() {}
  virtual Normalisation normalisation() const = 0;
  virtual int min_input_size() const { return 16; }
  std::string arch;
};
using Network = std::shared_ptr<NetworkImpl>;

// A fresh network; `pretrained` loads the architecture's pretrained weights
// where it has them (face-resnet: face-api's, from face_api_models_dir()).
Network make_network(const std::string& arch, int64_t classes, bool pretrained = true);

// Freezes the first n stages: no gradients, and their normalisation kept in eval mode.
void freeze_stages(NetworkImpl& net, int n);
// net.train() that keeps frozen stages in eval mode.
void set_train_mode(NetworkImpl& net, int frozen);
inline constexpr int kNumStages = 5;

}  // namespace mw
