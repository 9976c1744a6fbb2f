#include "model/plain_export.h"

#include "maskwatch.h"
#include "model/resnet.h"

namespace mw {

namespace {

struct Exporter {
  PlainNet& out;

  std::size_t append(const torch::Tensor& t) {
    auto c = t.detach().to(torch::kFloat).contiguous();
    const std::size_t at = out.params.size();
    out.params.insert(out.params.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    return at;
  }
  int buffer() { return out.buffers++; }

  // A folded convolution: weights [cout][cin][k][k] stored as [k][k][cin][cout].
  int conv(const torch::nn::Conv2dImpl& c, int in, bool relu, int residual = -1) {
    if (!c.bias.defined()) throw Error("export", "convolution without a folded bias: fold BatchNorm first");
    PlainOp op;
    op.kind = PlainOp::Kind::Conv;
    op.in = in;
    op.out = buffer();
    op.residual = residual;
    op.cin = static_cast<int>(c.weight.size(1));
    op.cout = static_cast<int>(c.weight.size(0));
    op.k = static_cast<int>(c.weight.size(2));
    op.stride = static_cast<int>(c.options.stride()->at(0));
    op.pad = static_cast<int>(c10::get<torch::ExpandingArray<2>>(c.options.padding())->at(0));
    op.relu = relu;
    op.weight = append(c.weight.permute({2, 3, 1, 0}));
    op.bias = append(c.bias);
    out.ops.push_back(op);
    return op.out;
  }
};

}  // namespace

std::optional<PlainNet> export_plain(NetworkImpl& net, int input_size) {
  auto* resnet = dynamic_cast<ResNetImpl*>(&net);
  if (!resnet) return std::nullopt;
  if (!resnet->folded) throw Error("export", "fold BatchNorm before exporting");
  torch::NoGradGuard no_grad;
  PlainNet p;
  p.input_size = input_size;
  p.classes = static_cast<int>(resnet->fc->weight.size(0));
  const auto norm = net.normalisation();
  p.mean = norm.mean;
  p.inv_scale = norm.inv_scale;
  Exporter ex{p};
  int x = ex.conv(*resnet->conv1, 0, /*relu=*/true);
  PlainOp pool;
  pool.kind = PlainOp::Kind::MaxPool;
  pool.in = x, pool.out = ex.buffer(), pool.k = 3, pool.stride = 2, pool.pad = 1;
  p.ops.push_back(pool);
  x = pool.out;
  for (const auto& layer : {resnet->layer1, resnet->layer2, resnet->layer3, resnet->layer4})
    for (const auto& child : layer->children()) {
      auto* block = child->as<BasicBlockImpl>();
      const int shortcut =
          block->downsample ? ex.conv(*block->downsample->ptr(0)->as<torch::nn::Conv2dImpl>(), x, /*relu=*/false) : x;
      const int y = ex.conv(*block->conv1, x, /*relu=*/true);
      x = ex.conv(*block->conv2, y, /*relu=*/true, shortcut);
    }
  PlainOp gap;
  gap.kind = PlainOp::Kind::GlobalAvgPool;
  gap.in = x, gap.out = ex.buffer();
  p.ops.push_back(gap);
  PlainOp fc;
  fc.kind = PlainOp::Kind::Linear;
  fc.in = gap.out, fc.out = ex.buffer();
  fc.cin = static_cast<int>(resnet->fc->weight.size(1));
  fc.cout = p.classes;
  fc.weight = ex.append(resnet->fc->weight.t());
  fc.bias = ex.append(resnet->fc->bias);
  p.ops.push_back(fc);
  p.plan();
  return p;
}

}  // namespace mw
