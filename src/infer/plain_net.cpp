#include "infer/plain_net.h"

#define EIGEN_DONT_PARALLELIZE
#include <immintrin.h>

#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <thread>

#include "maskwatch.h"

namespace mw {

namespace {

constexpr unsigned kFlushDenormals = 0x8040;  // MXCSR flush-to-zero | denormals-are-zero

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMajor>;
using Map = Eigen::Map<RowMajor>;

struct Activation {  // [n][h][w][c]
  int n = 0, h = 0, w = 0, c = 0;
  std::vector<float> data;
  void shape(int n_, int h_, int w_, int c_) {
    n = n_, h = h_, w = w_, c = c_;
    data.resize(static_cast<std::size_t>(n) * h * w * c);
  }
};

const char* kind_name(PlainOp::Kind k) {
  switch (k) {
    case PlainOp::Kind::Conv:
      return "conv";
    case PlainOp::Kind::MaxPool:
      return "maxpool";
    case PlainOp::Kind::GlobalAvgPool:
      return "gap";
    case PlainOp::Kind::Linear:
      return "linear";
  }
  return "?";
}

PlainOp::Kind kind_of(const std::string& s, const std::string& source) {
  for (auto k : {PlainOp::Kind::Conv, PlainOp::Kind::MaxPool, PlainOp::Kind::GlobalAvgPool, PlainOp::Kind::Linear})
    if (s == kind_name(k)) return k;
  throw Error(source, "unknown op '" + s + "'");
}

int out_side(int in, const PlainOp& op) { return (in + 2 * op.pad - op.k) / op.stride + 1; }

void conv(const PlainOp& op, const Activation& x, const Activation* residual, const float* weights, const float* bias,
          Activation& y, std::vector<float>& cols) {
  const int k = op.k, s = op.stride, p = op.pad;
  const int ho = out_side(x.h, op), wo = out_side(x.w, op);
  y.shape(x.n, ho, wo, op.cout);
  const int taps = static_cast<int>(op.taps.size());
  const Eigen::Index rows = static_cast<Eigen::Index>(x.n) * ho * wo, depth = static_cast<Eigen::Index>(taps) * x.c;
  const float* a = x.data.data();
  if (k != 1 || s != 1 || p != 0) {  // im2col over the live taps, zeros where the window leaves the image
    cols.assign(static_cast<std::size_t>(rows * depth), 0.f);
    float* dst = cols.data();
    for (int b = 0; b < x.n; ++b)
      for (int oy = 0; oy < ho; ++oy)
        for (int ox = 0; ox < wo; ++ox, dst += depth)
          for (int t = 0; t < taps; ++t) {
            const int iy = oy * s - p + op.taps[t] / k, ix = ox * s - p + op.taps[t] % k;
            if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
            const float* src = x.data.data() + ((static_cast<std::size_t>(b) * x.h + iy) * x.w + ix) * x.c;
            std::memcpy(dst + static_cast<std::size_t>(t) * x.c, src, sizeof(float) * x.c);
          }
    a = cols.data();
  }
  Map out(y.data.data(), rows, op.cout);
  out.noalias() = ConstMap(a, rows, depth) * ConstMap(weights, depth, op.cout);
  out.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bias, op.cout);
  if (residual) out += ConstMap(residual->data.data(), rows, op.cout);
  if (op.relu) out = out.cwiseMax(0.f);
}

void maxpool(const PlainOp& op, const Activation& x, Activation& y) {
  const int k = op.k, s = op.stride, p = op.pad;
  const int ho = out_side(x.h, op), wo = out_side(x.w, op);
  y.shape(x.n, ho, wo, x.c);
  float* dst = y.data.data();
  for (int b = 0; b < x.n; ++b)
    for (int oy = 0; oy < ho; ++oy)
      for (int ox = 0; ox < wo; ++ox, dst += x.c) {
        std::fill(dst, dst + x.c, -std::numeric_limits<float>::infinity());
        for (int ky = 0; ky < k; ++ky) {
          const int iy = oy * s - p + ky;
          if (iy < 0 || iy >= x.h) continue;
          for (int kx = 0; kx < k; ++kx) {
            const int ix = ox * s - p + kx;
            if (ix < 0 || ix >= x.w) continue;
            const float* src = x.data.data() + ((static_cast<std::size_t>(b) * x.h + iy) * x.w + ix) * x.c;
            for (int c = 0; c < x.c; ++c) dst[c] = std::max(dst[c], src[c]);
          }
        }
      }
}

}  // namespace

