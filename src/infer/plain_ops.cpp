#include "infer/plain_ops.h"

#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
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

}  // namespace

const PlainOpsBuild kPlainOpsBuild = {kAvx2, kFma, sizeof kFeatures > 1 ? kFeatures + 1 : "baseline x86-64"};

void plain_normalize(const std::uint8_t* crops, int n, int side, const std::array<float, 3>& mean,
                     const std::array<float, 3>& inv_scale, Activation& y) {
  y.shape(n, side, side, 3);
  for (std::size_t i = 0; i < y.size(); ++i) {
    const int c = static_cast<int>(i % 3);
    y.data[i] = (static_cast<float>(crops[i]) - mean[c]) * inv_scale[c];
  }
}

void plain_add_padded_residual(const Activation& small, const Activation& residual, Activation& y) {
  y = residual;
  const std::size_t row = static_cast<std::size_t>(small.w) * small.c;
  for (int b = 0; b < small.n; ++b)
    for (int oy = 0; oy < small.h; ++oy) {
      const float* src = small.data.data() + small.index(b, oy, 0, 0);
      float* dst = y.data.data() + y.index(b, oy, 0, 0);
      for (std::size_t i = 0; i < row; ++i) dst[i] += src[i];
    }
}

void plain_activate(PlainOp::Act a, float scale, Activation& y) {
  float* v = y.data.data();
  const std::size_t n = y.size();
  const auto relu6 = [](float x) { return std::min(std::max(x, 0.f), 6.f); };
  switch (a) {
    case PlainOp::Act::none:
      return;
    case PlainOp::Act::relu:
      for (std::size_t i = 0; i < n; ++i) v[i] = std::max(v[i], 0.f);
      return;
    case PlainOp::Act::relu6:
      for (std::size_t i = 0; i < n; ++i) v[i] = relu6(v[i]);
      return;
    case PlainOp::Act::hard_swish:
      for (std::size_t i = 0; i < n; ++i) v[i] = v[i] * relu6(v[i] + 3.f) * scale;
      return;
    case PlainOp::Act::hard_sigmoid:
      for (std::size_t i = 0; i < n; ++i) v[i] = relu6(v[i] + 3.f) * scale;
      return;
    case PlainOp::Act::sigmoid:
      for (std::size_t i = 0; i < n; ++i) v[i] = 1.f / (1.f + std::exp(-v[i]));
      return;
  }
}

void plain_add(const Activation& a, const Activation& b, Activation& y) {
  y.shape(a.n, a.h, a.w, a.c);
  for (std::size_t i = 0; i < y.size(); ++i) y.data[i] = a.data[i] + b.data[i];
}

void plain_mul_channels(const Activation& x, const Activation& s, Activation& y) {
  y.shape(x.n, x.h, x.w, x.c);
  const std::size_t pixels = static_cast<std::size_t>(x.h) * x.w;
  for (int b = 0; b < x.n; ++b) {
    const float* gate = s.data.data() + static_cast<std::size_t>(b) * x.c;
    const float* src = x.data.data() + x.index(b, 0, 0, 0);
    float* dst = y.data.data() + y.index(b, 0, 0, 0);
    for (std::size_t i = 0; i < pixels; ++i, src += x.c, dst += x.c)
      for (int c = 0; c < x.c; ++c) dst[c] = src[c] * gate[c];
  }
}

void plain_upsample2x(const Activation& x, Activation& y) {
  y.shape(x.n, 2 * x.h, 2 * x.w, x.c);
  const std::size_t c = static_cast<std::size_t>(x.c);
  // Rows first (each output row from one or two input rows), then columns within the row.
  thread_local std::vector<float> row;
  row.resize(static_cast<std::size_t>(x.w) * c);
  for (int b = 0; b < x.n; ++b)
    for (int oy = 0; oy < y.h; ++oy) {
      const int iy = oy / 2, iy1 = std::min(iy + 1, x.h - 1);
      const float* r0 = x.data.data() + x.index(b, iy, 0, 0);
      const float* r1 = x.data.data() + x.index(b, iy1, 0, 0);
      if (oy % 2 == 0)
        std::copy_n(r0, row.size(), row.data());
      else
        for (std::size_t i = 0; i < row.size(); ++i) row[i] = 0.5f * (r0[i] + r1[i]);
      float* dst = y.data.data() + y.index(b, oy, 0, 0);
      for (int ox = 0; ox < y.w; ++ox, dst += c) {
        const int ix = ox / 2, ix1 = std::min(ix + 1, x.w - 1);
        const float* p0 = row.data() + static_cast<std::size_t>(ix) * c;
        const float* p1 = row.data() + static_cast<std::size_t>(ix1) * c;
        if (ox % 2 == 0)
          std::copy_n(p0, c, dst);
        else
          for (std::size_t k = 0; k < c; ++k) dst[k] = 0.5f * (p0[k] + p1[k]);
      }
    }
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

void plain_concat(const std::vector<const Activation*>& parts, Activation& y) {
  const Activation& first = *parts.front();
  int channels = 0;
  for (const auto* p : parts) channels += p->c;
  y.shape(first.n, first.h, first.w, channels);
  const std::size_t pixels = static_cast<std::size_t>(first.n) * first.h * first.w;
  int offset = 0;
  for (const auto* p : parts) {
    for (std::size_t i = 0; i < pixels; ++i)
      std::copy_n(p->data.data() + i * p->c, p->c, y.data.data() + i * channels + offset);
    offset += p->c;
  }
}

void plain_avgpool(const PlainOp& op, const Activation& x, Activation& y) {
  const int k = op.k, s = op.stride;
  y.shape(x.n, plain_out_side(x.h, op), plain_out_side(x.w, op), op.cout);
  std::fill_n(y.data.begin(), y.size(), 0.f);
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
  std::fill_n(y.data.begin(), y.size(), 0.f);
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
