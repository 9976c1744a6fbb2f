// PlainNet: a small inference engine for exported convolutional networks,
// without LibTorch. Activations are NHWC floats; convolutions are im2col +
// one GEMM (Eigen) over a chunk of images with BatchNorm already folded in,
// the residual add and ReLU fused. LibTorch's path (model/runtime.h) is the
// reference it is tested against.
//
// File format ("MWPLAIN1"): the 8-byte magic, a little-endian uint32 header
// length, a JSON header (input size, normalisation, ops), then float32
// parameters. Conv weights are [k][k][cin][cout]; linear weights [in][out].
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mw {

inline constexpr char kPlainMagic[8] = {'M', 'W', 'P', 'L', 'A', 'I', 'N', '1'};
inline constexpr int kPlainChunk = 16;  // images per GEMM: enough rows for the deepest layers

struct PlainOp {
  enum class Kind { Conv, MaxPool, GlobalAvgPool, Linear };
  Kind kind = Kind::Conv;
  int in = 0, out = 0;  // activation buffers: 0 is the input
  int residual = -1;    // buffer added before the ReLU, or -1
  int cin = 0, cout = 0, k = 1, stride = 1, pad = 0;
  bool relu = false;
  std::size_t weight = 0, bias = 0;  // offsets into params
};

struct PlainNet {
  int input_size = 0;
  int classes = 0;
  std::array<float, 3> mean{}, inv_scale{};
  std::vector<PlainOp> ops;
  std::vector<float> params;
  int buffers = 1;

  std::string to_bytes() const;
  static PlainNet from_bytes(const std::string& bytes, const std::string& source);

  // Logits [n][classes] for n 8-bit RGB HWC crops of side input_size,
  // using up to `threads` threads (each takes chunks of kPlainChunk images).
  void logits(const std::uint8_t* crops, std::int64_t n, float* out, int threads) const;
  // One chunk on the calling thread (the unit the threads share).
  void logits_chunk(const std::uint8_t* crops, int n, float* out) const;
};

}  // namespace mw