void PlainNet::logits_chunk(const std::uint8_t* crops, int n, float* out) const {
  // Denormal activations (real faces through trained weights produce them) cost
  // ~100x per operation: flush them to zero on this thread.
  _mm_setcsr(_mm_getcsr() | kFlushDenormals);
  std::vector<Activation> act(static_cast<std::size_t>(buffers));
  std::vector<float> cols;
  Activation& x0 = act[0];
  x0.shape(n, input_size, input_size, 3);
  for (std::size_t i = 0; i < x0.data.size(); ++i) {
    const int c = static_cast<int>(i % 3);
    x0.data[i] = (static_cast<float>(crops[i]) - mean[c]) * inv_scale[c];
  }
  for (const auto& op : ops) {
    const Activation& x = act[op.in];
    Activation& y = act[op.out];
    switch (op.kind) {
      case PlainOp::Kind::Conv:
        conv(op, x, op.residual >= 0 ? &act[op.residual] : nullptr,
             static_cast<int>(op.taps.size()) == op.k * op.k ? params.data() + op.weight
                                                             : pruned.data() + op.pruned_weight,
             params.data() + op.bias, y, cols);
        break;
      case PlainOp::Kind::MaxPool:
        maxpool(op, x, y);
        break;
      case PlainOp::Kind::GlobalAvgPool:
        y.shape(x.n, 1, 1, x.c);
        std::fill(y.data.begin(), y.data.end(), 0.f);
        for (int b = 0; b < x.n; ++b) {
          float* dst = y.data.data() + static_cast<std::size_t>(b) * x.c;
          const float* src = x.data.data() + static_cast<std::size_t>(b) * x.h * x.w * x.c;
          for (int i = 0; i < x.h * x.w; ++i)
            for (int c = 0; c < x.c; ++c) dst[c] += src[static_cast<std::size_t>(i) * x.c + c];
          for (int c = 0; c < x.c; ++c) dst[c] /= static_cast<float>(x.h * x.w);
        }
        break;
      case PlainOp::Kind::Linear: {
        y.shape(x.n, 1, 1, op.cout);
        Map o(y.data.data(), x.n, op.cout);
        o.noalias() = ConstMap(x.data.data(), x.n, op.cin) * ConstMap(params.data() + op.weight, op.cin, op.cout);
        o.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(params.data() + op.bias, op.cout);
        break;
      }
    }
  }
  const Activation& last = act[ops.back().out];
  std::copy(last.data.begin(), last.data.begin() + static_cast<std::ptrdiff_t>(n) * classes, out);
}

void PlainNet::plan() {
  pruned.clear();
  std::vector<int> side(static_cast<std::size_t>(buffers), 0);
  side[0] = input_size;
  for (auto& op : ops) {
    const int in = side[op.in];
    op.taps.clear();
    if (op.kind == PlainOp::Kind::Conv) {
      const int out = out_side(in, op);
      // A tap row ky is live when some output row reads a real input row through it (same for columns).
      std::vector<bool> live(static_cast<std::size_t>(op.k), false);
      for (int t = 0; t < op.k; ++t)
        for (int o = 0; o < out && !live[t]; ++o)
          live[t] = o * op.stride - op.pad + t >= 0 && o * op.stride - op.pad + t < in;
      for (int ky = 0; ky < op.k; ++ky)
        for (int kx = 0; kx < op.k; ++kx)
          if (live[ky] && live[kx]) op.taps.push_back(ky * op.k + kx);
      if (static_cast<int>(op.taps.size()) != op.k * op.k) {
        op.pruned_weight = pruned.size();
        const std::size_t row = static_cast<std::size_t>(op.cin) * op.cout;  // one tap's [cin][cout] block
        for (int t : op.taps)
          pruned.insert(pruned.end(), params.begin() + static_cast<std::ptrdiff_t>(op.weight + t * row),
                        params.begin() + static_cast<std::ptrdiff_t>(op.weight + (t + 1) * row));
      }
      side[op.out] = out;
    } else if (op.kind == PlainOp::Kind::MaxPool) {
      side[op.out] = out_side(in, op);
    } else {
      side[op.out] = 1;
    }
    if (side[op.out] <= 0) throw Error("plain network", "input of " + std::to_string(input_size) + " px is too small");
  }
}

