#include "infer/plain_net.h"

#define EIGEN_DONT_PARALLELIZE
#include <immintrin.h>

#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <thread>

#include "core/parallel.h"
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
    case PlainOp::Kind::AvgPool:
      return "avgpool";
  }
  return "?";
}

PlainOp::Kind kind_of(const std::string& s, const std::string& source) {
  for (auto k : {PlainOp::Kind::Conv, PlainOp::Kind::MaxPool, PlainOp::Kind::GlobalAvgPool, PlainOp::Kind::Linear,
                 PlainOp::Kind::AvgPool})
    if (s == kind_name(k)) return k;
  throw Error(source, "unknown op '" + s + "'");
}

int out_side(int in, const PlainOp& op) { return (in + 2 * op.pad - op.k) / op.stride + 1; }

void conv(const PlainOp& op, const Activation& x, const Activation* residual, const float* weights, const float* bias,
          Activation& y, std::vector<float>& cols) {
  const int k = op.k, s = op.stride, p = op.pad;
  const int ho = out_side(x.h, op), wo = out_side(x.w, op);
  if (residual && (residual->h != ho || residual->w != wo)) {
    // The output zero-padded at the bottom and right to the residual's size, then added.
    Activation small;
    PlainOp linear = op;  // the ReLU comes after the sum
    linear.relu = false;
    conv(linear, x, nullptr, weights, bias, small, cols);
    y = *residual;
    const std::size_t c = static_cast<std::size_t>(op.cout);
    for (int b = 0; b < x.n; ++b)
      for (int oy = 0; oy < ho; ++oy) {
        const float* src = small.data.data() + ((static_cast<std::size_t>(b) * ho + oy) * wo) * c;
        float* dst = y.data.data() + ((static_cast<std::size_t>(b) * y.h + oy) * y.w) * c;
        for (std::size_t i = 0; i < static_cast<std::size_t>(wo) * c; ++i) dst[i] += src[i];
      }
    if (op.relu)
      for (auto& v : y.data) v = std::max(v, 0.f);
    return;
  }
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

// A k x k window average without padding; channels past the input's are zero.
void avgpool(const PlainOp& op, const Activation& x, Activation& y) {
  const int k = op.k, s = op.stride;
  const int ho = out_side(x.h, op), wo = out_side(x.w, op);
  y.shape(x.n, ho, wo, op.cout);
  std::fill(y.data.begin(), y.data.end(), 0.f);
  const float scale = 1.f / static_cast<float>(k * k);
  float* dst = y.data.data();
  for (int b = 0; b < x.n; ++b)
    for (int oy = 0; oy < ho; ++oy)
      for (int ox = 0; ox < wo; ++ox, dst += op.cout) {
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) {
            const float* src =
                x.data.data() + ((static_cast<std::size_t>(b) * x.h + oy * s + ky) * x.w + ox * s + kx) * x.c;
            for (int c = 0; c < x.c; ++c) dst[c] += src[c];
          }
        for (int c = 0; c < x.c; ++c) dst[c] *= scale;
      }
}

}  // namespace

