// ResNet-18/34 with torchvision's parameter names (conv1, bn1, layer1..layer4,
// fc, downsample.0/1), so torchvision state_dicts map onto it key for key.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace mw {

struct BasicBlockImpl : torch::nn::Module {
  BasicBlockImpl(int64_t in, int64_t out, int64_t stride);
  torch::Tensor forward(torch::Tensor x);
  void fold_batchnorm();

  bool folded = false;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

struct ResNetImpl : torch::nn::Module {
  ResNetImpl(const std::string& arch, int64_t num_classes);
  torch::Tensor forward(torch::Tensor x);
  // The stages that --freeze counts: stem (conv1+bn1), layer1, ..., layer4.
  std::vector<std::shared_ptr<torch::nn::Module>> stages();
  // For inference only: folds every BatchNorm (running statistics) into the
  // convolution before it, which then gains a bias. Not for training or saving.
  void fold_batchnorm();

  bool folded = false;
  std::string arch;
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet);

inline constexpr int kNumStages = 5;
const std::vector<std::string>& known_archs();  // resnet18, resnet34

// Freezes the first n stages: no gradients, and their BatchNorm kept in eval mode.
void freeze_stages(ResNet& net, int n);
// net->train() that keeps frozen stages' BatchNorm statistics fixed.
void set_train_mode(ResNet& net, int frozen);

}  // namespace mw
