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
// Images per GEMM: enough rows that packing a layer's weights (once per
// chunk) is small beside the multiply. Fewer when that would idle a thread.
inline constexpr int kPlainMaxChunk = 64;

struct PlainOp {
  // AvgPool: a k x k average (no padding) whose output has cout >= cin
  // channels, the extra ones zero (face-resnet's shortcut).
  enum class Kind { Conv, MaxPool, GlobalAvgPool, Linear, AvgPool };
  Kind kind = Kind::Conv;
  int in = 0, out = 0;  // activation buffers: 0 is the input
  int residual = -1;    // buffer added before the ReLU, or -1. When it is larger than
                        // the convolution's output, that output is zero-padded at the
                        // bottom and right to the residual's size first.
  int cin = 0, cout = 0, k = 1, stride = 1, pad = 0;
  bool relu = false;
  std::size_t weight = 0, bias = 0;  // offsets into params
  // Set by PlainNet::plan() for the net's input size: the kernel taps that
  // ever touch the image (a 3x3 kernel on a 1x1 map uses only its centre),
  // and, when some never do, those taps' weights in PlainNet::pruned.
  std::vector<int> taps;
  std::size_t pruned_weight = 0;
};

struct PlainNet {
  int input_size = 0;
  int classes = 0;
  std::array<float, 3> mean{}, inv_scale{};
  std::vector<PlainOp> ops;
  std::vector<float> params;
  int buffers = 1;
  std::vector<float> pruned;  // weights of convolutions with dead taps (plan())

  std::string to_bytes() const;
  static PlainNet from_bytes(const std::string& bytes, const std::string& source);
  // Follows the shapes from input_size and prunes kernel taps that only ever
  // see padding. from_bytes() calls it; call it after building ops by hand.
  void plan();

  // Logits [n][classes] for n 8-bit RGB HWC crops of side input_size,
  // using up to `threads` threads (each takes chunks of up to kPlainMaxChunk images).
  void logits(const std::uint8_t* crops, std::int64_t n, float* out, int threads) const;
  // One chunk on the calling thread (the unit the threads share).
  void logits_chunk(const std::uint8_t* crops, int n, float* out) const;
};

// The instruction sets the engine was compiled for (MASKWATCH_PLAIN_CPU_FLAGS),
// e.g. "avx2 fma" or "baseline x86-64". from_bytes() refuses to load a network
// on a CPU that lacks AVX2 or FMA when the engine was compiled for them.
std::string plain_engine_cpu_features();

}  // namespace mw
