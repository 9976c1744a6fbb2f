// PyTorch checkpoints written by `torch.save(model.state_dict(), path)`, such
// as torchvision's published ImageNet weights, and loading them into a ResNet
// by torchvision's parameter names.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "model/resnet.h"

namespace mw {

using StateDict = std::map<std::string, torch::Tensor>;

// The tensors by name in the bytes of a zip-format torch.save file (PyTorch
// >= 1.6): a dict or OrderedDict of tensors, or one wrapped as
// {"state_dict": ...} or {"model": ...}. `source` names the file in errors.
// The legacy (pre-1.6, non-zip) format is refused with how to re-save it.
StateDict parse_torch_state_dict(const std::string& bytes, const std::string& source);
StateDict read_torch_state_dict(const std::string& path);

// Copies `state` into the network's parameters and BatchNorm buffers by name,
// all or nothing. `fc.weight`/`fc.bias` are skipped when only the class count
// differs; `num_batches_tracked` is copied when both sides have it and ignored
// otherwise. Throws Error(source, ...) naming missing keys, unexpected keys and
// shape mismatches. Returns the keys it skipped.
std::vector<std::string> load_torchvision_state(ResNetImpl& net, const StateDict& state, const std::string& source);

}  // namespace mw
