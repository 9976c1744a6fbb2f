#include "infer/plain_ops.h"

#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <limits>

namespace mw {

namespace {

#ifdef __AVX2__
constexpr bool kAvx2 = true;
#define MW_FEATURE_AVX2 " avx2"
#else
constexpr bool kAvx2 = false;
#define MW_FEATURE_AVX2 ""
#endif
#ifdef __FMA__
constexpr bool kFma = true;
#define MW_FEATURE_FMA " fma"
#else
constexpr bool kFma = false;
#define MW_FEATURE_FMA ""
#endif
#ifdef __AVX512F__
#define MW_FEATURE_AVX512F " avx512f"
#else
#define MW_FEATURE_AVX512F ""
#endif
constexpr char kFeatures[] = MW_FEATURE_AVX512F MW_FEATURE_AVX2 MW_FEATURE_FMA;

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMajor>;
using Map = Eigen::Map<RowMajor>;

// Kernel offsets t (rows or columns) through which some output reads a real input position.
std::vector<bool> live_offsets(const PlainOp& op, int in) {
  const int out = plain_out_side(in, op);
  std::vector<bool> live(static_cast<std::size_t>(op.k), false);
  for (int t = 0; t < op.k; ++t)
    for (int o = 0; o < out && !live[t]; ++o)
      live[t] = o * op.stride - op.pad + t >= 0 && o * op.stride - op.pad + t < in;
  return live;
}

// The residual is larger than the convolution's output: that output is
// zero-padded at the bottom and right to the residual's size, then added.
void conv_padded_residual(const PlainOp& op, const Activation& x, const Activation& residual, const float* weights,
                          const float* bias, Activation& y, std::vector<float>& cols) {
  Activation small;
  PlainOp linear = op;  // the ReLU comes after the sum
  linear.relu = false;
  plain_conv(linear, x, nullptr, weights, bias, small, cols);
  y = residual;
  const std::size_t row = static_cast<std::size_t>(small.w) * op.cout;
  for (int b = 0; b < x.n; ++b)
    for (int oy = 0; oy < small.h; ++oy) {
      const float* src = small.data.data() + small.index(b, oy, 0, 0);
      float* dst = y.data.data() + y.index(b, oy, 0, 0);
      for (std::size_t i = 0; i < row; ++i) dst[i] += src[i];
    }
  if (op.relu)
    for (auto& v : y.data) v = std::max(v, 0.f);
}

// Rows [n * ho * wo] of the live taps' input pixels, zeros where the window leaves the image.
void im2col(const PlainOp& op, const Activation& x, int ho, int wo, std::vector<float>& cols) {
  const int k = op.k, s = op.stride, p = op.pad;
  const int taps = static_cast<int>(op.taps.size());
  const std::size_t depth = static_cast<std::size_t>(taps) * x.c;
  cols.assign(static_cast<std::size_t>(x.n) * ho * wo * depth, 0.f);
  float* dst = cols.data();
  for (int b = 0; b < x.n; ++b)
    for (int oy = 0; oy < ho; ++oy)
      for (int ox = 0; ox < wo; ++ox, dst += depth)
        for (int t = 0; t < taps; ++t) {
          const int iy = oy * s - p + op.taps[t] / k, ix = ox * s - p + op.taps[t] % k;
          if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
          std::memcpy(dst + static_cast<std::size_t>(t) * x.c, x.data.data() + x.index(b, iy, ix, 0),
                      sizeof(float) * x.c);
        }
}

}  // namespace

const PlainOpsBuild kPlainOpsBuild = {kAvx2, kFma, sizeof kFeatures > 1 ? kFeatures + 1 : "baseline x86-64"};

std::vector<int> plain_live_taps(const PlainOp& op, int in_h, int in_w) {
  const auto rows = live_offsets(op, in_h), cols = live_offsets(op, in_w);
  std::vector<int> taps;
  for (int ky = 0; ky < op.k; ++ky)
    for (int kx = 0; kx < op.k; ++kx)
      if (rows[ky] && cols[kx]) taps.push_back(ky * op.k + kx);
  return taps;
}

std::vector<float> plain_tap_weights(const float* weights, const std::vector<int>& taps, int cin, int cout) {
  const std::size_t row = static_cast<std::size_t>(cin) * cout;  // one tap's [cin][cout] block
  std::vector<float> out;
  out.reserve(taps.size() * row);
  for (int t : taps) out.insert(out.end(), weights + t * row, weights + (t + 1) * row);
  return out;
}

void plain_normalize(const std::uint8_t* crops, int n, int side, const std::array<float, 3>& mean,
                     const std::array<float, 3>& inv_scale, Activation& y) {
  y.shape(n, side, side, 3);
  for (std::size_t i = 0; i < y.data.size(); ++i) {
    const int c = static_cast<int>(i % 3);
    y.data[i] = (static_cast<float>(crops[i]) - mean[c]) * inv_scale[c];
  }
}

void plain_conv(const PlainOp& op, const Activation& x, const Activation* residual, const float* weights,
                const float* bias, Activation& y, std::vector<float>& cols) {
  const int ho = plain_out_side(x.h, op), wo = plain_out_side(x.w, op);
  if (residual && (residual->h != ho || residual->w != wo))
    return conv_padded_residual(op, x, *residual, weights, bias, y, cols);
  y.shape(x.n, ho, wo, op.cout);
  const Eigen::Index rows = static_cast<Eigen::Index>(x.n) * ho * wo;
  const Eigen::Index depth = static_cast<Eigen::Index>(op.taps.size()) * x.c;
  const float* a = x.data.data();
  if (op.k != 1 || op.stride != 1 || op.pad != 0) {
    im2col(op, x, ho, wo, cols);
    a = cols.data();
  }
  Map out(y.data.data(), rows, op.cout);
  out.noalias() = ConstMap(a, rows, depth) * ConstMap(weights, depth, op.cout);
  out.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bias, op.cout);
  if (residual) out += ConstMap(residual->data.data(), rows, op.cout);
  if (op.relu) out = out.cwiseMax(0.f);
}

