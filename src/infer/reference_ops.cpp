#include "infer/reference_ops.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mw::reference {

namespace {

int out_side(int in, int k, int stride, int pad, int pad_end) {
  return (in + pad + (pad_end >= 0 ? pad_end : pad) - k) / stride + 1;
}

bool inside(const Activation& x, int y, int xx) { return y >= 0 && y < x.h && xx >= 0 && xx < x.w; }

Activation make(int n, int h, int w, int c) {
  Activation a;
  a.shape(n, h, w, c);
  std::fill(a.data.begin(), a.data.end(), 0.f);
  return a;
}

}  // namespace

Activation normalize(const std::uint8_t* crops, int n, int side, const std::array<float, 3>& mean,
                     const std::array<float, 3>& inv_scale) {
  Activation y = make(n, side, side, 3);
  for (int b = 0; b < n; ++b)
    for (int i = 0; i < side; ++i)
      for (int j = 0; j < side; ++j)
        for (int c = 0; c < 3; ++c) {
          const float v = crops[((static_cast<std::size_t>(b) * side + i) * side + j) * 3 + c];
          y.at(b, i, j, c) = (v - mean[c]) * inv_scale[c];
        }
  return y;
}

Activation conv2d(const Activation& x, const float* weight, const float* bias, int cout, int k, int stride, int pad,
                  int pad_end, int groups) {
  Activation y = make(x.n, out_side(x.h, k, stride, pad, pad_end), out_side(x.w, k, stride, pad, pad_end), cout);
  const int cin_g = x.c / groups, cout_g = cout / groups;
  for (int b = 0; b < y.n; ++b)
    for (int oy = 0; oy < y.h; ++oy)
      for (int ox = 0; ox < y.w; ++ox)
        for (int co = 0; co < cout; ++co) {
          double sum = bias[co];
          const int first = co / cout_g * cin_g;
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx) {
              const int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
              if (!inside(x, iy, ix)) continue;
              for (int j = 0; j < cin_g; ++j)
                sum += double{x.at(b, iy, ix, first + j)} * weight[((ky * k + kx) * cin_g + j) * cout + co];
            }
          y.at(b, oy, ox, co) = static_cast<float>(sum);
        }
  return y;
}

Activation add_residual(const Activation& y, const Activation& r) {
  Activation sum = r;
  for (int b = 0; b < y.n; ++b)
    for (int i = 0; i < y.h; ++i)
      for (int j = 0; j < y.w; ++j)
        for (int c = 0; c < y.c; ++c) sum.at(b, i, j, c) += y.at(b, i, j, c);
  return sum;
}

Activation activate(Activation x, PlainOp::Act a, float scale) {
  const auto relu6 = [](double v) { return std::min(std::max(v, 0.0), 6.0); };
  for (auto& v : x.data) {
    const double d = v;
    switch (a) {
      case PlainOp::Act::none:
        break;
      case PlainOp::Act::relu:
        v = static_cast<float>(std::max(d, 0.0));
        break;
      case PlainOp::Act::relu6:
        v = static_cast<float>(relu6(d));
        break;
      case PlainOp::Act::hard_swish:
        v = static_cast<float>(d * relu6(d + 3) * scale);
        break;
      case PlainOp::Act::hard_sigmoid:
        v = static_cast<float>(relu6(d + 3) * scale);
        break;
      case PlainOp::Act::sigmoid:
        v = static_cast<float>(1 / (1 + std::exp(-d)));
        break;
    }
  }
  return x;
}

Activation add(const Activation& a, const Activation& b) {
  Activation y = make(a.n, a.h, a.w, a.c);
  for (int n = 0; n < a.n; ++n)
    for (int i = 0; i < a.h; ++i)
      for (int j = 0; j < a.w; ++j)
        for (int c = 0; c < a.c; ++c) y.at(n, i, j, c) = a.at(n, i, j, c) + b.at(n, i, j, c);
  return y;
}

Activation mul_channels(const Activation& x, const Activation& s) {
  Activation y = make(x.n, x.h, x.w, x.c);
  for (int n = 0; n < x.n; ++n)
    for (int i = 0; i < x.h; ++i)
      for (int j = 0; j < x.w; ++j)
        for (int c = 0; c < x.c; ++c) y.at(n, i, j, c) = x.at(n, i, j, c) * s.at(n, 0, 0, c);
  return y;
}

Activation upsample2x(const Activation& x) {
  Activation y = make(x.n, 2 * x.h, 2 * x.w, x.c);
  // Where output o reads: o * in / out, split into the pixel before it and the fraction past it.
  auto source = [](int o, int in, int out, int& i0, int& i1, double& t) {
    const double at = double(o) * in / out;
    i0 = static_cast<int>(std::floor(at));
    i1 = std::min(i0 + 1, in - 1);
    t = at - i0;
  };
  for (int n = 0; n < y.n; ++n)
    for (int oy = 0; oy < y.h; ++oy)
      for (int ox = 0; ox < y.w; ++ox) {
        int y0, y1, x0, x1;
        double ty, tx;
        source(oy, x.h, y.h, y0, y1, ty);
        source(ox, x.w, y.w, x0, x1, tx);
        for (int c = 0; c < x.c; ++c) {
          const double top = x.at(n, y0, x0, c) * (1 - tx) + x.at(n, y0, x1, c) * tx;
          const double bottom = x.at(n, y1, x0, c) * (1 - tx) + x.at(n, y1, x1, c) * tx;
          y.at(n, oy, ox, c) = static_cast<float>(top * (1 - ty) + bottom * ty);
        }
      }
  return y;
}

