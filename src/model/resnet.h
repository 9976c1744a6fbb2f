// ResNet-18/34 with torchvision's parameter names (conv1, bn1, layer1..layer4,
// fc, downsample.0/1), so torchvision state_dicts map onto it key for key.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "model/network.h"

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

struct ResNetImpl : NetworkImpl {
  ResNetImpl(const std::string& arch, int64_t num_classes);
  torch::Tensor forward(torch::Tensor x) override;
  // The stages that --freeze counts: stem (conv1+bn1), layer1, ..., layer4.
  std::vector<std::shared_ptr<torch::nn::Module>> stages() override;
  // For inference only: folds every BatchNorm (running statistics) into the
  // convolution before it, which then gains a bias. Not for training or saving.
  void fold_batchnorm() override;
  Normalisation normalisation() const override;  // ImageNet's, as torchvision's weights expect

  bool folded = false;
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet);

}  // namespace mw
