#include "detect/centernet.h"

#include <algorithm>
#include <cmath>

#include "core/paths.h"
#include "core/rng.h"
#include "detect/graph_builder.h"
#include "infer/plain_ops.h"
#include "maskwatch.h"

namespace mw {

namespace {

using Act = PlainOp::Act;

constexpr float kGraphSixth = 0.1666259765625f;  // 1/6 as the graph's float16 stores it
constexpr int kBlocks = 15;
constexpr int kFirstHardSwishBlock = 6;  // blocks 0-5 use ReLU
constexpr int kStride2Blocks[] = {1, 3, 6, 12};

class CenterNetBuilder : public GraphBuilder {
 public:
  CenterNetBuilder(const std::map<std::string, TfjsTensor>& weights, int side)
      : GraphBuilder(weights, side, "centernet weights", "tower_0/") {
    net.mean = {0.f, 0.f, 0.f};  // the graph reads 0..255
    net.inv_scale = {1.f, 1.f, 1.f};
  }
  std::map<std::string, GraphMap> maps;  // by the graph node each reproduces

  GraphMap named(const GraphMap& m, const std::string& node) {
    maps[node] = m;
    return m;
  }

  // A convolution with the graph's 1/6 wherever its activation has one.
  GraphMap layer(const GraphMap& x, const std::string& filter, const std::string& bias, int stride, Act act,
                 bool depthwise = false, const GraphMap* residual = nullptr) {
    GraphMap y = conv(x, filter, bias, stride, act, depthwise, residual);
    net.ops.back().act_scale = kGraphSixth;
    return y;
  }

  // A separable convolution: depthwise without bias, then 1x1 with bias, no activation.
  GraphMap separable(const GraphMap& x, const std::string& scope, const std::string& pointwise, const std::string& bias,
                     const GraphMap* residual = nullptr) {
    const GraphMap d = layer(x, scope + "/depthwise_weights", "", 1, Act::none, true);
    return layer(d, scope + "/" + pointwise, scope + "/" + bias, 1, Act::none, false, residual);
  }

  // Squeeze-excitation: the mean, 1x1 + ReLU, 1x1 + gate, times the input.
  GraphMap excite(const GraphMap& x, const std::string& squeeze_w, const std::string& squeeze_b,
                  const std::string& excite_w, const std::string& excite_b, Act gate, const std::string& gate_node,
                  const std::string& out_node) {
    const GraphMap s = layer(global_mean(x), squeeze_w, squeeze_b, 1, Act::relu);
    const GraphMap g = named(layer(s, excite_w, excite_b, 1, gate), gate_node);
    return named(scale(x, g), out_node);
  }

  GraphMap block(const GraphMap& x, int i) {
    const std::string at = "MobilenetV3/expanded_conv" + (i ? "_" + std::to_string(i) : "");
    const Act act = i < kFirstHardSwishBlock ? Act::relu : Act::hard_swish;
    const std::string act_node = act == Act::relu ? "" : "/hard_swish/mul_1";
    int stride = 1;
    for (int s2 : kStride2Blocks) stride = s2 == i ? 2 : stride;
    GraphMap y = x;
    if (has(at + "/expand/Conv2D_weights"))
      y = named(layer(x, at + "/expand/Conv2D_weights", at + "/expand/Conv2D_bn_offset", 1, act),
                at + (act == Act::relu ? "/expand/Relu" : "/expand" + act_node));
    y = named(layer(y, at + "/depthwise/depthwise_weights", at + "/depthwise/depthwise_bn_offset", stride, act, true),
              at + "/depthwise" + (act == Act::relu ? "/depthwise" : act_node));
    const std::string se = at + "/squeeze_excite/";
    if (has(se + "Conv/weights"))
      y = excite(y, se + "Conv/weights", se + "Conv/biases", se + "Conv_1/weights", se + "Conv_1/biases",
                 Act::hard_sigmoid, se + "Conv_1/mul", se + "mul");
    const TfjsTensor& project = tensor(at + "/project/Conv2D_weights");
    const bool residual = stride == 1 && project.shape.at(3) == x.channels;
    const GraphMap out = layer(y, at + "/project/Conv2D_weights", at + "/project/Conv2D_bn_offset", 1, Act::none, false,
                               residual ? &x : nullptr);
    return named(out, at + (residual ? "/add" : "/project/BatchNorm/FusedBatchNorm"));
  }

