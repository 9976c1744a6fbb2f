// The plain engine's operators (infer/plain_net.h runs them in sequence), each
// callable on its own so that tests can hold it against the naive version in
// infer/reference_ops.h. Activations are NHWC floats over a chunk of images.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "infer/plain_net.h"

namespace mw {

// [n][h][w][c]: the first size() floats of data. A buffer kept between runs
// only grows (regrowing a vector zero-fills it, and batches of different
// sizes would refill every buffer each time), so read size(), not data.size().
struct Activation {
  int n = 0, h = 0, w = 0, c = 0;
  std::vector<float> data;
  void shape(int n_, int h_, int w_, int c_) {
    n = n_, h = h_, w = w_, c = c_;
    if (data.size() < size()) data.resize(size());
  }
  std::size_t size() const { return static_cast<std::size_t>(n) * h * w * c; }
  std::size_t index(int b, int y, int x, int ch) const {
    return ((static_cast<std::size_t>(b) * h + y) * w + x) * c + ch;
  }
  float& at(int b, int y, int x, int ch) { return data[index(b, y, x, ch)]; }
  float at(int b, int y, int x, int ch) const { return data[index(b, y, x, ch)]; }
};

// What the operators were compiled for (MASKWATCH_PLAIN_CPU_FLAGS): plain data,
// readable from code built for any x86-64.
struct PlainOpsBuild {
  bool avx2, fma;
  const char* features;  // "avx2 fma", or "baseline x86-64"
};
extern const PlainOpsBuild kPlainOpsBuild;

// The output side of a windowed op (conv, max pool, average pool) on an input side.
inline int plain_out_side(int in, const PlainOp& op) { return (in + op.pad + pad_after(op) - op.k) / op.stride + 1; }

// n 8-bit RGB HWC crops of side `side` -> (value - mean[c]) * inv_scale[c].
void plain_normalize(const std::uint8_t* crops, int n, int side, const std::array<float, 3>& mean,
                     const std::array<float, 3>& inv_scale, Activation& y);
// y = residual + small zero-padded at the bottom and right to the residual's
// size (a convolution whose output is smaller than its residual;
// infer/fast_conv.h). The activation is the caller's.
void plain_add_padded_residual(const Activation& small, const Activation& residual, Activation& y);
// The activation `a` on every value of y, in place (PlainOp::Act).
void plain_activate(PlainOp::Act a, float scale, Activation& y);
// y = a + b (the same shape).
void plain_add(const Activation& a, const Activation& b, Activation& y);
// y[b][i][j][c] = x[b][i][j][c] * s[b][0][0][c].
void plain_mul_channels(const Activation& x, const Activation& s, Activation& y);
// Twice the side, bilinear as TensorFlow 1 resizes (PlainOp::Kind::Upsample).
void plain_upsample2x(const Activation& x, Activation& y);
// k x k max over the window, padding excluded.
void plain_maxpool(const PlainOp& op, const Activation& x, Activation& y);
// The channels of `parts` side by side (all of one n, h and w).
void plain_concat(const std::vector<const Activation*>& parts, Activation& y);
// k x k mean without padding; op.cout >= x.c channels, those past the input's zero.
void plain_avgpool(const PlainOp& op, const Activation& x, Activation& y);
// The mean over each map: [n][1][1][c].
void plain_global_avgpool(const Activation& x, Activation& y);
// x as [n][cin] times weights [cin][cout] plus bias: [n][1][1][cout].
void plain_linear(const PlainOp& op, const Activation& x, const float* weights, const float* bias, Activation& y);

}  // namespace mw