void PlainNet::logits(const std::uint8_t* crops, std::int64_t n, float* out, int threads) const {
  const std::int64_t per_thread = (n + std::max(1, threads) - 1) / std::max(1, threads);
  const int chunk = static_cast<int>(std::clamp<std::int64_t>(per_thread, 1, kPlainMaxChunk));
  const std::int64_t chunks = (n + chunk - 1) / chunk;
  const std::size_t crop_bytes = static_cast<std::size_t>(input_size) * input_size * 3;
  std::atomic<std::int64_t> next{0};
  auto work = [&] {
    for (std::int64_t c; (c = next.fetch_add(1)) < chunks;) {
      const std::int64_t first = c * chunk;
      const int m = static_cast<int>(std::min<std::int64_t>(chunk, n - first));
      logits_chunk(crops + first * crop_bytes, m, out + first * classes);
    }
  };
  const int t = static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(threads, chunks)));
  std::vector<std::thread> pool;
  for (int i = 1; i < t; ++i) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
}

std::string PlainNet::to_bytes() const {
  json ops_json = json::array();
  for (const auto& op : ops)
    ops_json.push_back({{"op", kind_name(op.kind)},
                        {"in", op.in},
                        {"out", op.out},
                        {"residual", op.residual},
                        {"cin", op.cin},
                        {"cout", op.cout},
                        {"k", op.k},
                        {"stride", op.stride},
                        {"pad", op.pad},
                        {"relu", op.relu},
                        {"weight", op.weight},
                        {"bias", op.bias}});
  json header = {{"input_size", input_size}, {"classes", classes},      {"mean", mean},   {"inv_scale", inv_scale},
                 {"buffers", buffers},       {"params", params.size()}, {"ops", ops_json}};
  const std::string h = header.dump();
  std::string bytes(kPlainMagic, sizeof kPlainMagic);
  const auto len = static_cast<std::uint32_t>(h.size());
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  bytes += h;
  bytes.append(reinterpret_cast<const char*>(params.data()), params.size() * sizeof(float));
  return bytes;
}

PlainNet PlainNet::from_bytes(const std::string& bytes, const std::string& source) {
  if (bytes.size() < 12 || std::memcmp(bytes.data(), kPlainMagic, sizeof kPlainMagic) != 0)
    throw Error(source, "not a plain network file (bad magic)");
  std::uint32_t len = 0;
  for (int i = 0; i < 4; ++i) len |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  if (12 + static_cast<std::size_t>(len) > bytes.size()) throw Error(source, "header runs past the end of the file");
  PlainNet net;
  try {
    auto h = json::parse(bytes.substr(12, len));
    net.input_size = h.at("input_size");
    net.classes = h.at("classes");
    net.mean = h.at("mean");
    net.inv_scale = h.at("inv_scale");
    net.buffers = h.at("buffers");
    const std::size_t count = h.at("params");
    if (12 + len + count * sizeof(float) != bytes.size())
      throw Error(source, "parameter block is " + std::to_string(bytes.size() - 12 - len) + " bytes, header says " +
                              std::to_string(count * sizeof(float)));
    net.params.resize(count);
    std::memcpy(net.params.data(), bytes.data() + 12 + len, count * sizeof(float));
    for (const auto& o : h.at("ops")) {
      PlainOp op;
      op.kind = kind_of(o.at("op"), source);
      op.in = o.at("in"), op.out = o.at("out"), op.residual = o.at("residual");
      op.cin = o.at("cin"), op.cout = o.at("cout"), op.k = o.at("k"), op.stride = o.at("stride"), op.pad = o.at("pad");
      op.relu = o.at("relu");
      op.weight = o.at("weight"), op.bias = o.at("bias");
      const std::size_t wsize = static_cast<std::size_t>(op.k) * op.k * op.cin * op.cout;
      const bool has_params = op.kind == PlainOp::Kind::Conv || op.kind == PlainOp::Kind::Linear;
      if (op.in < 0 || op.in >= net.buffers || op.out <= 0 || op.out >= net.buffers || op.residual >= net.buffers ||
          (has_params && (op.weight + wsize > count || op.bias + static_cast<std::size_t>(op.cout) > count)))
        throw Error(source, std::string("op '") + kind_name(op.kind) + "' refers outside the buffers or parameters");
      net.ops.push_back(op);
    }
  } catch (const json::exception& e) {
    throw Error(source, std::string("bad header: ") + e.what());
  }
  if (net.ops.empty() || net.input_size <= 0 || net.classes <= 0) throw Error(source, "empty network");
  net.plan();
  return net;
}

}  // namespace mw
