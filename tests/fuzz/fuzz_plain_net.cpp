// inference.bin: PlainNet::from_bytes, then one forward pass when the network is small.
#include <vector>

#include "fuzz.h"
#include "infer/plain_net.h"

namespace {
constexpr int kMaxRunSide = 32;         // input sides a forward pass is tried at
constexpr std::size_t kMaxRunOps = 64;  // and at most this many ops
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mw::fuzz::accept_or_reject([&] {
    const auto net = mw::PlainNet::from_bytes(mw::fuzz::bytes_of(data, size), "fuzz-inference.bin");
    if (net.input_size > kMaxRunSide || net.ops.size() > kMaxRunOps) return;
    const std::size_t side = static_cast<std::size_t>(net.input_size);
    std::vector<std::uint8_t> crop(side * side * 3, 128);
    std::vector<float> logits(static_cast<std::size_t>(net.classes));
    net.logits(crop.data(), 1, logits.data(), 1);
  });
  return 0;
}
