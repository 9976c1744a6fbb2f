#include "detect/faceboxes.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/paths.h"
#include "detect/graph_builder.h"
#include "infer/plain_ops.h"
#include "maskwatch.h"

namespace mw {

namespace {

// Box codes are scaled by these before the network sees them: (ty, tx, th, tw).
constexpr std::array<float, 4> kBoxCodeScale = {10.f, 10.f, 5.f, 5.f};
constexpr float kPixelMean = 127.5f;  // 2 * x / 255 - 1 = (x - 127.5) / 127.5
constexpr int kPoolSize = 3;

struct AnchorSpec {
  int size;     // canvas pixels
  int density;  // density x density anchors a cell
};
struct Scale {
  int stride;
  std::vector<AnchorSpec> anchors;
};
const std::vector<Scale> kScales = {{32, {{32, 4}, {64, 2}, {128, 1}}}, {64, {{256, 1}}}, {128, {{512, 1}}}};

int anchors_per_cell(const Scale& s) {
  int n = 0;
  for (const auto& a : s.anchors) n += a.density * a.density;
  return n;
}

// FaceBoxes' layers on the graph builder.
class FaceBoxesBuilder : public GraphBuilder {
 public:
  FaceBoxesBuilder(const std::map<std::string, TfjsTensor>& weights, int side)
      : GraphBuilder(weights, side, "faceboxes weights") {
    net.mean = {kPixelMean, kPixelMean, kPixelMean};
    net.inv_scale = {1 / kPixelMean, 1 / kPixelMean, 1 / kPixelMean};
  }

  // A convolution with its folded batch norm and a ReLU; crelu doubles the
  // output channels as [y, -y] before the ReLU (the weights [W, -W]).
  GraphMap layer(const GraphMap& x, const std::string& name, int stride, bool crelu = false) {
    const std::string w_name = name + "/Conv2D_weights", b_name = name + "/Conv2D_bn_offset";
    if (!crelu) return conv(x, w_name, b_name, stride, PlainOp::Act::relu);
    const TfjsTensor& w = tensor(w_name);
    if (w.shape.size() != 4 || w.shape[0] != w.shape[1] || w.shape[2] != x.channels)
      throw Error("faceboxes weights",
                  "'" + w_name + "' is not a square [k][k][" + std::to_string(x.channels) + "][cout] filter");
    const int k = static_cast<int>(w.shape[0]), cout = static_cast<int>(w.shape[3]);
    const TfjsTensor& b = tensor(b_name);
    if (b.numel() != cout) throw Error("faceboxes weights", "'" + b_name + "' does not have " + std::to_string(cout));
    std::vector<float> filter, bias(b.values);
    for (std::size_t tap = 0; tap < w.values.size(); tap += static_cast<std::size_t>(cout)) {
      filter.insert(filter.end(), w.values.begin() + tap, w.values.begin() + tap + cout);
      for (int o = 0; o < cout; ++o) filter.push_back(-w.values[tap + o]);
    }
    for (float v : b.values) bias.push_back(-v);
    return conv_values(x, k, 2 * cout, filter, bias, stride, PlainOp::Act::relu);
  }

  GraphMap inception(const GraphMap& x, const std::string& scope) {
    auto c = [&](const GraphMap& in, const std::string& name) { return layer(in, scope + "/" + name, 1); };
    const GraphMap path1 = c(x, "conv_1x1_path1");
    const GraphMap path2 = c(max_pool(x, kPoolSize, 1), "conv_1x1_path2");
    const GraphMap path3 = c(c(x, "conv_1x1_path3"), "conv_3x3_path3");
    const GraphMap path4 = c(c(c(x, "conv_1x1_path4"), "conv_3x3_path4"), "conv_3x3_second_path4");
    return concat({path1, path2, path3, path4});
  }

