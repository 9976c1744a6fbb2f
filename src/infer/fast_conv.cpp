#include "infer/fast_conv.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <oneapi/dnnl/dnnl.hpp>
#include <tuple>
#include <vector>

#include "infer/plain_ops.h"
#include "maskwatch.h"

// OpenMP's thread count for the calling thread (libgomp, oneDNN's threading;
// declared here so that no compiler's OpenMP mode is needed for this file).
extern "C" void omp_set_num_threads(int);

namespace mw {

namespace {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;
constexpr int kChannelMask = 1 << 1;  // output scales per output channel (dimension 1 of n,c,h,w)
constexpr float kSignedSteps = 127.f, kUnsignedSteps = 255.f;
constexpr float kUnsaturatedWeightSteps = 63.f;  // weight_steps() without VNNI
constexpr float kSmallestRange = 1e-6f;

dnnl::engine& cpu() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& thread_stream() {
  thread_local dnnl::stream stream(cpu());
  return stream;
}

dt activation_type(Precision p, bool in_unsigned) {
  switch (p) {
    case Precision::fp32:
      return dt::f32;
    case Precision::bf16:
      return dt::bf16;
    case Precision::int8:
      return in_unsigned ? dt::u8 : dt::s8;
  }
  return dt::f32;
}

dt weight_type(Precision p) { return p == Precision::fp32 ? dt::f32 : p == Precision::bf16 ? dt::bf16 : dt::s8; }

memory::dims nchw(int n, int c, int h, int w) { return {n, c, h, w}; }

// The weights' dimensions, grouped (g, oc/g, ic/g, kh, kw) when the op has groups.
memory::dims weight_dims(const PlainOp& op) {
  if (op.groups == 1) return {op.cout, op.cin, op.k, op.k};
  return {op.groups, op.cout / op.groups, op.cin / op.groups, op.k, op.k};
}

// [k][k][cin / groups][cout] as oneDNN names it.
tag weight_tag(const PlainOp& op) { return op.groups == 1 ? tag::hwio : tag::hwigo; }

// Whether the primitive applies the op's activation itself (the others run after it).
bool fused(PlainOp::Act a) { return a == PlainOp::Act::relu || a == PlainOp::Act::relu6; }

// The steps a weight is quantized to each side of 0: 127 where the CPU has
// VNNI's one-step u8 x s8 dot product; 63 on AVX2 and AVX-512 without it,
// whose two-step one (vpmaddubsw) adds pairs of products in 16 bits, which
// 255 x 127 x 2 overflows and 255 x 63 x 2 does not (oneDNN's own
// weight scale adjustment on those CPUs).
float weight_steps() {
  const std::string isa = fast_conv_isa();
  const bool vnni = isa.find("vnni") != std::string::npos || isa == "avx512_core_bf16" || isa == "avx512_core_amx";
  return vnni ? kSignedSteps : kUnsaturatedWeightSteps;
}

// Weights [k][k][cin][cout] as signed 8-bit with one scale per output channel
// (its largest magnitude / weight_steps()). Returns the scales.
std::vector<float> quantize_weights(const PlainOp& op, const float* w, std::vector<std::int8_t>& q) {
  const std::size_t rows = static_cast<std::size_t>(op.k) * op.k * (op.cin / op.groups);
  std::vector<float> scale(static_cast<std::size_t>(op.cout), 0.f);
  for (std::size_t r = 0; r < rows; ++r)
    for (int o = 0; o < op.cout; ++o) scale[o] = std::max(scale[o], std::fabs(w[r * op.cout + o]));
  const float steps = weight_steps();
  for (auto& s : scale) s = s > 0.f ? s / steps : 1.f;
  q.resize(rows * op.cout);
  for (std::size_t r = 0; r < rows; ++r)
    for (int o = 0; o < op.cout; ++o)
      q[r * op.cout + o] = static_cast<std::int8_t>(std::lround(w[r * op.cout + o] / scale[o]));
  return scale;
}

}  // namespace

const char* precision_name(Precision p) {
  return p == Precision::fp32 ? "fp32" : p == Precision::bf16 ? "bf16" : "int8";
}

Precision parse_precision(const std::string& s, const std::string& where) {
  for (auto p : {Precision::fp32, Precision::bf16, Precision::int8})
    if (s == precision_name(p)) return p;
  throw Error(where, "unknown precision '" + s + "' (fp32, bf16 or int8)");
}

float int8_input_scale(float largest, bool in_unsigned) {
  return std::max(largest, kSmallestRange) / (in_unsigned ? kUnsignedSteps : kSignedSteps);
}

bool cpu_runs_natively(Precision p) {
  // What oneDNN dispatches to (the CPU's, or less under $ONEDNN_MAX_CPU_ISA).
  const std::string isa = fast_conv_isa();
  switch (p) {
    case Precision::fp32:
      return true;
    case Precision::bf16:
      return isa == "avx512_core_bf16" || isa == "avx512_core_amx";
    case Precision::int8:
      return isa.rfind("avx2", 0) == 0 || isa.rfind("avx512_core", 0) == 0;
  }
  return false;
}

Precision auto_precision(bool calibrated) {
  return calibrated && cpu_runs_natively(Precision::int8) ? Precision::int8 : Precision::fp32;
}

std::string fast_conv_isa() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx512_core_amx:
      return "avx512_core_amx";
    case dnnl::cpu_isa::avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core:
      return "avx512_core";
    case dnnl::cpu_isa::avx2_vnni:
      return "avx2_vnni";
    case dnnl::cpu_isa::avx2:
      return "avx2";
    default:
      return "sse41 or other";
  }
}