void PlainNet::logits_chunk(const std::uint8_t* crops, int n, float* out) const {
  // Denormal activations (real faces through trained weights produce them) cost
  // ~100x per operation: flush them to zero on this thread.
  _mm_setcsr(_mm_getcsr() | kFlushDenormals);
  // Kept per thread between chunks: their pages are touched once, not once per chunk.
  thread_local std::vector<Activation> act;
  thread_local std::vector<float> cols;
  act.resize(static_cast<std::size_t>(buffers));
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
      case PlainOp::Kind::AvgPool:
        avgpool(op, x, y);
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
  // Sides past this are no crop the engine is for; the bound keeps every index computation in range.
  constexpr int kMaxSide = 4096;
  const std::string where = "plain network";
  if (input_size <= 0 || input_size > kMaxSide)
    throw Error(where, "input size " + std::to_string(input_size) + " is outside 1.." + std::to_string(kMaxSide));
  if (ops.empty()) throw Error(where, "no ops");
  if (buffers < 1 || static_cast<std::size_t>(buffers) > ops.size() + 1)
    throw Error(where, std::to_string(buffers) + " buffers for " + std::to_string(ops.size()) + " ops");
  struct Shape {
    std::int64_t side = 0, channels = 0;  // side 0: no op has written the buffer yet
    bool operator!=(const Shape& o) const { return side != o.side || channels != o.channels; }
    std::string str() const {
      return std::to_string(side) + "x" + std::to_string(side) + "x" + std::to_string(channels);
    }
  };
  std::vector<Shape> shape(static_cast<std::size_t>(buffers));
  shape[0] = {input_size, 3};
  pruned.clear();
  for (std::size_t i = 0; i < ops.size(); ++i) {
    auto& op = ops[i];
    const std::string name = "op " + std::to_string(i) + " (" + kind_name(op.kind) + ")";
    auto fail = [&](const std::string& why) { throw Error(where, name + ": " + why); };
    if (op.in < 0 || op.in >= buffers || op.out <= 0 || op.out >= buffers || op.residual < -1 || op.residual >= buffers)
      fail("refers outside the buffers");
    if (op.out == op.in || op.out == op.residual) fail("writes a buffer it reads");
    const Shape x = shape[static_cast<std::size_t>(op.in)];
    if (x.side == 0) fail("reads buffer " + std::to_string(op.in) + ", which no earlier op writes");
    const bool windowed =
        op.kind == PlainOp::Kind::Conv || op.kind == PlainOp::Kind::MaxPool || op.kind == PlainOp::Kind::AvgPool;
    const bool has_params = op.kind == PlainOp::Kind::Conv || op.kind == PlainOp::Kind::Linear;
    std::int64_t out = 1;
    if (windowed) {
      if (op.k < 1 || op.k > kMaxSide || op.stride < 1 || op.pad < 0 || op.pad >= op.k)
        fail("kernel " + std::to_string(op.k) + ", stride " + std::to_string(op.stride) + ", pad " +
             std::to_string(op.pad) + " (expected k >= 1, stride >= 1, 0 <= pad < k)");
      const std::int64_t span = x.side + 2 * std::int64_t{op.pad} - op.k;
      if (span < 0) throw Error(where, "input of " + std::to_string(input_size) + " px is too small");
      out = span / op.stride + 1;
      if (out > kMaxSide) fail("output side " + std::to_string(out) + " is over " + std::to_string(kMaxSide));
    }
    if (has_params) {
      const std::int64_t want_cin = op.kind == PlainOp::Kind::Conv ? x.channels : x.side * x.side * x.channels;
      if (op.cin != want_cin)
        fail("cin is " + std::to_string(op.cin) + " but its input (buffer " + std::to_string(op.in) + ", " + x.str() +
             ") gives " + std::to_string(want_cin));
      if (op.cout < 1) fail("cout is " + std::to_string(op.cout));
      const std::size_t taps = op.kind == PlainOp::Kind::Conv ? static_cast<std::size_t>(op.k) * op.k : 1;
      std::size_t wsize = 0;
      const std::size_t count = params.size();
      if (__builtin_mul_overflow(taps * static_cast<std::size_t>(op.cin), static_cast<std::size_t>(op.cout), &wsize) ||
          wsize > count || op.weight > count - wsize || static_cast<std::size_t>(op.cout) > count ||
          op.bias > count - static_cast<std::size_t>(op.cout))
        fail("weights or bias reach past the " + std::to_string(count) + " parameters");
    }
    Shape y;
    switch (op.kind) {
      case PlainOp::Kind::Conv:
        y = {out, op.cout};
        break;
      case PlainOp::Kind::MaxPool:
        y = {out, x.channels};
        break;
      case PlainOp::Kind::AvgPool:
        if (op.pad != 0) fail("pads (average pools do not)");
        if (op.cout < x.channels || op.cout > kMaxSide * 16)
          fail(std::to_string(op.cout) + " output channels for an input of " + std::to_string(x.channels));
        y = {out, op.cout};
        break;
      case PlainOp::Kind::GlobalAvgPool:
        y = {1, x.channels};
        break;
      case PlainOp::Kind::Linear:
        y = {1, op.cout};
        break;
    }
    if (op.kind == PlainOp::Kind::Conv && op.residual >= 0) {
      const Shape r = shape[static_cast<std::size_t>(op.residual)];
      if (r.side == 0) fail("adds buffer " + std::to_string(op.residual) + ", which no earlier op writes");
      // A residual may be larger (the output is zero-padded to it), never smaller.
      if (r.channels != y.channels || r.side < y.side)
        fail("adds a " + r.str() + " residual to its " + y.str() + " output");
      y = r;
    }
    op.taps.clear();
    if (op.kind == PlainOp::Kind::Conv) {
      const int in = static_cast<int>(x.side), side = static_cast<int>(out);
      // A tap row ky is live when some output row reads a real input row through it (same for columns).
      std::vector<bool> live(static_cast<std::size_t>(op.k), false);
      for (int t = 0; t < op.k; ++t)
        for (int o = 0; o < side && !live[t]; ++o)
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
    }
    shape[static_cast<std::size_t>(op.out)] = y;
  }
  const Shape last = shape[static_cast<std::size_t>(ops.back().out)];
  if (last != Shape{1, classes})
    throw Error(where, "the last op gives " + last.str() + ", not the " + std::to_string(classes) + " class logits");
}

