// The tensors of a zip-format torch.save file (PyTorch >= 1.6), read without
// LibTorch: a zip reader for its stored (uncompressed) records and a pickle
// machine for the subset of pickle that torch.save writes (containers,
// numbers, strings, tensors rebuilt from storages). Every tensor comes out as
// a plain description: its dtype, shape, strides and storage offset, and a
// view on its storage's bytes inside the file. The file is hostile until
// checked: records against the file, storages against their declared sizes,
// each view's reach against its storage (with overflow in every product and
// sum), and the pickle's nesting, object count and memo against fixed limits.
// model/torch_checkpoint.h turns the descriptions into torch::Tensor.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mw {

// A storage's element type, by torch.save's storage class name.
enum class PthDtype { kFloat32, kFloat64, kFloat16, kBFloat16, kInt64, kInt32, kInt16, kInt8, kUInt8, kBool };
std::size_t pth_element_size(PthDtype dtype);
const char* pth_dtype_name(PthDtype dtype);  // "float32", ...

// One tensor of the file: a strided view on a storage. Every element the view
// reaches, storage_offset + sum((shape[d] - 1) * strides[d]), lies inside the
// storage when the view is not empty; an empty view starts at most at its end.
struct PthTensor {
  std::string name;                          // the state_dict key
  PthDtype dtype = PthDtype::kFloat32;       // the storage's
  std::vector<std::int64_t> shape, strides;  // in elements, each >= 0, as many strides as dimensions
  std::int64_t storage_offset = 0;           // in elements
  std::string storage_key;                   // tensors that share a storage share this key
  std::string_view storage;                  // the whole storage's bytes: a view on the bytes given to the parser

  std::int64_t storage_elements() const;  // storage.size() / element size
  std::int64_t numel() const;             // the product of shape (fits: checked when parsed)
};

// The tensors by name in the bytes of a zip-format torch.save file: a dict or
// OrderedDict of tensors, or one wrapped as {"state_dict": ...} or
// {"model": ...}, in the file's order. The descriptions view `bytes`, which
// must outlive them. Throws mw::Error(source, why) for anything else, and for
// the legacy (pre-1.6, non-zip) format with how to re-save it.
std::vector<PthTensor> parse_pth_state_dict(std::string_view bytes, const std::string& source);
// A temporary would leave the descriptions viewing freed bytes.
std::vector<PthTensor> parse_pth_state_dict(std::string&& bytes, const std::string& source) = delete;

}  // namespace mw
