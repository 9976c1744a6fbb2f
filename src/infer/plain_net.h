// PlainNet: a small inference engine for exported convolutional networks,
// without LibTorch. Activations are NHWC floats; convolutions run on oneDNN
// (infer/fast_conv.h) in fp32, bf16 or int8 over a chunk of images, with
// BatchNorm already folded in and the residual add and ReLU fused. Each
// operator is tested against a naive reference (infer/reference_ops.h), the
// whole network against LibTorch (model/runtime.h).
//
// File format ("MWPLAIN1"): the 8-byte magic, a little-endian uint32 header
// length, a JSON header (input size, normalisation, ops), then float32
// parameters. Conv weights are [k][k][cin][cout]; linear weights [in][out].
// A convolution's "in_scale", when the file has one, is its input's value per
// 8-bit step, calibrated on training crops: what int8 needs.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
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
  // Concat: the channels of `in`, then of each buffer in `cat`, side by side.
  // Add: `in` plus cat[0], of the same shape.
  // Mul: `in` times cat[0], a [1][1][channels] map: a scale per channel (a
  //   squeeze-excitation block's gate).
  // Upsample: twice the side, bilinear as TensorFlow 1 resizes (no half-pixel
  //   centres, no corner alignment): out[2i] = in[i], out[2i+1] = the mean of
  //   in[i] and in[i+1] (in[i] itself at the last row or column).
  enum class Kind { Conv, MaxPool, GlobalAvgPool, Linear, AvgPool, Concat, Add, Mul, Upsample };
  // The activation on an op's output (after the residual, for a convolution).
  // hard_swish: x * relu6(x + 3) * act_scale; hard_sigmoid: relu6(x + 3) * act_scale
  // (act_scale is 1/6, or the value a graph stores for it: float16 gives 0.16662598).
  enum class Act { none, relu, relu6, hard_swish, hard_sigmoid, sigmoid };
  Kind kind = Kind::Conv;
  int in = 0, out = 0;  // activation buffers: 0 is the input
  int residual = -1;    // buffer added before the activation, or -1. When it is larger than
                        // the convolution's output, that output is zero-padded at the
                        // bottom and right to the residual's size first.
  int cin = 0, cout = 0, k = 1, stride = 1, pad = 0;
  int groups = 1;        // Conv: 1 (dense) or cin == cout (depthwise: weights [k][k][1][cout])
  int pad_end = -1;      // padding at the bottom and right when it differs from pad
                         // (TensorFlow's "SAME"), else -1
  std::vector<int> cat;  // Concat, Add, Mul: the buffers after `in`
  Act act = Act::none;
  float act_scale = 1.f / 6.f;
  std::size_t weight = 0, bias = 0;  // offsets into params
  float in_scale = 0.f;              // convolutions: int8 input step, 0 when not calibrated
  bool in_unsigned = false;          // set by plan(): the input is never negative
  int in_side = 0;                   // set by plan(): the input's side
};

class FastConv;
enum class Precision;

// Whether an activation's output is never negative (int8 then reads it unsigned).
bool non_negative(PlainOp::Act a);
// The activation's name in a network file ("none", "relu", "relu6", ...).
const char* act_name(PlainOp::Act a);

// The padding after the input (bottom and right) of a windowed op.
inline int pad_after(const PlainOp& op) { return op.pad_end >= 0 ? op.pad_end : op.pad; }

struct Activation;

struct PlainNet {
  int input_size = 0;
  int classes = 0;  // a classifier's logits; 0 for a network read by `outputs`
  // The buffers a caller reads after forward() (a detector's head maps);
  // empty for a classifier, whose last op gives the logits.
  std::vector<int> outputs;
  std::array<float, 3> mean{}, inv_scale{};
  std::vector<PlainOp> ops;
  std::vector<float> params;
  int buffers = 1;
  // One per op, set for convolutions by plan() and set_precision().
  std::vector<std::shared_ptr<const FastConv>> convs;

  std::string to_bytes() const;
  // The network in `precision` ("fp32", "bf16", "int8", "auto" or "": see
  // choose_precision()); its convolutions are prepared once, in that precision.
  static PlainNet from_bytes(const std::string& bytes, const std::string& source,
                             const std::string& precision = "fp32");
  // check(), then the convolutions prepared in fp32: call it after building
  // ops by hand.
  void plan();
  // Checks every op against the shapes that follow from input_size and the
  // parameters (throws Error naming the op).
  void check();
  // Prepares the convolutions in `p`; int8 needs every convolution's
  // in_scale (calibrate() or the file). Throws Error otherwise.
  void set_precision(Precision p);
  Precision precision() const;
  // Whether every convolution has its int8 input scale.
  bool calibrated() const;
  // Sets each convolution's in_scale from the largest input magnitude it sees
  // on these n crops (run in fp32).
  void calibrate(const std::uint8_t* crops, std::int64_t n);

  // Logits [n][classes] for n 8-bit RGB HWC crops of side input_size,
  // using up to `threads` threads (each takes chunks of up to kPlainMaxChunk images).
  void logits(const std::uint8_t* crops, std::int64_t n, float* out, int threads) const;
  // One chunk on the calling thread (the unit the threads share).
  void logits_chunk(const std::uint8_t* crops, int n, float* out) const;
  // Runs n images of side input_size on the calling thread and returns its
  // buffers (valid until this thread's next run); read them at `outputs`.
  const std::vector<Activation>& forward(const std::uint8_t* images, int n) const;
};

// The precision to run `net` in: asked is "fp32", "bf16", "int8" or "auto"
// ("" is auto): auto_precision().
// int8 asked of an uncalibrated network is an Error.
Precision choose_precision(const PlainNet& net, std::string asked);

// The instruction sets the engine was compiled for (MASKWATCH_PLAIN_CPU_FLAGS),
// e.g. "avx2 fma" or "baseline x86-64". from_bytes() refuses to load a network
// on a CPU that lacks AVX2 or FMA when the engine was compiled for them.
std::string plain_engine_cpu_features();

}  // namespace mw