// What the primitive adds after the bias: the residual (already in the
// output) and the activation; the activation alone; or nothing, when the
// residual is larger than the output and is added afterwards, before the
// activation. Only ReLU and ReLU6 are fused; the others run after the primitive.
enum class Fuse { sum, act, none };

// One shape's primitive: the convolution, and the conversion of its input.
struct ConvShape {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward conv;
  memory weights;          // in the layout this shape's kernel wants (converted once when it differs)
  dnnl::reorder to_input;  // empty for fp32
  memory::desc input_md;
};

struct FastConv::Impl {
  PlainOp op;
  Precision precision;
  float in_scale;
  bool in_unsigned;
  memory::desc wei_md;  // the layout the weights were converted to
  memory weights, bias;
  std::vector<float> out_scales;  // int8: in_scale x each output channel's weight scale
  mutable std::mutex mutex;
  mutable std::map<std::tuple<int, int, int, Fuse>, std::shared_ptr<const ConvShape>> shapes;

  dnnl::convolution_forward::primitive_desc make_pd(int n, int h, int w, Fuse fuse, const memory::desc& wei) const {
    const int ho = plain_out_side(h, op), wo = plain_out_side(w, op);
    const memory::desc src(nchw(n, op.cin, h, w), activation_type(precision, in_unsigned), tag::nhwc);
    const memory::desc dst(nchw(n, op.cout, ho, wo), dt::f32, tag::nhwc);
    const memory::desc b({op.cout}, dt::f32, tag::x);
    const dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                            src, wei, b, dst, {op.stride, op.stride}, {op.pad, op.pad},
                                            {pad_after(op), pad_after(op)});
    dnnl::post_ops post;
    if (fuse == Fuse::sum) post.append_sum(1.f);
    if (op.act == PlainOp::Act::relu && fuse != Fuse::none)
      post.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    if (op.act == PlainOp::Act::relu6 && fuse != Fuse::none)
      post.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, 0.f, 6.f);
    dnnl::primitive_attr attr;
    attr.set_post_ops(post);
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // one per thread: run() may be called concurrently
    if (precision == Precision::int8) attr.set_output_scales(kChannelMask, out_scales);
    try {
      return {d, attr, cpu()};
    } catch (const dnnl::error&) {  // e.g. bf16 asked for on a CPU without AVX-512
      throw Error(std::string("precision ") + precision_name(precision),
                  "oneDNN has no convolution for it on this CPU (" + fast_conv_isa() +
                      "); use fp32 or auto (MASKWATCH_PRECISION)");
    }
  }

  std::shared_ptr<const ConvShape> shape(int n, int h, int w, Fuse fuse) const {
    std::lock_guard<std::mutex> lock(mutex);
    auto& s = shapes[{n, h, w, fuse}];
    if (s) return s;
    auto made = std::make_shared<ConvShape>();
    made->pd = make_pd(n, h, w, fuse, memory::desc(wei_md.dims(), wei_md.data_type(), tag::any));
    made->conv = dnnl::convolution_forward(made->pd);
    made->weights = weights;
    if (made->pd.weights_desc() != wei_md) {
      memory from = weights;  // a handle on the same data
      made->weights = memory(made->pd.weights_desc(), cpu());
      dnnl::reorder(from, made->weights).execute(thread_stream(), from, made->weights);
      thread_stream().wait();
    }
    made->input_md = made->pd.src_desc();
    if (precision != Precision::fp32) {
      const memory::desc from(nchw(n, op.cin, h, w), dt::f32, tag::nhwc);
      dnnl::primitive_attr attr;
      if (precision == Precision::int8) attr.set_output_scales(0, {1.f / in_scale});
      made->to_input = dnnl::reorder(dnnl::reorder::primitive_desc(cpu(), from, cpu(), made->input_md, attr));
    }
    s = made;
    return s;
  }
};

