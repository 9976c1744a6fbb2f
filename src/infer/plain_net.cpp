#include "infer/plain_net.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "core/huge_pages.h"
#include "core/parallel.h"
#include "infer/fast_conv.h"
#include "infer/plain_ops.h"
#include "maskwatch.h"

namespace mw {

namespace {

constexpr unsigned kFlushDenormals = 0x8040;  // MXCSR flush-to-zero | denormals-are-zero

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
    case PlainOp::Kind::Concat:
      return "concat";
    case PlainOp::Kind::Add:
      return "add";
    case PlainOp::Kind::Mul:
      return "mul";
    case PlainOp::Kind::Upsample:
      return "upsample";
  }
  return "?";
}

constexpr PlainOp::Kind kKinds[] = {PlainOp::Kind::Conv,   PlainOp::Kind::MaxPool, PlainOp::Kind::GlobalAvgPool,
                                    PlainOp::Kind::Linear, PlainOp::Kind::AvgPool, PlainOp::Kind::Concat,
                                    PlainOp::Kind::Add,    PlainOp::Kind::Mul,     PlainOp::Kind::Upsample};
constexpr PlainOp::Act kActs[] = {PlainOp::Act::none,       PlainOp::Act::relu,         PlainOp::Act::relu6,
                                  PlainOp::Act::hard_swish, PlainOp::Act::hard_sigmoid, PlainOp::Act::sigmoid};

// A header number as an int or a size: a whole number in the type's range
// (converting 1e300 or -1 would be undefined or wrap).
template <class T>
T whole(const json& header, const char* field, const std::string& source) {
  const json& v = header.at(field);
  using Limits = std::numeric_limits<T>;
  bool fits = false;
  if (v.is_number_unsigned()) {
    fits = v.get<std::uint64_t>() <= std::uint64_t(Limits::max());
  } else if (v.is_number_integer() && std::is_signed_v<T>) {  // the parser keeps only negatives signed
    const auto i = v.get<std::int64_t>();
    fits = i >= std::int64_t(Limits::min()) && i <= std::int64_t(Limits::max());
  }
  if (!fits)
    throw Error(source, std::string("header field '") + field + "' is " + v.dump() + "; expected a whole number");
  return v.get<T>();
}

PlainOp::Kind kind_of(const std::string& s, const std::string& source) {
  for (auto k : kKinds)
    if (s == kind_name(k)) return k;
  throw Error(source, "unknown op '" + s + "'");
}

// An op's activation from its header: "act", or the older "relu": true/false.
PlainOp::Act act_of(const json& o, const std::string& source) {
  if (!o.contains("act")) return o.at("relu").get<bool>() ? PlainOp::Act::relu : PlainOp::Act::none;
  const std::string s = o.at("act");
  for (auto a : kActs)
    if (s == act_name(a)) return a;
  throw Error(source, "unknown activation '" + s + "'");
}

// The instruction sets the operators were compiled for must be there at run
// time: checked once, before the first network is loaded. This file is built
// for any x86-64, so the check itself runs everywhere.
void require_cpu_features() {
  if (!kPlainOpsBuild.avx2 && !kPlainOpsBuild.fma) return;
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!supported)
    throw Error("plain engine",
                "this build needs a CPU with AVX2 and FMA; rebuild with -DMASKWATCH_PLAIN_CPU_FLAGS=...");
}

// The largest magnitude in each buffer an op reads, when `seen` is given (calibration).
void run_op(const PlainNet& net, std::size_t i, std::vector<Activation>& act, std::vector<float>* seen) {
  const PlainOp& op = net.ops[i];
  const Activation& x = act[static_cast<std::size_t>(op.in)];
  Activation& y = act[static_cast<std::size_t>(op.out)];
  if (seen)
    for (std::size_t k = 0; k < x.size(); ++k) (*seen)[i] = std::max((*seen)[i], std::fabs(x.data[k]));
  switch (op.kind) {
    case PlainOp::Kind::Conv:
      net.convs[i]->run(x, op.residual >= 0 ? &act[static_cast<std::size_t>(op.residual)] : nullptr, y);
      break;
    case PlainOp::Kind::MaxPool:
      plain_maxpool(op, x, y);
      break;
    case PlainOp::Kind::AvgPool:
      plain_avgpool(op, x, y);
      break;
    case PlainOp::Kind::GlobalAvgPool:
      plain_global_avgpool(x, y);
      break;
    case PlainOp::Kind::Linear:
      plain_linear(op, x, net.params.data() + op.weight, net.params.data() + op.bias, y);
      break;
    case PlainOp::Kind::Concat: {
      std::vector<const Activation*> parts{&x};
      for (int c : op.cat) parts.push_back(&act[static_cast<std::size_t>(c)]);
      plain_concat(parts, y);
      break;
    }
    case PlainOp::Kind::Add:
      plain_add(x, act[static_cast<std::size_t>(op.cat[0])], y);
      break;
    case PlainOp::Kind::Mul:
      plain_mul_channels(x, act[static_cast<std::size_t>(op.cat[0])], y);
      break;
    case PlainOp::Kind::Upsample:
      plain_upsample2x(x, y);
      break;
  }
  if (op.kind != PlainOp::Kind::Conv) plain_activate(op.act, op.act_scale, y);  // a convolution applies its own
}