  // A lateral from the backbone: 1x1 + ReLU, then a separable 5x5.
  GraphMap lateral(const GraphMap& x, const std::string& scope) {
    const GraphMap r = layer(x, scope + "/1x1/Conv2D_weights", scope + "/1x1/Conv2D_bn_offset", 1, Act::relu);
    return named(separable(r, scope + "/3x3", "separable_conv2d_weights", "separable_conv2d_bn_offset"),
                 scope + "/3x3/BatchNorm/FusedBatchNorm");
  }

  // One decoder step: two separable branches summed, x2, after the lateral, ReLU.
  GraphMap decode_step(const GraphMap& x, const std::string& scope, const GraphMap& side, const std::string& relu) {
    const auto branch = [&](const std::string& b, const GraphMap* residual) {
      return separable(x, scope + "/" + b + "_upsample_resize", "separable_conv2d_weights",
                       "separable_conv2d_bn_offset", residual);
    };
    const GraphMap bx = branch("branch_x", nullptr);
    const GraphMap sum = named(branch("branch_y", &bx), scope + "/add");
    return named(concat({side, upsample(sum)}, Act::relu), relu);
  }
};

}  // namespace

CenterNetGraph centernet_from_tfjs(const std::map<std::string, TfjsTensor>& weights, int side) {
  if (side <= 0 || side % kCenterNetStride != 0)
    throw Error("centernet", "canvas side " + std::to_string(side) + " is not a positive multiple of " +
                                 std::to_string(kCenterNetStride));
  CenterNetBuilder b(weights, side);
  GraphMap x = b.named(
      b.layer(b.input(), "MobilenetV3/Conv/Conv2D_weights", "MobilenetV3/Conv/Conv2D_bn_offset", 2, Act::hard_swish),
      "MobilenetV3/Conv/hard_swish/mul_1");
  for (int i = 0; i < kBlocks; ++i) x = b.block(x, i);
  const GraphMap top = b.named(b.layer(x, "extern1/Conv2D_weights", "extern1/Conv2D_bn_offset", 1, Act::hard_swish),
                               "extern1/hard_swish/mul_1");
  // The laterals read the expansions of blocks 3 and 5 (S/4, S/8) and block 11's output (S/16).
  const GraphMap c2 = b.lateral(b.maps.at("MobilenetV3/expanded_conv_3/expand/Relu"), "CenternetHead/c2_reverse");
  const GraphMap c3 = b.lateral(b.maps.at("MobilenetV3/expanded_conv_5/expand/Relu"), "CenternetHead/c3_reverse");
  const GraphMap c4 = b.lateral(b.maps.at("MobilenetV3/expanded_conv_11/add"), "CenternetHead/c4_reverse");
  GraphMap d = b.decode_step(top, "CenternetHead/c5_upsample", c4, "CenternetHead/Relu");
  d = b.decode_step(d, "CenternetHead/c4_upsample", c3, "CenternetHead/Relu_1");
  d = b.decode_step(d, "CenternetHead/c3_upsample", c2, "CenternetHead/Relu_2");
  d = b.excite(d, "CenternetHead/conv1x1_se_a/Conv2D_weights", "CenternetHead/conv1x1_se_a/Conv2D_bn_offset",
               "CenternetHead/conv1x1_se_b/weights", "", Act::sigmoid, "CenternetHead/Sigmoid", "CenternetHead/mul");
  for (const std::string head : {"centernet_cls_output", "centernet_wh_output"}) {
    const std::string at = "CenternetHead/" + head;
    b.net.outputs.push_back(b.named(b.separable(d, at, "pointwise_weights", "biases"), at + "/BiasAdd").buffer);
  }
  b.net.plan();
  CenterNetGraph g{std::move(b.net), {}};
  for (const auto& [node, m] : b.maps) g.nodes[node] = m.buffer;
  return g;
}

std::vector<CenterNetPeak> centernet_decode(const Activation& logits, const Activation& boxes, int b, int top_k,
                                            float min_score) {
  const int h = logits.h, w = logits.w, c = logits.c;
  std::vector<float> p(static_cast<std::size_t>(h) * w * c);
  const float* l = logits.data.data() + logits.index(b, 0, 0, 0);
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = 1.f / (1.f + std::exp(-l[i]));
  std::vector<std::size_t> peaks;  // flat (y * w + x) * c + class, as the graph's TopK reads them
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) {
        const std::size_t at = (static_cast<std::size_t>(y) * w + x) * c + k;
        if (p[at] < min_score) continue;
        bool peak = true;
        for (int dy = -1; dy <= 1 && peak; ++dy)
          for (int dx = -1; dx <= 1 && peak; ++dx) {
            const int yy = y + dy, xx = x + dx;
            if (yy >= 0 && yy < h && xx >= 0 && xx < w)
              peak = p[(static_cast<std::size_t>(yy) * w + xx) * c + k] <= p[at];
          }
        if (peak) peaks.push_back(at);
      }
  const auto better = [&](std::size_t a, std::size_t z) { return p[a] > p[z] || (p[a] == p[z] && a < z); };
  const std::size_t keep = std::min(peaks.size(), static_cast<std::size_t>(std::max(top_k, 0)));
  std::partial_sort(peaks.begin(), peaks.begin() + static_cast<std::ptrdiff_t>(keep), peaks.end(), better);
  std::vector<CenterNetPeak> out;
  for (std::size_t i = 0; i < keep; ++i) {
    const std::size_t at = peaks[i];
    const int k = static_cast<int>(at % c), cell = static_cast<int>(at / c), x = cell % w, y = cell / w;
    const float* d = boxes.data.data() + boxes.index(b, y, x, 0);
    const float cx = float(kCenterNetOutputStride * x), cy = float(kCenterNetOutputStride * y);
    out.push_back({p[at],
                   k,
                   {cx - kCenterNetBoxScale * d[0], cy - kCenterNetBoxScale * d[1], cx + kCenterNetBoxScale * d[2],
                    cy + kCenterNetBoxScale * d[3]}});
  }
  return out;
}

