// TensorFlow.js weights: the manifest, then a NUL byte, then the shards' bytes.
#include <cstring>

#include "fuzz.h"
#include "model/tfjs_weights.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input = mw::fuzz::bytes_of(data, size);
  const std::size_t nul = input.find('\0');
  const std::string manifest = input.substr(0, nul);
  const std::string shards = nul == std::string::npos ? std::string() : input.substr(nul + 1);
  mw::fuzz::accept_or_reject([&] { mw::decode_tfjs_weights(manifest, shards, "fuzz-manifest.json"); });
  return 0;
}