  void heads(const GraphMap& x, int scale) {
    const std::string at = "prediction_layers/", i = std::to_string(scale);
    for (const std::string head : {"class_predictor_", "box_encoding_predictor_"})
      net.outputs.push_back(
          conv(x, at + head + i + "/weights", at + head + i + "/biases", 1, PlainOp::Act::none).buffer);
  }
};

}  // namespace

std::vector<FaceBoxesAnchor> faceboxes_anchors(int side) {
  std::vector<FaceBoxesAnchor> out;
  const float canvas = static_cast<float>(side);
  for (const auto& scale : kScales) {
    const int cells = side / scale.stride;
    const float step = 1.f / static_cast<float>(cells);
    for (int gy = 0; gy < cells; ++gy)
      for (int gx = 0; gx < cells; ++gx)
        for (const auto& spec : scale.anchors) {
          const float size = static_cast<float>(spec.size) / canvas, sub = size / static_cast<float>(spec.density);
          const float ymin = 0.5f * step + static_cast<float>(gy) * step - 0.5f * size;
          const float xmin = 0.5f * step + static_cast<float>(gx) * step - 0.5f * size;
          for (int i = 0; i < spec.density; ++i)  // the original's order: x shifts outside, y shifts inside
            for (int j = 0; j < spec.density; ++j) {
              const float cy = ymin + 0.5f * sub + sub * static_cast<float>(j);
              const float cx = xmin + 0.5f * sub + sub * static_cast<float>(i);
              const float y0 = std::clamp(cy - 0.5f * size, 0.f, 1.f), y1 = std::clamp(cy + 0.5f * size, 0.f, 1.f);
              const float x0 = std::clamp(cx - 0.5f * size, 0.f, 1.f), x1 = std::clamp(cx + 0.5f * size, 0.f, 1.f);
              out.push_back({y0 + 0.5f * (y1 - y0), x0 + 0.5f * (x1 - x0), y1 - y0, x1 - x0});
            }
        }
  }
  return out;
}

PlainNet faceboxes_from_tfjs(const std::map<std::string, TfjsTensor>& weights, int side) {
  if (side <= 0 || side % kFaceBoxesStride != 0)
    throw Error("faceboxes", "canvas side " + std::to_string(side) + " is not a positive multiple of " +
                                 std::to_string(kFaceBoxesStride));
  FaceBoxesBuilder b(weights, side);
  GraphMap x = b.max_pool(b.layer(b.input(), "conv1", 4, true), kPoolSize, 2);
  x = b.max_pool(b.layer(x, "conv2", 2, true), kPoolSize, 2);
  for (const char* scope : {"inception1", "inception2", "inception3"}) x = b.inception(x, scope);
  b.heads(x, 0);
  x = b.layer(b.layer(x, "conv3_1", 1), "conv3_2", 2);
  b.heads(x, 1);
  x = b.layer(b.layer(x, "conv4_1", 1), "conv4_2", 2);
  b.heads(x, 2);
  b.net.plan();
  return std::move(b.net);
}

std::map<std::string, TfjsTensor> load_faceboxes_weights(const std::string& dir) {
  return load_graph_weights(dir, kFaceBoxesGraph);
}

PlainNet load_faceboxes(const std::string& dir, int side) {
  return faceboxes_from_tfjs(load_faceboxes_weights(dir), side);
}

std::vector<AnchorDetection> faceboxes_decode(const PlainNet& net, const std::vector<Activation>& act, int b,
                                              const std::vector<FaceBoxesAnchor>& anchors, float min_score) {
  std::vector<AnchorDetection> out;
  std::size_t anchor = 0;
  for (std::size_t s = 0; s < kScales.size(); ++s) {
    const Activation& logits = act[static_cast<std::size_t>(net.outputs[2 * s])];
    const Activation& codes = act[static_cast<std::size_t>(net.outputs[2 * s + 1])];
    const int per_cell = anchors_per_cell(kScales[s]);
    for (int gy = 0; gy < logits.h; ++gy)
      for (int gx = 0; gx < logits.w; ++gx)
        for (int a = 0; a < per_cell; ++a, ++anchor) {
          const float* l = logits.data.data() + logits.index(b, gy, gx, 2 * a);
          const float score = 1.f / (1.f + std::exp(l[0] - l[1]));
          if (score < min_score) continue;
          const float* t = codes.data.data() + codes.index(b, gy, gx, 4 * a);
          const FaceBoxesAnchor& an = anchors.at(anchor);
          const float cy = t[0] / kBoxCodeScale[0] * an.h + an.cy, cx = t[1] / kBoxCodeScale[1] * an.w + an.cx;
          const float h = std::exp(t[2] / kBoxCodeScale[2]) * an.h, w = std::exp(t[3] / kBoxCodeScale[3]) * an.w;
          auto unit = [](float v) { return std::clamp(v, 0.f, 1.f); };
          out.push_back({score, {unit(cy - 0.5f * h), unit(cx - 0.5f * w), unit(cy + 0.5f * h), unit(cx + 0.5f * w)}});
        }
  }
  return out;
}

}  // namespace mw