const std::vector<Activation>& run_all(const PlainNet& net, const std::uint8_t* images, int n,
                                       std::vector<float>* seen) {
  // Denormal activations (real faces through trained weights produce them) cost
  // ~100x per operation: flush them to zero on this thread.
  _mm_setcsr(_mm_getcsr() | kFlushDenormals);
  // Kept per thread between chunks: their pages are touched once, not once per chunk.
  thread_local std::vector<Activation> act;
  act.resize(static_cast<std::size_t>(net.buffers));
  plain_normalize(images, n, net.input_size, net.mean, net.inv_scale, act[0]);
  for (std::size_t i = 0; i < net.ops.size(); ++i) run_op(net, i, act, seen);
  return act;
}

void forward_chunk(const PlainNet& net, const std::uint8_t* crops, int n, float* out, std::vector<float>* seen) {
  const Activation& last = run_all(net, crops, n, seen)[net.ops.back().out];
  std::copy(last.data.begin(), last.data.begin() + static_cast<std::ptrdiff_t>(n) * net.classes, out);
}

// Which buffers hold only values >= 0 (written by an activation that gives
// none below 0, or pooled, resized or combined from such).
std::vector<bool> unsigned_buffers(const PlainNet& net) {
  std::vector<bool> nonneg(static_cast<std::size_t>(net.buffers), false);
  for (const auto& op : net.ops) {
    bool from_inputs = nonneg[static_cast<std::size_t>(op.in)];
    for (int c : op.cat) from_inputs = from_inputs && nonneg[static_cast<std::size_t>(c)];
    const bool keeps_sign = op.kind != PlainOp::Kind::Conv && op.kind != PlainOp::Kind::Linear;
    nonneg[static_cast<std::size_t>(op.out)] = non_negative(op.act) || (keeps_sign && from_inputs);
  }
  return nonneg;
}

}  // namespace

bool non_negative(PlainOp::Act a) {
  return a == PlainOp::Act::relu || a == PlainOp::Act::relu6 || a == PlainOp::Act::hard_sigmoid ||
         a == PlainOp::Act::sigmoid;
}

const char* act_name(PlainOp::Act a) {
  switch (a) {
    case PlainOp::Act::none:
      return "none";
    case PlainOp::Act::relu:
      return "relu";
    case PlainOp::Act::relu6:
      return "relu6";
    case PlainOp::Act::hard_swish:
      return "hard_swish";
    case PlainOp::Act::hard_sigmoid:
      return "hard_sigmoid";
    case PlainOp::Act::sigmoid:
      return "sigmoid";
  }
  return "?";
}

std::string plain_engine_cpu_features() { return kPlainOpsBuild.features; }

void PlainNet::logits_chunk(const std::uint8_t* crops, int n, float* out) const {
  // In pieces of a power of two: a convolution builds its kernel once per batch
  // size (tens of milliseconds for a network), so photos of 1 to 64 faces
  // build at most 7 of them instead of 64.
  const std::size_t crop_bytes = static_cast<std::size_t>(input_size) * input_size * 3;
  for (int done = 0; done < n;) {
    int piece = kPlainMaxChunk;
    while (piece > n - done) piece /= 2;
    forward_chunk(*this, crops + done * crop_bytes, piece, out + static_cast<std::ptrdiff_t>(done) * classes, nullptr);
    done += piece;
  }
}

