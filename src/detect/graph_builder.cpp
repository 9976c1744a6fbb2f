#include "detect/graph_builder.h"

#include <algorithm>
#include <filesystem>

#include "core/paths.h"
#include "maskwatch.h"

namespace mw {

namespace {
constexpr std::size_t kMaxGraphBytes = 16u << 20, kMaxWeightBytes = 64u << 20;
}  // namespace

std::map<std::string, TfjsTensor> load_graph_weights(const std::string& dir, const std::string& graph_file) {
  const std::string graph_path = (std::filesystem::path(dir) / graph_file).string();
  json graph;
  try {
    graph = json::parse(read_file(graph_path, kMaxGraphBytes));
  } catch (const json::exception& e) {
    throw Error(graph_path, std::string("not a TensorFlow.js graph: ") + e.what());
  }
  if (!graph.contains("weightsManifest")) throw Error(graph_path, "no weightsManifest");
  const json& manifest = graph["weightsManifest"];
  return decode_tfjs_weights(manifest.dump(), read_tfjs_shards(manifest, dir, graph_path, kMaxWeightBytes), graph_path);
}

std::pair<int, int> same_padding(int in, int k, int stride) {
  const int out = (in + stride - 1) / stride;
  const int total = std::max((out - 1) * stride + k - in, 0);
  return {total / 2, total - total / 2};
}

const std::string* scoped_key(const std::map<std::string, TfjsTensor>& weights, const std::string& scope,
                              const std::string& name) {
  auto it = weights.find(scope + name);
  if (it == weights.end()) it = weights.find(name);
  return it == weights.end() ? nullptr : &it->first;
}

GraphBuilder::GraphBuilder(const std::map<std::string, TfjsTensor>& weights, int side, std::string what,
                           std::string scope)
    : weights_(weights), what_(std::move(what)), scope_(std::move(scope)) {
  net.input_size = side;
}

const TfjsTensor& GraphBuilder::tensor(const std::string& name) const {
  const std::string* key = scoped_key(weights_, scope_, name);
  if (!key) throw Error(what_, "no tensor '" + scope_ + name + "' (or '" + name + "')");
  return weights_.at(*key);
}

GraphMap GraphBuilder::conv(const GraphMap& x, const std::string& filter, const std::string& bias, int stride,
                            PlainOp::Act act, bool depthwise, const GraphMap* residual) {
  const TfjsTensor& w = tensor(filter);
  const bool square = w.shape.size() == 4 && w.shape[0] == w.shape[1];
  const bool fits =
      depthwise ? square && w.shape[2] == x.channels && w.shape[3] == 1 : square && w.shape[2] == x.channels;
  if (!fits)
    throw Error(what_, "'" + filter + "' is not a square [k][k][" + std::to_string(x.channels) + "][" +
                           (depthwise ? "1" : "cout") + "] filter");
  const int k = static_cast<int>(w.shape[0]), cout = depthwise ? x.channels : static_cast<int>(w.shape[3]);
  std::vector<float> b(static_cast<std::size_t>(cout), 0.f);
  if (!bias.empty()) {
    const TfjsTensor& t = tensor(bias);
    if (t.numel() != cout) throw Error(what_, "'" + bias + "' does not have " + std::to_string(cout) + " values");
    b = t.values;
  }
  // A depthwise [k][k][c][1] filter is already [k][k][1][c] in memory.
  return conv_values(x, k, cout, w.values, b, stride, act, depthwise, residual);
}

GraphMap GraphBuilder::conv_values(const GraphMap& x, int k, int cout, const std::vector<float>& filter,
                                   const std::vector<float>& bias, int stride, PlainOp::Act act, bool depthwise,
                                   const GraphMap* residual) {
  PlainOp op;
  op.kind = PlainOp::Kind::Conv;
  op.in = x.buffer, op.cin = x.channels, op.cout = cout, op.k = k, op.stride = stride, op.act = act;
  op.groups = depthwise ? x.channels : 1;
  std::tie(op.pad, op.pad_end) = same_padding(x.side, k, stride);
  if (residual) op.residual = residual->buffer;
  op.weight = net.params.size();
  net.params.insert(net.params.end(), filter.begin(), filter.end());
  op.bias = net.params.size();
  net.params.insert(net.params.end(), bias.begin(), bias.end());
  return append(op, (x.side + stride - 1) / stride, cout);
}

GraphMap GraphBuilder::max_pool(const GraphMap& x, int k, int stride) {
  PlainOp op;
  op.kind = PlainOp::Kind::MaxPool;
  op.in = x.buffer, op.k = k, op.stride = stride;
  std::tie(op.pad, op.pad_end) = same_padding(x.side, k, stride);
  return append(op, (x.side + stride - 1) / stride, x.channels);
}

GraphMap GraphBuilder::concat(const std::vector<GraphMap>& parts, PlainOp::Act act) {
  PlainOp op;
  op.kind = PlainOp::Kind::Concat;
  op.in = parts.front().buffer, op.act = act;
  int channels = parts.front().channels;
  for (std::size_t i = 1; i < parts.size(); ++i) op.cat.push_back(parts[i].buffer), channels += parts[i].channels;
  return append(op, parts.front().side, channels);
}

GraphMap GraphBuilder::global_mean(const GraphMap& x) {
  PlainOp op;
  op.kind = PlainOp::Kind::GlobalAvgPool;
  op.in = x.buffer;
  return append(op, 1, x.channels);
}

GraphMap GraphBuilder::scale(const GraphMap& x, const GraphMap& gate) {
  PlainOp op;
  op.kind = PlainOp::Kind::Mul;
  op.in = x.buffer, op.cat = {gate.buffer};
  return append(op, x.side, x.channels);
}

GraphMap GraphBuilder::upsample(const GraphMap& x) {
  PlainOp op;
  op.kind = PlainOp::Kind::Upsample;
  op.in = x.buffer;
  return append(op, 2 * x.side, x.channels);
}

GraphMap GraphBuilder::append(PlainOp op, int side, int channels) {
  op.out = net.buffers++;
  net.ops.push_back(op);
  return {op.out, side, channels};
}

}  // namespace mw
