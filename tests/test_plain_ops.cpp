// The plain engine's operators (infer/plain_ops.h, infer/fast_conv.h) against
// their naive references (infer/reference_ops.h) on seeded random inputs, over
// a grid of kernels, strides, paddings, map sizes (down to 1x1, where most
// taps see only padding), channel counts, batch sizes, residuals and ReLUs,
// the convolution in each precision; then whole hand-built networks against a
// reference forward, over batch sizes that cross kPlainMaxChunk and thread
// counts, in each precision.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/rng.h"
#include "fixture.h"
#include "infer/fast_conv.h"
#include "infer/plain_net.h"
#include "infer/plain_ops.h"
#include "infer/reference_ops.h"
#include "maskwatch.h"

using namespace mw;

namespace {

// A result passes when max |fast - reference| <= tolerance * (1 + max |reference|):
// 1e-4 in fp32; bfloat16 keeps 8 significant bits, int8 inputs 7 or 8 bits
// and weights 7 bits a channel.
constexpr double kRelTolerance = 1e-4;
double tolerance(Precision p) { return p == Precision::fp32 ? kRelTolerance : p == Precision::bf16 ? 2e-2 : 3e-2; }
// The precisions this CPU runs in hardware; the others are not tested here.
std::vector<Precision> native_precisions() {
  std::vector<Precision> out;
  for (auto p : {Precision::fp32, Precision::bf16, Precision::int8})
    if (cpu_runs_natively(p)) out.push_back(p);
  return out;
}
constexpr std::uint64_t kSeed = 20240611;

// One entry of the table: an op's name, the case, and a run giving {fast, reference}.
struct OpCase {
  std::string op, name;
  std::function<std::pair<Activation, Activation>(Rng&)> run;
  double tolerance = kRelTolerance;
};

std::string shape_str(const Activation& a) {
  return std::to_string(a.n) + "x" + std::to_string(a.h) + "x" + std::to_string(a.w) + "x" + std::to_string(a.c);
}

::testing::AssertionResult close(const std::string& what, const Activation& fast, const Activation& ref,
                                 double tol = kRelTolerance) {
  if (fast.n != ref.n || fast.h != ref.h || fast.w != ref.w || fast.c != ref.c || fast.size() != ref.size())
    return ::testing::AssertionFailure() << what << ": shape " << shape_str(fast) << ", reference " << shape_str(ref);
  double worst = 0, largest = 0;
  std::size_t at = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    largest = std::max(largest, std::abs(double{ref.data[i]}));
    const double diff = std::abs(double{fast.data[i]} - ref.data[i]);
    if (std::isnan(diff) || diff > worst) worst = diff, at = i;  // a NaN stays the worst
  }
  if (worst <= tol * (1 + largest)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": max |diff| " << worst << " at element " << at << " (fast "
                                       << fast.data[at] << ", reference " << ref.data[at] << "), allowed "
                                       << tol * (1 + largest);
}

void run_table(const std::vector<OpCase>& table) {
  ASSERT_FALSE(table.empty());
  for (std::size_t i = 0; i < table.size(); ++i) {
    Rng rng = Rng::derive(kSeed, i);
    const auto [fast, ref] = table[i].run(rng);
    EXPECT_TRUE(close(table[i].op + " [" + table[i].name + "]", fast, ref, table[i].tolerance));
  }
}

void fill(std::vector<float>& v, Rng& rng, double scale) {
  for (auto& x : v) x = static_cast<float>(rng.uniform(-scale, scale));
}

Activation random_activation(int n, int h, int w, int c, Rng& rng) {
  Activation a;
  a.shape(n, h, w, c);
  fill(a.data, rng, 1.0);
  return a;
}

std::vector<float> random_params(std::size_t count, int fan_in, Rng& rng) {
  std::vector<float> v(count);
  fill(v, rng, std::sqrt(3.0 / fan_in));
  return v;
}

struct Side {
  int h, w;
};
// Odd and even, square and not, down to 1x1 maps where most taps see only padding.
const std::vector<Side> kSides = {{1, 1}, {2, 2}, {1, 5}, {5, 5}, {6, 7}, {8, 8}};
struct Channels {
  int cin, cout;
};
const std::vector<Channels> kChannels = {{3, 5}, {13, 19}, {9, 1}};
const std::vector<int> kKernels = {1, 3, 7};
const std::vector<int> kStrides = {1, 2};
const std::vector<int> kPads = {0, 1, 3};
const std::vector<int> kBatches = {1, 3};

bool fits(const Side& s, int k, int pad) { return s.h + 2 * pad >= k && s.w + 2 * pad >= k; }

std::string geometry(int k, int stride, int pad, const Side& s, int c) {
  return "k" + std::to_string(k) + " s" + std::to_string(stride) + " p" + std::to_string(pad) + " in " +
         std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(c);
}

// The residual's extra rows and columns over the convolution's output; a
// larger one is the zero-padded case of face-resnet's stride-2 'valid' blocks.
struct Residual {
  bool on;
  int extra_h, extra_w;
};
const std::vector<Residual> kResiduals = {{false, 0, 0}, {true, 0, 0}, {true, 1, 1}, {true, 2, 1}};

struct ConvCase {
  int k, stride, pad, n;
  Side side;
  Channels ch;
  Residual residual;
  PlainOp::Act act;
  Precision precision;
  bool in_unsigned;  // int8: the input is >= 0 (as after a ReLU) and quantized unsigned
  int pad_end = -1;  // TensorFlow's "SAME": one more row and column at the bottom and right
  int groups = 1;    // depthwise: groups = cin = cout
  std::string name() const {
    std::string s = std::string(precision_name(precision)) + " " + geometry(k, stride, pad, side, ch.cin) + " -> " +
                    std::to_string(ch.cout) + " n" + std::to_string(n);
    if (groups > 1) s += " depthwise";
    if (pad_end >= 0) s += " pad_end " + std::to_string(pad_end);
    if (residual.on) s += " residual+" + std::to_string(residual.extra_h) + "x" + std::to_string(residual.extra_w);
    if (in_unsigned) s += " unsigned input";
    return s + " " + act_name(act);
  }
};

std::pair<Activation, Activation> run_conv(const ConvCase& c, Rng& rng) {
  PlainOp op;
  op.kind = PlainOp::Kind::Conv;
  op.cin = c.ch.cin, op.cout = c.ch.cout, op.k = c.k, op.stride = c.stride, op.pad = c.pad, op.act = c.act;
  op.pad_end = c.pad_end, op.groups = c.groups;
  Activation x = random_activation(c.n, c.side.h, c.side.w, c.ch.cin, rng);
  if (c.in_unsigned)
    for (auto& v : x.data) v = std::abs(v);
  const int cin_g = c.ch.cin / c.groups;
  const auto weights = random_params(static_cast<std::size_t>(c.k) * c.k * cin_g * c.ch.cout, c.k * c.k * cin_g, rng);
  const auto bias = random_params(static_cast<std::size_t>(c.ch.cout), 1, rng);
  const int ho = plain_out_side(x.h, op), wo = plain_out_side(x.w, op);
  const Activation r =
      random_activation(c.n, ho + c.residual.extra_h, wo + c.residual.extra_w, c.residual.on ? c.ch.cout : 0, rng);
  float largest = 0.f;  // int8's calibration: the input's largest magnitude
  for (float v : x.data) largest = std::max(largest, std::abs(v));
  const float in_scale = int8_input_scale(largest, c.in_unsigned);
  const FastConv conv(op, c.side.h, weights.data(), bias.data(), c.precision, in_scale, c.in_unsigned);
  Activation fast;
  conv.run(x, c.residual.on ? &r : nullptr, fast);
  Activation ref =
      reference::conv2d(x, weights.data(), bias.data(), op.cout, op.k, op.stride, op.pad, op.pad_end, op.groups);
  if (c.residual.on) ref = reference::add_residual(ref, r);
  return {fast, reference::activate(ref, c.act, op.act_scale)};
}

// Every geometry in fp32; bf16 and int8 (whose kernels are built per shape,
// which costs time) on every kLowPrecisionStride-th one.
constexpr int kLowPrecisionStride = 5;

std::vector<OpCase> conv_cases() {
  std::vector<OpCase> table;
  int geometry_index = 0;
  for (int k : kKernels)
    for (int pad : kPads)
      for (int stride : kStrides)
        for (const auto& side : kSides)
          for (const auto& ch : kChannels)
            for (const auto& residual : kResiduals)
              for (auto act : {PlainOp::Act::none, PlainOp::Act::relu}) {
                if (pad >= k || !fits(side, k, pad)) continue;
                const bool low_too = geometry_index++ % kLowPrecisionStride == 0;
                for (Precision p : native_precisions()) {
                  if (p != Precision::fp32 && !low_too) continue;
                  const int n = kBatches[table.size() % kBatches.size()];
                  const bool in_unsigned = p == Precision::int8 && table.size() % 2 == 1;
                  const ConvCase c{k, stride, pad, n, side, ch, residual, act, p, in_unsigned};
                  table.push_back({"conv", c.name(), [c](Rng& rng) { return run_conv(c, rng); }, tolerance(p)});
                }
              }
  return table;
}

// TensorFlow's "SAME" padding: stride 2 on an even side pads one less at the
// top and left than at the bottom and right (7x7 stride 4 on 16 px: 1 and 2).
std::vector<OpCase> same_padding_conv_cases() {
  struct Geometry {
    int k, stride, pad, pad_end;
    Side side;
  };
  const std::vector<Geometry> geometries = {
      {3, 2, 0, 1, {8, 8}}, {7, 4, 1, 2, {16, 16}}, {5, 2, 1, 2, {8, 6}}, {3, 2, 1, 0, {5, 5}}};
  std::vector<OpCase> table;
  for (const auto& g : geometries)
    for (Precision p : native_precisions())
      for (auto act : {PlainOp::Act::none, PlainOp::Act::relu}) {
        const ConvCase c{g.k, g.stride, g.pad, 2, g.side, {13, 19}, {false, 0, 0}, act, p, false, g.pad_end};
        table.push_back({"conv", c.name(), [c](Rng& rng) { return run_conv(c, rng); }, tolerance(p)});
      }
  return table;
}

const PlainOp::Act kActs[] = {PlainOp::Act::none,       PlainOp::Act::relu,         PlainOp::Act::relu6,
                              PlainOp::Act::hard_swish, PlainOp::Act::hard_sigmoid, PlainOp::Act::sigmoid};

// Depthwise convolutions as MobileNetV3 has them (3x3 and 5x5, stride 1 and 2,
// "SAME" padding), with every activation, a residual, in each precision; and
// dense ones with the activations that are not fused into oneDNN's kernel.
std::vector<OpCase> depthwise_and_activation_conv_cases() {
  struct Geometry {
    int k, stride, pad, pad_end;
    Side side;
  };
  const std::vector<Geometry> geometries = {
      {3, 1, 1, 1, {8, 8}}, {3, 2, 0, 1, {8, 8}}, {5, 1, 2, 2, {6, 7}}, {5, 2, 1, 2, {8, 6}}, {3, 2, 1, 1, {1, 1}}};
  std::vector<OpCase> table;
  for (const auto& g : geometries)
    for (int channels : {8, 19})
      for (auto act : kActs)
        for (Precision p : native_precisions()) {
          const bool residual = g.stride == 1 && act == PlainOp::Act::none;
          const ConvCase c{g.k, g.stride, g.pad, 3,         g.side,  {channels, channels}, {residual, 0, 0},
                           act, p,        false, g.pad_end, channels};
          table.push_back({"conv", c.name(), [c](Rng& rng) { return run_conv(c, rng); }, tolerance(p)});
        }
  for (auto act : kActs)
    for (Precision p : native_precisions()) {
      const ConvCase c{1, 1, 0, 2, {5, 5}, {13, 19}, {true, 0, 0}, act, p, false};
      table.push_back({"conv", c.name(), [c](Rng& rng) { return run_conv(c, rng); }, tolerance(p)});
    }
  return table;
}

// A map with values spread over [-8, 8], across every activation's bends.
Activation spread_activation(int n, int h, int w, int c, Rng& rng) {
  Activation a = random_activation(n, h, w, c, rng);
  for (auto& v : a.data) v *= 8.f;
  return a;
}

std::vector<OpCase> activation_cases() {
  std::vector<OpCase> table;
  for (auto act : kActs)
    for (float scale : {1.f / 6.f, 0.16662598f}) {
      auto run = [act, scale](Rng& rng) {
        Activation x = spread_activation(2, 5, 6, 13, rng);
        const Activation ref = reference::activate(x, act, scale);
        plain_activate(act, scale, x);
        return std::make_pair(x, ref);
      };
      table.push_back({"activate", std::string(act_name(act)) + " scale " + std::to_string(scale), run});
    }
  return table;
}

std::vector<OpCase> add_mul_upsample_cases() {
  std::vector<OpCase> table;
  for (const auto& side : kSides)
    for (int n : kBatches) {
      const std::string name = geometry(1, 1, 0, side, 13) + " n" + std::to_string(n);
      table.push_back({"add", name, [side, n](Rng& rng) {
                         const Activation a = random_activation(n, side.h, side.w, 13, rng),
                                          b = random_activation(n, side.h, side.w, 13, rng);
                         Activation fast;
                         plain_add(a, b, fast);
                         return std::make_pair(fast, reference::add(a, b));
                       }});
      table.push_back({"mul", name, [side, n](Rng& rng) {
                         const Activation x = random_activation(n, side.h, side.w, 13, rng),
                                          gate = random_activation(n, 1, 1, 13, rng);
                         Activation fast;
                         plain_mul_channels(x, gate, fast);
                         return std::make_pair(fast, reference::mul_channels(x, gate));
                       }});
      table.push_back({"upsample", name, [side, n](Rng& rng) {
                         const Activation x = random_activation(n, side.h, side.w, 13, rng);
                         Activation fast;
                         plain_upsample2x(x, fast);
                         return std::make_pair(fast, reference::upsample2x(x));
                       }});
    }
  return table;
}

std::vector<OpCase> concat_cases() {
  std::vector<OpCase> table;
  for (const auto& side : kSides)
    for (int n : kBatches) {
      auto run = [side, n](Rng& rng) {
        const Activation a = random_activation(n, side.h, side.w, 3, rng),
                         b = random_activation(n, side.h, side.w, 1, rng),
                         c = random_activation(n, side.h, side.w, 13, rng);
        Activation fast;
        plain_concat({&a, &b, &c}, fast);
        return std::make_pair(fast, reference::concat({&a, &b, &c}));
      };
      table.push_back({"concat", geometry(1, 1, 0, side, 3) + " + 1 + 13 channels n" + std::to_string(n), run});
    }
  return table;
}

std::vector<OpCase> maxpool_cases() {
  std::vector<OpCase> table;
  for (int k : {1, 2, 3, 7})
    for (int pad : kPads)
      for (int stride : kStrides)
        for (const auto& side : kSides)
          for (int c : {3, 13})
            for (int n : kBatches) {
              if (pad >= k || !fits(side, k, pad)) continue;
              PlainOp op;
              op.kind = PlainOp::Kind::MaxPool;
              op.k = k, op.stride = stride, op.pad = pad;
              auto run = [op, side, c, n](Rng& rng) {
                const Activation x = random_activation(n, side.h, side.w, c, rng);
                Activation fast;
                plain_maxpool(op, x, fast);
                return std::make_pair(fast, reference::max_pool(x, op.k, op.stride, op.pad));
              };
              table.push_back({"maxpool", geometry(k, stride, pad, side, c) + " n" + std::to_string(n), run});
            }
  for (const auto& side : kSides) {  // "SAME": 3x3 stride 2 pads only at the bottom and right of an even side
    if (side.h + 1 < 3 || side.w + 1 < 3) continue;
    PlainOp op;
    op.kind = PlainOp::Kind::MaxPool;
    op.k = 3, op.stride = 2, op.pad = 0, op.pad_end = 1;
    auto run = [op, side](Rng& rng) {
      const Activation x = random_activation(2, side.h, side.w, 13, rng);
      Activation fast;
      plain_maxpool(op, x, fast);
      return std::make_pair(fast, reference::max_pool(x, op.k, op.stride, op.pad, op.pad_end));
    };
    table.push_back({"maxpool", geometry(3, 2, 0, side, 13) + " pad_end 1", run});
  }
  return table;
}

std::vector<OpCase> avgpool_cases() {
  std::vector<OpCase> table;
  for (int k : {1, 2, 3})
    for (int stride : kStrides)
      for (const auto& side : kSides)
        for (int c : {3, 13})
          for (int extra : {0, 3})
            for (int n : kBatches) {
              if (!fits(side, k, 0)) continue;
              PlainOp op;
              op.kind = PlainOp::Kind::AvgPool;
              op.k = k, op.stride = stride, op.cin = c, op.cout = c + extra;
              auto run = [op, side, n](Rng& rng) {
                const Activation x = random_activation(n, side.h, side.w, op.cin, rng);
                Activation fast;
                plain_avgpool(op, x, fast);
                return std::make_pair(fast, reference::avg_pool(x, op.k, op.stride, op.cout));
              };
              table.push_back({"avgpool",
                               geometry(k, stride, 0, side, c) + " -> " + std::to_string(op.cout) + " channels n" +
                                   std::to_string(n),
                               run});
            }
  return table;
}

std::vector<OpCase> global_avgpool_cases() {
  std::vector<OpCase> table;
  for (const auto& side : kSides)
    for (int c : {1, 3, 13})
      for (int n : kBatches) {
        auto run = [side, c, n](Rng& rng) {
          const Activation x = random_activation(n, side.h, side.w, c, rng);
          Activation fast;
          plain_global_avgpool(x, fast);
          return std::make_pair(fast, reference::global_avg_pool(x));
        };
        table.push_back({"gap", geometry(1, 1, 0, side, c) + " n" + std::to_string(n), run});
      }
  return table;
}

std::vector<OpCase> linear_cases() {
  std::vector<OpCase> table;
  for (const auto& side : {Side{1, 1}, Side{2, 3}, Side{5, 5}})
    for (int c : {1, 13})
      for (int cout : {1, 3, 10})
        for (int n : {1, 5, 70}) {
          PlainOp op;
          op.kind = PlainOp::Kind::Linear;
          op.cin = side.h * side.w * c, op.cout = cout;
          auto run = [op, side, c, n](Rng& rng) {
            const Activation x = random_activation(n, side.h, side.w, c, rng);
            const auto weights = random_params(static_cast<std::size_t>(op.cin) * op.cout, op.cin, rng);
            const auto bias = random_params(static_cast<std::size_t>(op.cout), 1, rng);
            Activation fast;
            plain_linear(op, x, weights.data(), bias.data(), fast);
            return std::make_pair(fast, reference::linear(x, weights.data(), bias.data(), op.cout));
          };
          table.push_back({"linear",
                           "in " + std::to_string(side.h) + "x" + std::to_string(side.w) + "x" + std::to_string(c) +
                               " -> " + std::to_string(cout) + " n" + std::to_string(n),
                           run});
        }
  return table;
}

std::vector<std::uint8_t> random_crops(int n, int side, Rng& rng) {
  std::vector<std::uint8_t> crops(static_cast<std::size_t>(n) * side * side * 3);
  for (auto& v : crops) v = static_cast<std::uint8_t>(rng.below(256));
  return crops;
}

std::vector<OpCase> normalize_cases() {
  std::vector<OpCase> table;
  for (int side : {1, 5, 32})
    for (int n : {1, 3, 70}) {
      auto run = [side, n](Rng& rng) {
        const auto crops = random_crops(n, side, rng);
        std::array<float, 3> mean{}, inv_scale{};
        for (int c = 0; c < 3; ++c)
          mean[c] = static_cast<float>(rng.uniform(0, 255)), inv_scale[c] = static_cast<float>(rng.uniform(0.004, 0.1));
        Activation fast;
        plain_normalize(crops.data(), n, side, mean, inv_scale, fast);
        return std::make_pair(fast, reference::normalize(crops.data(), n, side, mean, inv_scale));
      };
      table.push_back({"normalize", std::to_string(side) + "x" + std::to_string(side) + " n" + std::to_string(n), run});
    }
  return table;
}

TEST(PlainOps, Conv) { run_table(conv_cases()); }
TEST(PlainOps, ConvWithSamePadding) { run_table(same_padding_conv_cases()); }
TEST(PlainOps, DepthwiseConvAndActivations) { run_table(depthwise_and_activation_conv_cases()); }
TEST(PlainOps, Activations) { run_table(activation_cases()); }
TEST(PlainOps, AddMulAndUpsample) { run_table(add_mul_upsample_cases()); }
TEST(PlainOps, Concat) { run_table(concat_cases()); }
TEST(PlainOps, MaxPool) { run_table(maxpool_cases()); }
TEST(PlainOps, AvgPoolWithZeroChannels) { run_table(avgpool_cases()); }
TEST(PlainOps, GlobalAvgPool) { run_table(global_avgpool_cases()); }
TEST(PlainOps, Linear) { run_table(linear_cases()); }
TEST(PlainOps, Normalize) { run_table(normalize_cases()); }

// ---- whole networks -----------------------------------------------------------

// Appends ops with random parameters, each writing a new buffer.
struct NetBuilder {
  PlainNet net;
  Rng rng;
  NetBuilder(int input_size, int classes, std::uint64_t seed) : rng(seed) {
    net.input_size = input_size;
    net.classes = classes;
    net.mean = {120.f, 115.f, 100.f};
    net.inv_scale = {1 / 60.f, 1 / 58.f, 1 / 62.f};
  }
  int add(PlainOp op, std::size_t weights, int fan_in) {
    op.out = net.buffers++;
    if (weights) {
      const auto w = random_params(weights, fan_in, rng), b = random_params(static_cast<std::size_t>(op.cout), 1, rng);
      op.weight = net.params.size();
      net.params.insert(net.params.end(), w.begin(), w.end());
      op.bias = net.params.size();
      net.params.insert(net.params.end(), b.begin(), b.end());
    }
    net.ops.push_back(op);
    return op.out;
  }
  int conv(int in, int cin, int cout, int k, int stride, int pad, bool relu, int residual = -1, int pad_end = -1) {
    return conv_act(in, cin, cout, k, stride, pad, relu ? PlainOp::Act::relu : PlainOp::Act::none, residual, pad_end);
  }
  int conv_act(int in, int cin, int cout, int k, int stride, int pad, PlainOp::Act act, int residual = -1,
               int pad_end = -1, int groups = 1) {
    PlainOp op;
    op.kind = PlainOp::Kind::Conv;
    op.in = in, op.cin = cin, op.cout = cout, op.k = k, op.stride = stride, op.pad = pad, op.act = act;
    op.residual = residual, op.pad_end = pad_end, op.groups = groups;
    const int cin_g = cin / groups;
    return add(op, static_cast<std::size_t>(k) * k * cin_g * cout, k * k * cin_g);
  }
  // The op of `kind` combining `in` with `other` (Add, Mul), or of `in` alone (Upsample).
  int combine(PlainOp::Kind kind, int in, int other = -1, PlainOp::Act act = PlainOp::Act::none) {
    PlainOp op;
    op.kind = kind, op.in = in, op.act = act;
    if (other >= 0) op.cat = {other};
    return add(op, 0, 1);
  }
  int pool(PlainOp::Kind kind, int in, int k, int stride, int pad, int cout = 0, int pad_end = -1) {
    PlainOp op;
    op.kind = kind, op.in = in, op.k = k, op.stride = stride, op.pad = pad, op.cout = cout, op.pad_end = pad_end;
    return add(op, 0, 1);
  }
  int concat(int in, std::vector<int> rest) {
    PlainOp op;
    op.kind = PlainOp::Kind::Concat, op.in = in, op.cat = std::move(rest);
    return add(op, 0, 1);
  }
  int linear(int in, int cin, int cout) {
    PlainOp op;
    op.kind = PlainOp::Kind::Linear, op.in = in, op.cin = cin, op.cout = cout;
    return add(op, static_cast<std::size_t>(cin) * cout, cin);
  }
};

// A ResNet in small: stem, max pool, a residual block, a strided convolution
// (on a 1x1 map at 7 px, where most taps see only padding), global average
// pool, linear.
PlainNet small_resnet(int input_size) {
  NetBuilder b(input_size, 3, kSeed + 1);
  const int stem = b.conv(0, 3, 5, 7, 2, 3, true);
  const int pooled = b.pool(PlainOp::Kind::MaxPool, stem, 3, 2, 1);
  const int mid = b.conv(pooled, 5, 5, 3, 1, 1, true);
  const int block = b.conv(mid, 5, 5, 3, 1, 1, true, pooled);
  const int down = b.conv(block, 5, 11, 3, 2, 1, true);
  const int gap = b.pool(PlainOp::Kind::GlobalAvgPool, down, 1, 1, 0);
  b.linear(gap, 11, 3);
  b.net.plan();
  return b.net;
}

// face-resnet in small: a 'valid' stride-2 block whose output is zero-padded to
// its shortcut (a 2x2 average pool with extra zero channels), then a linear
// layer over the whole map.
PlainNet small_face_resnet(int input_size) {
  NetBuilder b(input_size, 3, kSeed + 2);
  const int stem = b.conv(0, 3, 6, 3, 1, 0, true);
  const int shortcut = b.pool(PlainOp::Kind::AvgPool, stem, 2, 2, 0, 9);
  const int down = b.conv(stem, 6, 9, 3, 2, 0, true);
  const int block = b.conv(down, 9, 9, 3, 1, 1, true, shortcut);
  const int side = (input_size - 2) / 2;
  b.linear(block, side * side * 9, 3);
  b.net.plan();
  return b.net;
}

// A detector in small, with FaceBoxes' shapes: a stride-4 stem and a max pool
// with "SAME" padding, an inception-style concatenation of three paths, and
// two head maps read as outputs instead of logits.
PlainNet small_detector(int input_size) {
  NetBuilder b(input_size, 0, kSeed + 3);
  const int stem = b.conv(0, 3, 8, 7, 4, 1, true, -1, 2);
  const int pooled = b.pool(PlainOp::Kind::MaxPool, stem, 3, 2, 0, 0, 1);
  const int path1 = b.conv(pooled, 8, 4, 1, 1, 0, true);
  const int path2 = b.conv(b.pool(PlainOp::Kind::MaxPool, pooled, 3, 1, 1), 8, 4, 1, 1, 0, true);
  const int path3 = b.conv(pooled, 8, 5, 3, 1, 1, true);
  const int joined = b.concat(path1, {path2, path3});
  const int scores = b.conv(joined, 13, 2, 3, 1, 1, false);
  const int boxes = b.conv(joined, 13, 4, 3, 1, 1, false);
  b.net.outputs = {scores, boxes};
  b.net.plan();
  return b.net;
}

// A MobileNetV3-style detector in small, with CenterNet's parts: a stem with
// h-swish (the graph's float16 1/6), depthwise "SAME" convolutions with ReLU6,
// a squeeze-excitation gate (mean, ReLU, hard sigmoid, per-channel scale), a
// linear bottleneck's residual add, the decoder's TF1 upsampling added to a
// lateral, then a sigmoid heatmap and a box map read as outputs.
PlainNet small_mobile_detector(int input_size) {
  constexpr float kGraphSixth = 0.16662598f;
  using Act = PlainOp::Act;
  NetBuilder b(input_size, 0, kSeed + 4);
  const int stem = b.conv_act(0, 3, 8, 3, 2, 0, Act::hard_swish, -1, 1);
  b.net.ops.back().act_scale = kGraphSixth;
  const int dw = b.conv_act(stem, 8, 8, 3, 1, 1, Act::relu6, -1, 1, 8);
  const int squeezed = b.pool(PlainOp::Kind::GlobalAvgPool, dw, 1, 1, 0);
  const int reduced = b.conv_act(squeezed, 8, 4, 1, 1, 0, Act::relu);
  const int gate = b.conv_act(reduced, 4, 8, 1, 1, 0, Act::hard_sigmoid);
  const int excited = b.combine(PlainOp::Kind::Mul, dw, gate);
  const int project = b.conv_act(excited, 8, 8, 1, 1, 0, Act::none);
  const int block = b.combine(PlainOp::Kind::Add, project, stem);
  const int down = b.conv_act(block, 8, 8, 5, 2, 1, Act::hard_swish, -1, 2, 8);
  const int up = b.combine(PlainOp::Kind::Upsample, down);
  const int lateral = b.conv_act(block, 8, 8, 1, 1, 0, Act::relu);
  const int merged = b.combine(PlainOp::Kind::Add, up, lateral, Act::relu);
  const int heat = b.conv_act(merged, 8, 1, 3, 1, 1, Act::sigmoid);
  const int boxes = b.conv_act(merged, 8, 4, 3, 1, 1, Act::none);
  b.net.outputs = {heat, boxes};
  b.net.plan();
  return b.net;
}

::testing::AssertionResult same_logits(const PlainNet& net, const std::string& name, int n, int threads,
                                       const std::vector<std::uint8_t>& crops, const std::vector<float>& ref_all,
                                       double tol = kRelTolerance) {
  Activation fast, ref;
  fast.shape(n, 1, 1, net.classes);
  ref.shape(n, 1, 1, net.classes);
  std::copy(ref_all.begin(), ref_all.begin() + static_cast<std::ptrdiff_t>(n) * net.classes, ref.data.begin());
  net.logits(crops.data(), n, fast.data.data(), threads);
  return close("network " + name + " " + precision_name(net.precision()) + " n" + std::to_string(n) + " threads " +
                   std::to_string(threads),
               fast, ref, tol);
}

TEST(PlainOps, NetworkLogitsMatchReferenceForward) {
  constexpr int kMostCrops = 70;  // past kPlainMaxChunk
  static_assert(kMostCrops > kPlainMaxChunk);
  const std::vector<std::pair<std::string, PlainNet>> nets = {{"small-resnet 7px", small_resnet(7)},
                                                              {"small-resnet 16px", small_resnet(16)},
                                                              {"small-face-resnet 12px", small_face_resnet(12)},
                                                              {"small-face-resnet 13px", small_face_resnet(13)}};
  for (std::size_t i = 0; i < nets.size(); ++i) {
    const auto& [name, built] = nets[i];
    fixture::save_fuzz_seed("fuzz_plain_net", name, built.to_bytes());
    const PlainNet net = PlainNet::from_bytes(built.to_bytes(), name);  // the loaded path, planned again
    Rng rng = Rng::derive(kSeed, 1000 + i);
    const auto crops = random_crops(kMostCrops, net.input_size, rng);
    const auto ref = reference::logits(net, crops.data(), kMostCrops);
    for (int n : {1, 2, 5, kPlainMaxChunk - 1, kPlainMaxChunk, kPlainMaxChunk + 1, kMostCrops})
      for (int threads : {1, 2, 3}) EXPECT_TRUE(same_logits(net, name, n, threads, crops, ref));
  }
}

// bf16 and int8 over whole networks: the errors of each layer add up, so the
// bound is wider than one operator's. int8 is calibrated on other crops than
// those it is checked on, and the calibration survives the file.
TEST(PlainOps, LowPrecisionNetworksStayNearTheReference) {
  constexpr int kCrops = 40;
  for (const auto& [name, built] : {std::make_pair(std::string("small-resnet 16px"), small_resnet(16)),
                                    std::make_pair(std::string("small-face-resnet 13px"), small_face_resnet(13))}) {
    Rng rng = Rng::derive(kSeed, 2000);
    PlainNet net = built;
    EXPECT_FALSE(net.calibrated());
    EXPECT_THROW(net.set_precision(Precision::int8), Error);
    net.calibrate(random_crops(kCrops, net.input_size, rng).data(), kCrops);
    ASSERT_TRUE(net.calibrated());
    PlainNet loaded = PlainNet::from_bytes(net.to_bytes(), name);
    EXPECT_TRUE(loaded.calibrated());
    const auto crops = random_crops(kCrops, net.input_size, rng);
    const auto ref = reference::logits(net, crops.data(), kCrops);
    for (Precision p : native_precisions()) {
      loaded.set_precision(p);
      EXPECT_EQ(loaded.precision(), p);
      for (int threads : {1, 2}) EXPECT_TRUE(same_logits(loaded, name, kCrops, threads, crops, ref, 3 * tolerance(p)));
    }
  }
}

// A network read at its outputs (a detector's head maps) gives the reference's
// maps through the file, in every precision the CPU runs natively.
TEST(PlainOps, DetectorOutputsMatchReferenceForward) {
  constexpr int kImages = 3;
  for (const auto& [name, built_net] :
       {std::make_pair(std::string("small-detector"), small_detector(32)),
        std::make_pair(std::string("small-mobile-detector"), small_mobile_detector(16)),
        std::make_pair(std::string("small-mobile-detector"), small_mobile_detector(17))}) {
    PlainNet built = built_net;
    Rng rng = Rng::derive(kSeed, 3000);
    built.calibrate(random_crops(kImages, built.input_size, rng).data(), kImages);
    fixture::save_fuzz_seed("fuzz_plain_net", name + " " + std::to_string(built.input_size) + "px", built.to_bytes());
    PlainNet net = PlainNet::from_bytes(built.to_bytes(), name);
    ASSERT_EQ(net.outputs, built.outputs);
    const auto images = random_crops(kImages, net.input_size, rng);
    const auto ref = reference::forward(net, images.data(), kImages);
    for (Precision p : native_precisions()) {
      net.set_precision(p);
      const auto& fast = net.forward(images.data(), kImages);
      for (int o : net.outputs)
        EXPECT_TRUE(close(
            name + " " + std::to_string(net.input_size) + "px output " + std::to_string(o) + " " + precision_name(p),
            fast[static_cast<std::size_t>(o)], ref[static_cast<std::size_t>(o)], 3 * tolerance(p)));
    }
  }
}

// The file with one header value replaced (`pointer` as in RFC 6901, e.g. "/ops/0/k").
std::string with_header_value(const std::string& bytes, const std::string& pointer, const json& value) {
  constexpr std::size_t kPrefix = sizeof kPlainMagic + 4;  // magic, header length
  std::uint32_t len = 0;
  std::memcpy(&len, bytes.data() + sizeof kPlainMagic, 4);
  json header = json::parse(bytes.substr(kPrefix, len));
  header[json::json_pointer(pointer)] = value;
  const std::string text = header.dump();
  const auto new_len = static_cast<std::uint32_t>(text.size());
  std::string out(bytes.data(), sizeof kPlainMagic);
  out.append(reinterpret_cast<const char*>(&new_len), 4);
  return out + text + bytes.substr(kPrefix + len);
}

// Found by fuzz_plain_net: header numbers out of int's range (1e300, 1e10) were
// converted anyway (undefined behaviour), and -1 as an offset wrapped.
TEST(PlainOps, HeaderNumbersOutOfRangeAreRefusedByName) {
  const std::string good = small_resnet(7).to_bytes();
  EXPECT_NO_THROW(PlainNet::from_bytes(with_header_value(good, "/input_size", 7), "edited"));
  const std::vector<std::pair<std::string, json>> edits = {{"/input_size", 1e300},   {"/ops/0/k", 1e10},
                                                           {"/ops/0/k", 3.5},        {"/ops/0/weight", -1},
                                                           {"/classes", 4294967296}, {"/params", -2}};
  for (const auto& [pointer, value] : edits) {
    const std::string bytes = with_header_value(good, pointer, value);
    fixture::save_fuzz_seed("fuzz_plain_net", "out-of-range" + pointer, bytes);
    try {
      PlainNet::from_bytes(bytes, "edited");
      ADD_FAILURE() << pointer << " = " << value.dump() << " accepted";
    } catch (const Error& e) {
      const std::string field = pointer.substr(pointer.rfind('/') + 1);
      EXPECT_NE(std::string(e.what()).find("'" + field + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(PlainOps, CpuFeaturesNameWhatTheEngineWasBuiltFor) {
  const std::string f = plain_engine_cpu_features();
  EXPECT_EQ(f.find("avx2") != std::string::npos, kPlainOpsBuild.avx2) << f;
  EXPECT_EQ(f.find("fma") != std::string::npos, kPlainOpsBuild.fma) << f;
  EXPECT_EQ(f == "baseline x86-64", f.find("avx") == std::string::npos && !kPlainOpsBuild.fma) << f;
}

}  // namespace

// A precision oneDNN cannot run on this CPU at all (bf16 below AVX-512) is
// refused by name, not with oneDNN's own message.
TEST(PlainOps, PrecisionTheCpuCannotRunIsNamed) {
  if (fast_conv_isa().find("avx512") != std::string::npos)
    GTEST_SKIP() << "this CPU runs bf16 (" << fast_conv_isa() << ")";
  PlainOp op;
  op.kind = PlainOp::Kind::Conv;
  op.k = 3, op.stride = 1, op.pad = 1, op.cin = 4, op.cout = 8;
  const std::vector<float> weights(3 * 3 * 4 * 8, 0.1f), bias(8, 0.f);
  try {
    FastConv conv(op, 8, weights.data(), bias.data(), Precision::bf16);
    FAIL() << "bf16 was built on " << fast_conv_isa();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("precision bf16"), std::string::npos) << e.what();
  }
}