const std::vector<Activation>& PlainNet::forward(const std::uint8_t* images, int n) const {
  return run_all(*this, images, n, nullptr);
}

void PlainNet::plan() {
  check();
  set_precision(Precision::fp32);
}

void PlainNet::check() {
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
  for (std::size_t i = 0; i < ops.size(); ++i) {
    auto& op = ops[i];
    const std::string name = "op " + std::to_string(i) + " (" + kind_name(op.kind) + ")";
    auto fail = [&](const std::string& why) { throw Error(where, name + ": " + why); };
    if (op.in < 0 || op.in >= buffers || op.out <= 0 || op.out >= buffers || op.residual < -1 || op.residual >= buffers)
      fail("refers outside the buffers");
    if (op.out == op.in || op.out == op.residual) fail("writes a buffer it reads");
    const bool combines =
        op.kind == PlainOp::Kind::Concat || op.kind == PlainOp::Kind::Add || op.kind == PlainOp::Kind::Mul;
    if (!combines && !op.cat.empty()) fail("lists buffers to combine");
    if ((op.kind == PlainOp::Kind::Add || op.kind == PlainOp::Kind::Mul) && op.cat.size() != 1)
      fail("combines " + std::to_string(op.cat.size()) + " buffers with its input, not 1");
    for (int c : op.cat)
      if (c < 0 || c >= buffers || c == op.out || shape[static_cast<std::size_t>(c)].side == 0)
        fail("combines buffer " + std::to_string(c) + ", which no earlier op writes");
    if (!(op.act_scale > 0.f && op.act_scale < 1.f)) fail("act_scale is not in (0, 1)");
    const Shape x = shape[static_cast<std::size_t>(op.in)];
    if (x.side == 0) fail("reads buffer " + std::to_string(op.in) + ", which no earlier op writes");
    const bool windowed =
        op.kind == PlainOp::Kind::Conv || op.kind == PlainOp::Kind::MaxPool || op.kind == PlainOp::Kind::AvgPool;
    const bool has_params = op.kind == PlainOp::Kind::Conv || op.kind == PlainOp::Kind::Linear;
    std::int64_t out = 1;
    if (windowed) {
      if (op.k < 1 || op.k > kMaxSide || op.stride < 1 || op.pad < 0 || op.pad >= op.k || op.pad_end < -1 ||
          op.pad_end >= op.k)
        fail("kernel " + std::to_string(op.k) + ", stride " + std::to_string(op.stride) + ", pad " +
             std::to_string(op.pad) + ", pad_end " + std::to_string(op.pad_end) +
             " (expected k >= 1, stride >= 1, 0 <= pad < k, -1 <= pad_end < k)");
      const std::int64_t span = x.side + std::int64_t{op.pad} + pad_after(op) - op.k;
      if (span < 0) throw Error(where, "input of " + std::to_string(input_size) + " px is too small");
      out = span / op.stride + 1;
      if (out > kMaxSide) fail("output side " + std::to_string(out) + " is over " + std::to_string(kMaxSide));
    }
    if (op.groups < 1 ||
        (op.groups != 1 && (op.kind != PlainOp::Kind::Conv || op.groups != op.cin || op.cout != op.cin)))
      fail(std::to_string(op.groups) + " groups (a convolution is dense, or depthwise: groups = cin = cout)");
    if (has_params) {
      const std::int64_t want_cin = op.kind == PlainOp::Kind::Conv ? x.channels : x.side * x.side * x.channels;
      if (op.cin != want_cin)
        fail("cin is " + std::to_string(op.cin) + " but its input (buffer " + std::to_string(op.in) + ", " + x.str() +
             ") gives " + std::to_string(want_cin));
      if (op.cout < 1) fail("cout is " + std::to_string(op.cout));
      const std::size_t taps = op.kind == PlainOp::Kind::Conv ? static_cast<std::size_t>(op.k) * op.k : 1;
      std::size_t wsize = 0;
      const std::size_t count = params.size();
      const auto per_group = static_cast<std::size_t>(op.cin / op.groups);
      if (__builtin_mul_overflow(taps * per_group, static_cast<std::size_t>(op.cout), &wsize) || wsize > count ||
          op.weight > count - wsize || static_cast<std::size_t>(op.cout) > count ||
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
      case PlainOp::Kind::Concat:
        y = x;
        for (int c : op.cat) {
          const Shape part = shape[static_cast<std::size_t>(c)];
          if (part.side != x.side) fail("concatenates maps of different sides");
          y.channels += part.channels;
        }
        break;
      case PlainOp::Kind::Add:
        if (shape[static_cast<std::size_t>(op.cat[0])] != x)
          fail("adds a " + shape[static_cast<std::size_t>(op.cat[0])].str() + " map to a " + x.str() + " one");
        y = x;
        break;
      case PlainOp::Kind::Mul:
        if (shape[static_cast<std::size_t>(op.cat[0])] != Shape{1, x.channels})
          fail("scales a " + x.str() + " map by a " + shape[static_cast<std::size_t>(op.cat[0])].str() + " one");
        y = x;
        break;
      case PlainOp::Kind::Upsample:
        if (2 * x.side > kMaxSide)
          fail("output side " + std::to_string(2 * x.side) + " is over " + std::to_string(kMaxSide));
        y = {2 * x.side, x.channels};
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
    op.in_side = static_cast<int>(x.side);
    shape[static_cast<std::size_t>(op.out)] = y;
  }
  for (int o : outputs)
    if (o <= 0 || o >= buffers || shape[static_cast<std::size_t>(o)].side == 0)
      throw Error(where, "output buffer " + std::to_string(o) + " is not written by any op");
  const Shape last = shape[static_cast<std::size_t>(ops.back().out)];
  if (outputs.empty() && last != Shape{1, classes})
    throw Error(where, "the last op gives " + last.str() + ", not the " + std::to_string(classes) + " class logits");
  const auto nonneg = unsigned_buffers(*this);
  for (auto& op : ops) op.in_unsigned = nonneg[static_cast<std::size_t>(op.in)];
}

void PlainNet::set_precision(Precision p) {
  if (p == Precision::int8 && !calibrated())
    throw Error("plain network", "int8 needs calibrated input scales, and this network has none");
  std::vector<std::shared_ptr<const FastConv>> made(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const auto& op = ops[i];
    if (op.kind == PlainOp::Kind::Conv)
      made[i] = std::make_shared<const FastConv>(op, op.in_side, params.data() + op.weight, params.data() + op.bias, p,
                                                 op.in_scale, op.in_unsigned);
  }
  convs = std::move(made);
}

Precision choose_precision(const PlainNet& net, std::string asked) {
  if (asked.empty()) asked = "auto";
  if (asked != "auto") {
    const Precision p = parse_precision(asked, "precision");
    if (p == Precision::int8 && !net.calibrated())
      throw Error("precision int8", "this model has no int8 calibration; run 'maskwatch models calibrate'");
    return p;
  }
  return auto_precision(net.calibrated());
}

Precision PlainNet::precision() const {
  for (const auto& c : convs)
    if (c) return c->precision();
  return Precision::fp32;
}

bool PlainNet::calibrated() const {
  return std::all_of(ops.begin(), ops.end(),
                     [](const PlainOp& op) { return op.kind != PlainOp::Kind::Conv || op.in_scale > 0.f; });
}

void PlainNet::calibrate(const std::uint8_t* crops, std::int64_t n) {
  const Precision was = precision();
  if (was != Precision::fp32) set_precision(Precision::fp32);
  std::vector<float> seen(ops.size(), 0.f), out(static_cast<std::size_t>(kPlainMaxChunk) * classes);
  const std::size_t crop_bytes = static_cast<std::size_t>(input_size) * input_size * 3;
  for (std::int64_t first = 0; first < n; first += kPlainMaxChunk) {
    const int m = static_cast<int>(std::min<std::int64_t>(kPlainMaxChunk, n - first));
    forward_chunk(*this, crops + first * crop_bytes, m, out.data(), &seen);
  }
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (ops[i].kind == PlainOp::Kind::Conv) ops[i].in_scale = int8_input_scale(seen[i], ops[i].in_unsigned);
  if (was != Precision::fp32) set_precision(was);  // fp32 convolutions do not use the scales
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
                        {"act", act_name(op.act)},
                        {"weight", op.weight},
                        {"bias", op.bias}});
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].pad_end >= 0) ops_json[i]["pad_end"] = ops[i].pad_end;
    if (!ops[i].cat.empty()) ops_json[i]["cat"] = ops[i].cat;
    if (ops[i].groups != 1) ops_json[i]["groups"] = ops[i].groups;
    if (ops[i].act_scale != 1.f / 6.f) ops_json[i]["act_scale"] = ops[i].act_scale;
  }
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (ops[i].in_scale > 0.f) ops_json[i]["in_scale"] = ops[i].in_scale;
  json header = {{"input_size", input_size}, {"classes", classes},      {"mean", mean},   {"inv_scale", inv_scale},
                 {"buffers", buffers},       {"params", params.size()}, {"ops", ops_json}};
  if (!outputs.empty()) header["outputs"] = outputs;
  const std::string h = header.dump();
  std::string bytes(kPlainMagic, sizeof kPlainMagic);
  const auto len = static_cast<std::uint32_t>(h.size());
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  bytes += h;
  bytes.append(reinterpret_cast<const char*>(params.data()), params.size() * sizeof(float));
  return bytes;
}

