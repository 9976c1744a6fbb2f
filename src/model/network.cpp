#include "model/network.h"

#include "maskwatch.h"
#include "model/face_resnet.h"
#include "model/resnet.h"

namespace mw {

Network make_network(const std::string& arch, int64_t classes, bool pretrained) {
  if (arch == "face-resnet") {
    auto net = std::make_shared<FaceClassifierImpl>(classes);
    if (pretrained) net->backbone->load_tfjs(load_tfjs_weights(face_api_models_dir() + "/" + kFaceApiManifest));
    return net;
  }
  return ResNet(arch, classes).ptr();
}

void freeze_stages(NetworkImpl& net, int n) {
  if (n < 0 || n > kNumStages) throw Error("freeze", "--freeze must be in 0.." + std::to_string(kNumStages));
  auto st = net.stages();
  for (int i = 0; i < n; ++i)
    for (auto& p : st[i]->parameters()) p.set_requires_grad(false);
}

void set_train_mode(NetworkImpl& net, int frozen) {
  net.train();
  auto st = net.stages();
  for (int i = 0; i < frozen && i < kNumStages; ++i) st[i]->eval();
}

}  // namespace mw