void plain_maxpool(const PlainOp& op, const Activation& x, Activation& y) {
  const int k = op.k, s = op.stride, p = op.pad;
  y.shape(x.n, plain_out_side(x.h, op), plain_out_side(x.w, op), x.c);
  float* dst = y.data.data();
  for (int b = 0; b < x.n; ++b)
    for (int oy = 0; oy < y.h; ++oy)
      for (int ox = 0; ox < y.w; ++ox, dst += x.c) {
        std::fill(dst, dst + x.c, -std::numeric_limits<float>::infinity());
        for (int ky = 0; ky < k; ++ky) {
          const int iy = oy * s - p + ky;
          if (iy < 0 || iy >= x.h) continue;
          for (int kx = 0; kx < k; ++kx) {
            const int ix = ox * s - p + kx;
            if (ix < 0 || ix >= x.w) continue;
            const float* src = x.data.data() + x.index(b, iy, ix, 0);
            for (int c = 0; c < x.c; ++c) dst[c] = std::max(dst[c], src[c]);
          }
        }
      }
}

void plain_avgpool(const PlainOp& op, const Activation& x, Activation& y) {
  const int k = op.k, s = op.stride;
  y.shape(x.n, plain_out_side(x.h, op), plain_out_side(x.w, op), op.cout);
  std::fill(y.data.begin(), y.data.end(), 0.f);
  const float scale = 1.f / static_cast<float>(k * k);
  float* dst = y.data.data();
  for (int b = 0; b < x.n; ++b)
    for (int oy = 0; oy < y.h; ++oy)
      for (int ox = 0; ox < y.w; ++ox, dst += op.cout) {
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) {
            const float* src = x.data.data() + x.index(b, oy * s + ky, ox * s + kx, 0);
            for (int c = 0; c < x.c; ++c) dst[c] += src[c];
          }
        for (int c = 0; c < x.c; ++c) dst[c] *= scale;
      }
}

void plain_global_avgpool(const Activation& x, Activation& y) {
  y.shape(x.n, 1, 1, x.c);
  std::fill(y.data.begin(), y.data.end(), 0.f);
  const int pixels = x.h * x.w;
  for (int b = 0; b < x.n; ++b) {
    float* dst = y.data.data() + static_cast<std::size_t>(b) * x.c;
    const float* src = x.data.data() + x.index(b, 0, 0, 0);
    for (int i = 0; i < pixels; ++i)
      for (int c = 0; c < x.c; ++c) dst[c] += src[static_cast<std::size_t>(i) * x.c + c];
    for (int c = 0; c < x.c; ++c) dst[c] /= static_cast<float>(pixels);
  }
}

void plain_linear(const PlainOp& op, const Activation& x, const float* weights, const float* bias, Activation& y) {
  y.shape(x.n, 1, 1, op.cout);
  Map out(y.data.data(), x.n, op.cout);
  out.noalias() = ConstMap(x.data.data(), x.n, op.cin) * ConstMap(weights, op.cin, op.cout);
  out.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bias, op.cout);
}

}  // namespace mw
