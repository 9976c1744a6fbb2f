// The plain engine's convolution on oneDNN (the kernels LibTorch's CPU build
// uses), in three precisions:
//   fp32  float activations and weights;
//   bf16  bfloat16 activations and weights, float accumulation and output
//         (AVX-512 BF16);
//   int8  unsigned (after a ReLU) or signed 8-bit activations, signed 8-bit
//         weights with one scale per output channel, 32-bit accumulation,
//         float output (AVX-512 VNNI, or AVX2). Needs the input's calibrated range.
// Activations stay NHWC floats between operators; a convolution converts its
// input to its precision (one pass over it) and writes floats, with the bias,
// the residual and a ReLU or ReLU6 fused. infer/reference_ops.h is what every
// precision is tested against.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "infer/plain_net.h"

namespace mw {

struct Activation;

enum class Precision { fp32, bf16, int8 };
const char* precision_name(Precision p);
// "fp32", "bf16" or "int8"; throws Error naming `where` otherwise.
Precision parse_precision(const std::string& s, const std::string& where);
// Whether the convolutions run the precision in hardware here, by the ISA
// oneDNN dispatches to (fast_conv_isa(): the CPU's, or less under
// $ONEDNN_MAX_CPU_ISA): fp32 everywhere; bf16 AVX-512 BF16; int8 AVX2
// (VNNI's one-step dot product, or AVX2's two-step one) or AVX-512.
bool cpu_runs_natively(Precision p);
// What "auto" runs a network in here: int8 where the network is calibrated
// and the CPU runs int8 natively (the default classifier 2.2x fp32's crops/s
// on AVX2 without VNNI, 2x with AVX-512 VNNI; accuracy equal to four
// decimals: docs/measurements.md), else fp32. bf16 is never chosen: slower
// than int8 where both run, and less exact.
Precision auto_precision(bool calibrated);

class FastConv {
 public:
  // op: a convolution (k, stride, pad, cin, cout, groups, act) whose input is usually
  // in_side x in_side (other shapes work too; a kernel is built for each);
  // weights [k][k][cin][cout] and bias [cout]. For int8, in_scale is the input's value per step (its
  // calibrated largest magnitude / 127, or / 255 when in_unsigned: the input
  // comes out of a ReLU); ignored otherwise.
  FastConv(const PlainOp& op, int in_side, const float* weights, const float* bias, Precision precision,
           float in_scale = 0.f, bool in_unsigned = false);
  ~FastConv();
  FastConv(const FastConv&) = delete;
  FastConv& operator=(const FastConv&) = delete;

  // y = conv(x) + bias (+ residual, zero-padding the output at the bottom and
  // right when the residual is larger), then op.act.
  void run(const Activation& x, const Activation* residual, Activation& y) const;
  Precision precision() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// int8's input scale for an input whose largest magnitude is `largest`: its
// value per 8-bit step (largest / 255 when in_unsigned, else / 127; a range
// of nothing counts as 1e-6).
float int8_input_scale(float largest, bool in_unsigned);

// The instruction set oneDNN dispatches to on this CPU, e.g. "avx512_core_bf16".
std::string fast_conv_isa();

}  // namespace mw
