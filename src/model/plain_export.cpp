#include "model/plain_export.h"

#include "maskwatch.h"
#include "model/face_resnet.h"
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

  // A convolution with its bias (normalisation folded in): weights [cout][cin][k][k]
  // stored as [k][k][cin][cout].
  int conv_op(const torch::Tensor& weight, const torch::Tensor& bias, int in, int stride, int pad, bool relu,
              int residual) {
    PlainOp op;
    op.kind = PlainOp::Kind::Conv;
    op.in = in;
    op.out = buffer();
    op.residual = residual;
    op.cin = static_cast<int>(weight.size(1));
    op.cout = static_cast<int>(weight.size(0));
    op.k = static_cast<int>(weight.size(2));
    op.stride = stride;
    op.pad = pad;
    op.act = relu ? PlainOp::Act::relu : PlainOp::Act::none;
    op.weight = append(weight.permute({2, 3, 1, 0}));
    op.bias = append(bias);
    out.ops.push_back(op);
    return op.out;
  }

  int conv(const torch::nn::Conv2dImpl& c, int in, bool relu, int residual = -1) {
    if (!c.bias.defined()) throw Error("export", "convolution without a folded bias: fold BatchNorm first");
    return conv_op(c.weight, c.bias, in, static_cast<int>(c.options.stride()->at(0)),
                   static_cast<int>(c10::get<torch::ExpandingArray<2>>(c.options.padding())->at(0)), relu, residual);
  }

  // face-resnet's conv + bias + per-channel affine, folded: w*scale, b*scale + shift.
  int face_conv(const FaceConvImpl& c, int in, int stride, int pad, bool relu, int residual = -1) {
    return conv_op(c.weight * c.scale.view({-1, 1, 1, 1}), c.bias * c.scale + c.shift, in, stride, pad, relu, residual);
  }

  int pool(PlainOp::Kind kind, int in, int k, int stride, int pad, int cout = 0) {
    PlainOp op;
    op.kind = kind;
    op.in = in, op.out = buffer(), op.k = k, op.stride = stride, op.pad = pad, op.cout = cout;
    out.ops.push_back(op);
    return op.out;
  }

  void head(int x, const torch::nn::LinearImpl& fc) {
    const int gap = pool(PlainOp::Kind::GlobalAvgPool, x, 1, 1, 0);
    PlainOp op;
    op.kind = PlainOp::Kind::Linear;
    op.in = gap, op.out = buffer();
    op.cin = static_cast<int>(fc.weight.size(1));
    op.cout = static_cast<int>(fc.weight.size(0));
    op.weight = append(fc.weight.t());
    op.bias = append(fc.bias);
    out.ops.push_back(op);
  }
};

PlainNet begin(NetworkImpl& net, int input_size, int classes) {
  PlainNet p;
  p.input_size = input_size;
  p.classes = classes;
  const auto norm = net.normalisation();
  p.mean = norm.mean;
  p.inv_scale = norm.inv_scale;
  return p;
}

// As FaceResidualImpl::forward: a down block's stride-2 'valid' convolution is
// zero-padded to its average-pooled, channel-padded shortcut.
PlainNet export_face(FaceClassifierImpl& net, int input_size) {
  PlainNet p = begin(net, input_size, static_cast<int>(net.fc->weight.size(0)));
  Exporter ex{p};
  int x = ex.face_conv(*net.backbone->conv32_down, 0, 2, 0, /*relu=*/true);
  x = ex.pool(PlainOp::Kind::MaxPool, x, 3, 2, 0);
  for (auto& [name, block] : net.backbone->blocks) {
    const int cout = static_cast<int>(block->conv2->weight.size(0));
    const int shortcut = block->down ? ex.pool(PlainOp::Kind::AvgPool, x, 2, 2, 0, cout) : x;
    const int y = ex.face_conv(*block->conv1, x, block->down ? 2 : 1, block->down ? 0 : 1, /*relu=*/true);
    x = ex.face_conv(*block->conv2, y, 1, 1, /*relu=*/true, shortcut);
  }
  ex.head(x, *net.fc);
  p.plan();
  return p;
}

}  // namespace

std::optional<PlainNet> export_plain(NetworkImpl& net, int input_size) {
  torch::NoGradGuard no_grad;
  if (auto* face = dynamic_cast<FaceClassifierImpl*>(&net)) return export_face(*face, input_size);
  auto* resnet = dynamic_cast<ResNetImpl*>(&net);
  if (!resnet) return std::nullopt;
  if (!resnet->folded) throw Error("export", "fold BatchNorm before exporting");
  PlainNet p = begin(net, input_size, static_cast<int>(resnet->fc->weight.size(0)));
  Exporter ex{p};
  int x = ex.conv(*resnet->conv1, 0, /*relu=*/true);
  x = ex.pool(PlainOp::Kind::MaxPool, x, 3, 2, 1);
  for (const auto& layer : {resnet->layer1, resnet->layer2, resnet->layer3, resnet->layer4})
    for (const auto& child : layer->children()) {
      auto* block = child->as<BasicBlockImpl>();
      const int shortcut =
          block->downsample ? ex.conv(*block->downsample->ptr(0)->as<torch::nn::Conv2dImpl>(), x, /*relu=*/false) : x;
      const int y = ex.conv(*block->conv1, x, /*relu=*/true);
      x = ex.conv(*block->conv2, y, /*relu=*/true, shortcut);
    }
  ex.head(x, *resnet->fc);
  p.plan();
  return p;
}

}  // namespace mw