FastConv::FastConv(const PlainOp& op, int in_side, const float* w, const float* b, Precision precision, float in_scale,
                   bool in_unsigned)
    : impl_(std::make_unique<Impl>()) {
  auto& c = *impl_;
  c.op = op, c.precision = precision, c.in_scale = in_scale, c.in_unsigned = in_unsigned;
  if (precision == Precision::int8 && !(in_scale > 0.f && std::isfinite(in_scale)))
    throw Error("int8 convolution", "input scale " + std::to_string(in_scale) + " is not a positive number");
  omp_set_num_threads(1);
  const memory::dims wdims = weight_dims(op);
  std::vector<std::int8_t> quantized;
  memory user;
  if (precision == Precision::int8) {
    const auto wscale = quantize_weights(op, w, quantized);
    for (float s : wscale) c.out_scales.push_back(s * in_scale);
    user = memory({wdims, dt::s8, weight_tag(op)}, cpu(), quantized.data());
  } else {
    user = memory({wdims, dt::f32, weight_tag(op)}, cpu(), const_cast<float*>(w));
  }
  // The layout oneDNN picks for a full chunk of the op's input.
  const memory::desc any(wdims, weight_type(precision), tag::any);
  c.wei_md = c.make_pd(kPlainMaxChunk, in_side, in_side, Fuse::act, any).weights_desc();
  c.weights = memory(c.wei_md, cpu());
  dnnl::reorder(user, c.weights).execute(thread_stream(), user, c.weights);
  // int8 adds the bias to the integer sums, before the output scales.
  c.bias = memory({{op.cout}, dt::f32, tag::x}, cpu());
  auto* bias = static_cast<float*>(c.bias.get_data_handle());
  for (int o = 0; o < op.cout; ++o) bias[o] = precision == Precision::int8 ? b[o] / c.out_scales[o] : b[o];
  thread_stream().wait();
}

FastConv::~FastConv() = default;

Precision FastConv::precision() const { return impl_->precision; }

void FastConv::run(const Activation& x, const Activation* residual, Activation& y) const {
  // Each convolution runs on the calling thread alone: the engine's threads
  // share the images, not the layers (an OpenMP team per layer spins, and
  // spinning threads collapse throughput when another process holds a core).
  omp_set_num_threads(1);
  const auto& op = impl_->op;
  const int ho = plain_out_side(x.h, op), wo = plain_out_side(x.w, op);
  const bool padded = residual && (residual->h != ho || residual->w != wo);
  const bool sum = residual && !padded;
  const Fuse fuse = sum ? Fuse::sum : padded ? Fuse::none : Fuse::act;
  thread_local Activation small;  // the output before a padded residual
  Activation& out = padded ? small : y;
  if (sum) {
    y.shape(x.n, ho, wo, op.cout);
    std::memcpy(y.data.data(), residual->data.data(), sizeof(float) * y.size());
  } else {
    out.shape(x.n, ho, wo, op.cout);
  }
  const auto s = impl_->shape(x.n, x.h, x.w, fuse);
  auto& stream = thread_stream();
  memory src(s->input_md, cpu(), const_cast<float*>(x.data.data()));
  thread_local std::vector<std::uint8_t> converted;
  if (impl_->precision != Precision::fp32) {
    converted.resize(s->input_md.get_size());
    memory from({nchw(x.n, op.cin, x.h, x.w), dt::f32, tag::nhwc}, cpu(), const_cast<float*>(x.data.data()));
    src = memory(s->input_md, cpu(), converted.data());
    s->to_input.execute(stream, from, src);
  }
  memory dst(s->pd.dst_desc(), cpu(), out.data.data());
  thread_local std::vector<std::uint8_t> scratch;
  scratch.resize(s->pd.scratchpad_desc().get_size());
  const memory scratchpad(s->pd.scratchpad_desc(), cpu(), scratch.data());
  s->conv.execute(stream, {{DNNL_ARG_SRC, src},
                           {DNNL_ARG_WEIGHTS, s->weights},
                           {DNNL_ARG_BIAS, impl_->bias},
                           {DNNL_ARG_DST, dst},
                           {DNNL_ARG_SCRATCHPAD, scratchpad}});
  stream.wait();
  if (padded) plain_add_padded_residual(small, *residual, y);
  if (padded || !fused(op.act)) plain_activate(op.act, op.act_scale, y);
}

}  // namespace mw
