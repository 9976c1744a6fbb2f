// Builds a plain-engine network (infer/plain_net.h) from a TensorFlow graph's
// tensors (model/tfjs_weights.h), layer by layer, as a port of a graph walks
// it: each call appends one op and returns the map it writes. Convolutions
// pad as TensorFlow's "SAME" does (the odd pixel at the bottom and right);
// filters are HWIO, depthwise ones [k][k][channels][1].
#pragma once
#include <map>
#include <string>
#include <vector>

#include "infer/plain_net.h"
#include "model/tfjs_weights.h"

namespace mw {

// TensorFlow's "SAME" padding of a side: the output side is ceil(in / stride);
// the padding it needs is split with the odd pixel at the end. {before, after}.
std::pair<int, int> same_padding(int in, int k, int stride);

// The tensors of a TensorFlow.js graph: <dir>/<graph> (its weightsManifest)
// and the shards it names, beside it.
std::map<std::string, TfjsTensor> load_graph_weights(const std::string& dir, const std::string& graph);

// The key of `name` among a graph's tensors: under `scope` first ("tower_0/":
// the graph's folded constants), then as named (its variables); null when neither.
const std::string* scoped_key(const std::map<std::string, TfjsTensor>& weights, const std::string& scope,
                              const std::string& name);

// A buffer of the network being built, with its side and channels.
struct GraphMap {
  int buffer, side, channels;
};

class GraphBuilder {
 public:
  // `what` names the graph in errors ("faceboxes weights"). A tensor asked
  // for by name is looked up under `scope` first ("tower_0/": the graph's
  // folded constants), then as named (its variables).
  GraphBuilder(const std::map<std::string, TfjsTensor>& weights, int side, std::string what, std::string scope = "");
  PlainNet net;

  GraphMap input() const { return {0, net.input_size, 3}; }
  const TfjsTensor& tensor(const std::string& name) const;
  bool has(const std::string& name) const { return weights_.count(scope_ + name) + weights_.count(name) > 0; }

  // A convolution of the named filter and bias ("" for none: zeros); a
  // depthwise filter when `depthwise`. The residual is added before `act`.
  GraphMap conv(const GraphMap& x, const std::string& filter, const std::string& bias, int stride, PlainOp::Act act,
                bool depthwise = false, const GraphMap* residual = nullptr);
  // The same from values already laid out [k][k][cin / groups][cout].
  GraphMap conv_values(const GraphMap& x, int k, int cout, const std::vector<float>& filter,
                       const std::vector<float>& bias, int stride, PlainOp::Act act, bool depthwise = false,
                       const GraphMap* residual = nullptr);
  GraphMap max_pool(const GraphMap& x, int k, int stride);
  GraphMap concat(const std::vector<GraphMap>& parts, PlainOp::Act act = PlainOp::Act::none);
  GraphMap global_mean(const GraphMap& x);
  // x times gate (a [1][1][channels] map), channel by channel.
  GraphMap scale(const GraphMap& x, const GraphMap& gate);
  GraphMap upsample(const GraphMap& x);

 private:
  GraphMap append(PlainOp op, int side, int channels);

  const std::map<std::string, TfjsTensor>& weights_;
  std::string what_, scope_;
};

}  // namespace mw
