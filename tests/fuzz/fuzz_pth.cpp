// torch.save files (model/pth_file): parse_pth_state_dict, then a read of the
// elements each tensor reaches. An input that starts with 'P' (as a zip's
// "PK") is the file itself: the zip container under test. Any other is
// data.pkl, put into a well-formed file beside fixed storages: the pickle
// machine under test, past the records' CRC-32 checks.
#include <cstring>

#include "fuzz.h"
#include "model/pth_file.h"
#include "pth_zip.h"

namespace {

constexpr std::int64_t kMaxWalk = 4096;  // elements read one by one per tensor; beyond, the first and the last
constexpr std::size_t kStorages = 4;     // data/0 .. data/3 in a wrapped pickle, of 0, 8, 64 and 512 bytes
constexpr std::size_t kFirstStorageBytes = 8, kStorageGrowth = 8;

std::string wrapped(const std::string& pkl) {
  mw::pth_test::Records storages;
  std::size_t bytes = 0;
  for (std::size_t k = 0; k < kStorages; ++k) {
    storages.emplace_back(std::to_string(k), std::string(bytes, static_cast<char>(k + 1)));
    bytes = bytes ? bytes * kStorageGrowth : kFirstStorageBytes;
  }
  return mw::pth_test::torch_file(pkl, storages);
}

// The element at these indices, as its bytes summed: ASan reports a read outside the file.
unsigned element(const mw::PthTensor& t, const std::vector<std::int64_t>& index) {
  std::int64_t at = t.storage_offset;
  for (std::size_t d = 0; d < index.size(); ++d) at += index[d] * t.strides[d];
  const std::size_t elem = mw::pth_element_size(t.dtype);
  unsigned sum = 0;
  for (std::size_t b = 0; b < elem; ++b) sum += static_cast<unsigned char>(t.storage[at * elem + b]);
  return sum;
}

unsigned walk(const mw::PthTensor& t) {
  const std::int64_t n = t.numel();
  if (n == 0) return 0;
  std::vector<std::int64_t> index(t.shape.size(), 0), last(t.shape.size());
  for (std::size_t d = 0; d < t.shape.size(); ++d) last[d] = t.shape[d] - 1;
  if (n > kMaxWalk) return element(t, index) + element(t, last);
  unsigned sum = 0;
  for (std::int64_t k = 0; k < n; ++k) {
    sum += element(t, index);
    for (std::size_t d = index.size(); d-- > 0;) {  // the next index, last dimension fastest
      if (++index[d] < t.shape[d]) break;
      index[d] = 0;
    }
  }
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input = mw::fuzz::bytes_of(data, size);
  const std::string file = size > 0 && data[0] == 'P' ? input : wrapped(input);
  mw::fuzz::accept_or_reject([&] {
    volatile unsigned sink = 0;
    for (const auto& t : mw::parse_pth_state_dict(file, "fuzz.pth")) sink = sink + walk(t);
  });
  return 0;
}