namespace {

const char* const kClassFilter = "CenternetHead/centernet_cls_output/pointwise_weights";
const char* const kClassBias = "CenternetHead/centernet_cls_output/biases";
const char* const kScope = "tower_0/";

// The key of `name` among the tensors ("" when there is none).
std::string key_in(const std::map<std::string, TfjsTensor>& w, const std::string& name) {
  const std::string* key = scoped_key(w, kScope, name);
  return key ? *key : "";
}

}  // namespace

bool is_centernet(const std::map<std::string, TfjsTensor>& weights) { return !key_in(weights, kClassFilter).empty(); }

int centernet_classes(const std::map<std::string, TfjsTensor>& weights) {
  const std::string key = key_in(weights, kClassFilter);
  if (key.empty()) throw Error("centernet weights", std::string("no tensor '") + kClassFilter + "'");
  const auto& shape = weights.at(key).shape;
  if (shape.size() != 4) throw Error("centernet weights", "'" + key + "' is not a [1][1][cin][classes] filter");
  return static_cast<int>(shape[3]);
}

std::map<std::string, TfjsTensor> centernet_face_head(std::map<std::string, TfjsTensor> weights, std::uint64_t seed) {
  const std::string filter = key_in(weights, kClassFilter), bias = key_in(weights, kClassBias);
  if (filter.empty() || bias.empty())
    throw Error("centernet weights", std::string("no class head ('") + kClassFilter + "', '" + kClassBias + "')");
  const int cin = static_cast<int>(weights.at(filter).shape.at(2));
  Rng rng(seed);
  TfjsTensor& f = weights.at(filter);
  f.shape = {1, 1, cin, 1};
  f.values.resize(static_cast<std::size_t>(cin));
  for (float& v : f.values) v = static_cast<float>(rng.uniform(-kFaceHeadInit, kFaceHeadInit));
  TfjsTensor& b = weights.at(bias);
  b.shape = {1};
  b.values = {-std::log((1 - kFaceHeadPrior) / kFaceHeadPrior)};
  return weights;
}

std::string centernet_dir() {
  return find_share_dir("share/maskwatch/human-models", kCenterNetGraph, "MASKWATCH_DETECTOR_DIR", "CenterNet weights");
}

std::map<std::string, TfjsTensor> load_centernet_weights(const std::string& dir) {
  return load_graph_weights(dir, kCenterNetGraph);
}

}  // namespace mw
