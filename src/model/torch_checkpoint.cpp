#include "model/torch_checkpoint.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <sstream>

#include "core/paths.h"
#include "maskwatch.h"
#include "model/pth_file.h"

namespace mw {

namespace {

torch::ScalarType scalar_type(PthDtype dtype) {
  switch (dtype) {
    case PthDtype::kFloat32:
      return torch::kFloat;
    case PthDtype::kFloat64:
      return torch::kDouble;
    case PthDtype::kFloat16:
      return torch::kHalf;
    case PthDtype::kBFloat16:
      return torch::kBFloat16;
    case PthDtype::kInt64:
      return torch::kLong;
    case PthDtype::kInt32:
      return torch::kInt;
    case PthDtype::kInt16:
      return torch::kShort;
    case PthDtype::kInt8:
      return torch::kChar;
    case PthDtype::kUInt8:
      return torch::kByte;
    case PthDtype::kBool:
      return torch::kBool;
  }
  return torch::kFloat;
}

// A copy of the tensor's whole storage, as a 1-D tensor.
torch::Tensor storage_tensor(const PthTensor& t) {
  auto storage = torch::empty({t.storage_elements()}, torch::dtype(scalar_type(t.dtype)));
  if (!t.storage.empty()) std::memcpy(storage.data_ptr(), t.storage.data(), t.storage.size());
  return storage;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string shape_of(const torch::Tensor& t) {
  std::ostringstream os;
  os << t.sizes();
  return os.str();
}

// "2 missing keys: a, b" with the first few names.
std::string listing(const std::vector<std::string>& names, const std::string& one, const std::string& many) {
  constexpr std::size_t kShown = 5;
  std::string s = std::to_string(names.size()) + " " + (names.size() == 1 ? one : many) + ": ";
  for (std::size_t k = 0; k < names.size() && k < kShown; ++k) s += (k ? ", " : "") + names[k];
  if (names.size() > kShown) s += ", ... (" + std::to_string(names.size() - kShown) + " more)";
  return s;
}

}  // namespace

StateDict parse_torch_state_dict(const std::string& bytes, const std::string& source) {
  StateDict state;
  std::map<std::string, torch::Tensor> storages;  // tensors that share a storage in the file share it here
  for (const auto& t : parse_pth_state_dict(bytes, source)) {
    auto it = storages.find(t.storage_key);
    if (it == storages.end()) it = storages.emplace(t.storage_key, storage_tensor(t)).first;
    state[t.name] = it->second.as_strided(t.shape, t.strides, t.storage_offset);
  }
  return state;
}

StateDict read_torch_state_dict(const std::string& path) { return parse_torch_state_dict(read_file(path), path); }

std::vector<std::string> load_torchvision_state(ResNetImpl& net, const StateDict& state, const std::string& source) {
  if (net.folded) throw Error(source, "cannot load into a network with folded BatchNorm");
  std::vector<std::pair<std::string, torch::Tensor>> targets;  // in the network's order
  for (auto& p : net.named_parameters()) targets.emplace_back(p.key(), p.value());
  for (auto& b : net.named_buffers()) targets.emplace_back(b.key(), b.value());
  std::set<std::string> names;
  for (auto& [k, t] : targets) names.insert(k);
  auto is_counter = [](const std::string& k) { return ends_with(k, "num_batches_tracked"); };

  // The classifier is skipped as a pair when only the class count differs.
  std::vector<std::string> skipped;
  auto w = state.find("fc.weight"), b = state.find("fc.bias");
  if (w != state.end() && b != state.end() && w->second.dim() == 2 && b->second.dim() == 1 &&
      w->second.size(1) == net.fc->weight.size(1) && b->second.size(0) == w->second.size(0) &&
      w->second.size(0) != net.fc->weight.size(0))
    skipped = {"fc.weight", "fc.bias"};
  auto is_skipped = [&](const std::string& k) { return std::find(skipped.begin(), skipped.end(), k) != skipped.end(); };

  std::vector<std::string> missing, unexpected, mismatched;
  for (auto& [k, t] : targets) {
    if (is_skipped(k)) continue;
    auto it = state.find(k);
    if (it == state.end()) {
      if (!is_counter(k)) missing.push_back(k);
    } else if (it->second.sizes() != t.sizes()) {
      mismatched.push_back(k + " " + shape_of(it->second) + " in the file, " + shape_of(t) + " here");
    }
  }
  for (auto& [k, t] : state)
    if (!names.count(k) && !is_counter(k)) unexpected.push_back(k);
  if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
    std::string why = "does not fit " + net.arch + " with " + std::to_string(net.fc->weight.size(0)) + " classes";
    if (!missing.empty()) why += "; " + listing(missing, "missing key", "missing keys");
    if (!unexpected.empty()) why += "; " + listing(unexpected, "unexpected key", "unexpected keys");
    if (!mismatched.empty()) why += "; " + listing(mismatched, "shape mismatch", "shape mismatches");
    throw Error(source, why);
  }

  torch::NoGradGuard no_grad;
  for (auto& [k, t] : targets) {
    auto it = state.find(k);
    if (it != state.end() && !is_skipped(k)) t.copy_(it->second);
  }
  return skipped;
}

}  // namespace mw