Activation max_pool(const Activation& x, int k, int stride, int pad, int pad_end) {
  Activation y = make(x.n, out_side(x.h, k, stride, pad, pad_end), out_side(x.w, k, stride, pad, pad_end), x.c);
  for (int b = 0; b < y.n; ++b)
    for (int oy = 0; oy < y.h; ++oy)
      for (int ox = 0; ox < y.w; ++ox)
        for (int c = 0; c < x.c; ++c) {
          float best = -std::numeric_limits<float>::infinity();
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx) {
              const int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
              if (inside(x, iy, ix)) best = std::max(best, x.at(b, iy, ix, c));
            }
          y.at(b, oy, ox, c) = best;
        }
  return y;
}

Activation avg_pool(const Activation& x, int k, int stride, int cout) {
  Activation y = make(x.n, out_side(x.h, k, stride, 0, 0), out_side(x.w, k, stride, 0, 0), cout);
  for (int b = 0; b < y.n; ++b)
    for (int oy = 0; oy < y.h; ++oy)
      for (int ox = 0; ox < y.w; ++ox)
        for (int c = 0; c < x.c; ++c) {
          double sum = 0;
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx) sum += x.at(b, oy * stride + ky, ox * stride + kx, c);
          y.at(b, oy, ox, c) = static_cast<float>(sum / (k * k));
        }
  return y;
}

Activation global_avg_pool(const Activation& x) {
  Activation y = make(x.n, 1, 1, x.c);
  for (int b = 0; b < x.n; ++b)
    for (int c = 0; c < x.c; ++c) {
      double sum = 0;
      for (int i = 0; i < x.h; ++i)
        for (int j = 0; j < x.w; ++j) sum += x.at(b, i, j, c);
      y.at(b, 0, 0, c) = static_cast<float>(sum / (x.h * x.w));
    }
  return y;
}

Activation concat(const std::vector<const Activation*>& parts) {
  int channels = 0;
  for (const auto* p : parts) channels += p->c;
  const Activation& first = *parts.front();
  Activation y = make(first.n, first.h, first.w, channels);
  for (int b = 0; b < y.n; ++b)
    for (int i = 0; i < y.h; ++i)
      for (int j = 0; j < y.w; ++j) {
        int c = 0;
        for (const auto* p : parts)
          for (int pc = 0; pc < p->c; ++pc) y.at(b, i, j, c++) = p->at(b, i, j, pc);
      }
  return y;
}

Activation linear(const Activation& x, const float* weight, const float* bias, int cout) {
  Activation y = make(x.n, 1, 1, cout);
  for (int b = 0; b < x.n; ++b)
    for (int co = 0; co < cout; ++co) {
      double sum = bias[co];
      for (int i = 0; i < x.h; ++i)
        for (int j = 0; j < x.w; ++j)
          for (int c = 0; c < x.c; ++c) sum += double{x.at(b, i, j, c)} * weight[((i * x.w + j) * x.c + c) * cout + co];
      y.at(b, 0, 0, co) = static_cast<float>(sum);
    }
  return y;
}

namespace {

Activation run_kind(const PlainNet& net, const PlainOp& op, const std::vector<Activation>& act) {
  const Activation& x = act[static_cast<std::size_t>(op.in)];
  const float* weight = net.params.data() + op.weight;
  const float* bias = net.params.data() + op.bias;
  const auto other = [&] { return act[static_cast<std::size_t>(op.cat.at(0))]; };
  switch (op.kind) {
    case PlainOp::Kind::Conv: {
      Activation y = conv2d(x, weight, bias, op.cout, op.k, op.stride, op.pad, op.pad_end, op.groups);
      return op.residual >= 0 ? add_residual(y, act[static_cast<std::size_t>(op.residual)]) : y;
    }
    case PlainOp::Kind::MaxPool:
      return max_pool(x, op.k, op.stride, op.pad, op.pad_end);
    case PlainOp::Kind::Concat: {
      std::vector<const Activation*> parts{&x};
      for (int c : op.cat) parts.push_back(&act[static_cast<std::size_t>(c)]);
      return concat(parts);
    }
    case PlainOp::Kind::AvgPool:
      return avg_pool(x, op.k, op.stride, op.cout);
    case PlainOp::Kind::GlobalAvgPool:
      return global_avg_pool(x);
    case PlainOp::Kind::Linear:
      return linear(x, weight, bias, op.cout);
    case PlainOp::Kind::Add:
      return add(x, other());
    case PlainOp::Kind::Mul:
      return mul_channels(x, other());
    case PlainOp::Kind::Upsample:
      return upsample2x(x);
  }
  return {};
}

Activation run(const PlainNet& net, const PlainOp& op, const std::vector<Activation>& act) {
  return activate(run_kind(net, op, act), op.act, op.act_scale);
}

}  // namespace

std::vector<Activation> forward(const PlainNet& net, const std::uint8_t* images, int n) {
  std::vector<Activation> act(static_cast<std::size_t>(net.buffers));
  act[0] = normalize(images, n, net.input_size, net.mean, net.inv_scale);
  for (const auto& op : net.ops) act[static_cast<std::size_t>(op.out)] = run(net, op, act);
  return act;
}

std::vector<float> logits(const PlainNet& net, const std::uint8_t* crops, int n) {
  return forward(net, crops, n)[static_cast<std::size_t>(net.ops.back().out)].data;
}

}  // namespace mw::reference