void PlainNet::logits(const std::uint8_t* crops, std::int64_t n, float* out, int threads) const {
  const std::int64_t per_thread = (n + std::max(1, threads) - 1) / std::max(1, threads);
  const int chunk = static_cast<int>(std::clamp<std::int64_t>(per_thread, 1, kPlainMaxChunk));
  const std::int64_t chunks = (n + chunk - 1) / chunk;
  const std::size_t crop_bytes = static_cast<std::size_t>(input_size) * input_size * 3;
  parallel_for(chunks, threads, [&](std::int64_t c) {
    const std::int64_t first = c * chunk;
    const int m = static_cast<int>(std::min<std::int64_t>(chunk, n - first));
    logits_chunk(crops + first * crop_bytes, m, out + first * classes);
  });
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
  const std::size_t body = bytes.size() - 12 - len;  // the parameter block
  PlainNet net;
  try {
    auto h = json::parse(bytes.substr(12, len));
    net.input_size = h.at("input_size");
    net.classes = h.at("classes");
    net.mean = h.at("mean");
    net.inv_scale = h.at("inv_scale");
    net.buffers = h.at("buffers");
    const std::size_t count = h.at("params");
    if (count > body / sizeof(float) || count * sizeof(float) != body)
      throw Error(source, "parameter block is " + std::to_string(body) + " bytes, header says " +
                              std::to_string(count) + " floats");
    net.params.resize(count);
    if (count) std::memcpy(net.params.data(), bytes.data() + 12 + len, count * sizeof(float));
    for (const auto& o : h.at("ops")) {
      PlainOp op;
      op.kind = kind_of(o.at("op"), source);
      op.in = o.at("in"), op.out = o.at("out"), op.residual = o.at("residual");
      op.cin = o.at("cin"), op.cout = o.at("cout"), op.k = o.at("k"), op.stride = o.at("stride"), op.pad = o.at("pad");
      op.relu = o.at("relu");
      op.weight = o.at("weight"), op.bias = o.at("bias");
      net.ops.push_back(op);
    }
  } catch (const json::exception& e) {
    throw Error(source, std::string("bad header: ") + e.what());
  }
  if (net.ops.empty() || net.input_size <= 0 || net.classes <= 0) throw Error(source, "empty network");
  try {
    net.plan();  // checks every op against the shapes and the parameters
  } catch (const Error& e) {
    throw Error(source, e.reason());
  }
  return net;
}

std::string plain_engine_cpu_features() {
  std::string features;
#ifdef __AVX512F__
  features += " avx512f";
#endif
#ifdef __AVX2__
  features += " avx2";
#endif
#ifdef __FMA__
  features += " fma";
#endif
  return features.empty() ? "baseline x86-64" : features.substr(1);
}

}  // namespace mw