PlainNet PlainNet::from_bytes(const std::string& bytes, const std::string& source, const std::string& precision) {
  require_cpu_features();
  if (bytes.size() < 12 || std::memcmp(bytes.data(), kPlainMagic, sizeof kPlainMagic) != 0)
    throw Error(source, "not a plain network file (bad magic)");
  std::uint32_t len = 0;
  for (int i = 0; i < 4; ++i) len |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  if (12 + static_cast<std::size_t>(len) > bytes.size()) throw Error(source, "header runs past the end of the file");
  const std::size_t body = bytes.size() - 12 - len;  // the parameter block
  PlainNet net;
  try {
    auto h = json::parse(bytes.substr(12, len));
    net.input_size = whole<int>(h, "input_size", source);
    net.classes = whole<int>(h, "classes", source);
    net.mean = h.at("mean");
    net.inv_scale = h.at("inv_scale");
    net.buffers = whole<int>(h, "buffers", source);
    if (h.contains("outputs"))
      for (const auto& o : h.at("outputs")) net.outputs.push_back(whole<int>(json{{"outputs", o}}, "outputs", source));
    const auto count = whole<std::size_t>(h, "params", source);
    if (count > body / sizeof(float) || count * sizeof(float) != body)
      throw Error(source, "parameter block is " + std::to_string(body) + " bytes, header says " +
                              std::to_string(count) + " floats");
    net.params.reserve(count);
    advise_huge_pages(net.params.data(), count * sizeof(float));
    net.params.resize(count);
    if (count) std::memcpy(net.params.data(), bytes.data() + 12 + len, count * sizeof(float));
    for (const auto& o : h.at("ops")) {
      PlainOp op;
      op.kind = kind_of(o.at("op"), source);
      op.in = whole<int>(o, "in", source), op.out = whole<int>(o, "out", source);
      op.residual = whole<int>(o, "residual", source);
      op.cin = whole<int>(o, "cin", source), op.cout = whole<int>(o, "cout", source), op.k = whole<int>(o, "k", source);
      op.stride = whole<int>(o, "stride", source), op.pad = whole<int>(o, "pad", source);
      op.act = act_of(o, source);
      op.act_scale = o.value("act_scale", 1.f / 6.f);
      op.groups = o.contains("groups") ? whole<int>(o, "groups", source) : 1;
      op.weight = whole<std::size_t>(o, "weight", source), op.bias = whole<std::size_t>(o, "bias", source);
      op.pad_end = o.contains("pad_end") ? whole<int>(o, "pad_end", source) : -1;
      if (o.contains("cat"))
        for (const auto& c : o.at("cat")) op.cat.push_back(whole<int>(json{{"cat", c}}, "cat", source));
      op.in_scale = o.value("in_scale", 0.f);
      if (!(op.in_scale >= 0.f && std::isfinite(op.in_scale)))
        throw Error(source, "op " + std::to_string(net.ops.size()) + ": in_scale is not a finite number >= 0");
      net.ops.push_back(op);
    }
  } catch (const json::exception& e) {
    throw Error(source, std::string("bad header: ") + e.what());
  }
  if (net.ops.empty() || net.input_size <= 0 || net.classes < 0 || (net.classes == 0 && net.outputs.empty()))
    throw Error(source, "empty network");
  try {
    net.check();  // every op against the shapes and the parameters
  } catch (const Error& e) {
    throw Error(source, e.reason());
  }
  net.set_precision(choose_precision(net, precision));
  return net;
}

}  // namespace mw
