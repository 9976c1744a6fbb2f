// Exports a trained network to the plain inference engine's format
// (infer/plain_net.h). ResNets only; other architectures return nullopt
// and are run by LibTorch.
#pragma once
#include <optional>

#include "infer/plain_net.h"
#include "model/network.h"

namespace mw {

// `net` must have its BatchNorm folded (NetworkImpl::fold_batchnorm).
std::optional<PlainNet> export_plain(NetworkImpl& net, int input_size);

}  // namespace mw
