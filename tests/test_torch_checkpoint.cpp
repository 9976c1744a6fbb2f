// torchvision checkpoints (torch.save of a state_dict) into maskwatch's ResNet.
// The files come from tests/make_torchvision_checkpoint.py run with a Python
// that has torch and torchvision (Debian: python3-torch, python3-torchvision).
#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "core/hash.h"
#include "core/paths.h"
#include "fuzz/pth_zip.h"
#include "model/torch_checkpoint.h"
#include "model_fixture.h"

using namespace mw;

namespace {

// Debian's packages install into /usr/bin/python3's dist-packages; python3 on
// PATH may be another installation.
std::string python_with_torch() {
  for (std::string py : {"/usr/bin/python3", "python3"})
    if (std::system((py + " -c 'import torch, torchvision' >/dev/null 2>&1").c_str()) == 0) return py;
  return "";
}

// The generated files, made once per test process and removed at its end;
// empty when no Python has torch and torchvision.
struct Generated {
  std::string dir;
  ~Generated() {
    if (!dir.empty()) fixture::fs::remove_all(dir);
  }
};
const std::string& checkpoints() {
  static const Generated gen = [] {
    Generated g;
    auto py = python_with_torch();
    if (py.empty()) return g;
    g.dir = fixture::temp_dir("torchvision");
    auto cmd = py + " " MASKWATCH_SOURCE_DIR "/tests/make_torchvision_checkpoint.py " + g.dir;
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
    return g;
  }();
  return gen.dir;
}
std::string file(const std::string& name) { return checkpoints() + "/" + name; }

#define REQUIRE_TORCHVISION()                                                                 \
  if (checkpoints().empty())                                                                  \
  GTEST_SKIP() << "no python3 that can 'import torch, torchvision' (Debian: apt-get install " \
                  "python3-torch python3-torchvision)"

// The error's reason, or "" when f does not throw mw::Error.
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.reason();
  }
  return "";
}

float max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<float>(); }

// A pickle written opcode by opcode, as torch.save's data.pkl (protocol 2).
using pth_test::Pickle;

// A torch.save file: data.pkl and the storages, as data/<key>.
std::string torch_file(const std::string& pkl, const std::map<std::string, std::vector<float>>& storages = {}) {
  std::string out;
  {
    caffe2::serialize::PyTorchStreamWriter zip([&out](const void* p, std::size_t n) {
      out.append(static_cast<const char*>(p), n);
      return n;
    });
    zip.writeRecord("data.pkl", pkl.data(), pkl.size());
    zip.writeRecord("byteorder", "little", 6);
    for (const auto& [key, v] : storages) zip.writeRecord("data/" + key, v.data(), v.size() * sizeof(float));
    zip.writeEndOfFile();
  }
  return out;
}

// {"w": the tensor} over a storage of 1, 2, 3, 4.
std::string one_tensor(std::int64_t offset, const std::vector<std::int64_t>& size,
                       const std::vector<std::int64_t>& stride) {
  Pickle p;
  p.op('}').op('(').str("w").tensor("0", 4, offset, size, stride).op('u').op('.');
  return torch_file(p.b, {{"0", {1, 2, 3, 4}}});
}

std::string parse_error(const std::string& bytes) {
  return error_of([&] { parse_torch_state_dict(bytes, "crafted.pth"); });
}

}  // namespace

TEST(TorchCheckpoint, ReadsCraftedTensors) {
  auto state = parse_torch_state_dict(one_tensor(0, {2, 2}, {1, 2}), "crafted.pth");
  ASSERT_EQ(state.count("w"), 1u);
  EXPECT_TRUE(torch::equal(state.at("w"), torch::tensor({1.f, 3.f, 2.f, 4.f}).reshape({2, 2})));
  state = parse_torch_state_dict(one_tensor(1, {3}, {1}), "crafted.pth");
  EXPECT_TRUE(torch::equal(state.at("w"), torch::tensor({2.f, 3.f, 4.f})));
}

TEST(TorchCheckpoint, RefusesViewsPastTheStorage) {
  const std::int64_t big = std::int64_t{1} << 62;
  struct View {
    std::vector<std::int64_t> size, stride;
    const char* why;
  };
  for (const auto& v :
       std::vector<View>{{{3}, {big}, "reaches past its storage"},  // (3 - 1) * 2^62 wraps to a negative reach
                         {{2, 2}, {big, big + big / 2}, "reaches past its storage"},  // the sum of two reaches wraps
                         {{big, big}, {0, 0}, "reaches past its storage"},            // in range, but 2^124 elements
                         {{5}, {1}, "reaches past its storage"},                      // one past the end
                         {{2}, {-1}, "negative tensor size or stride"}}) {
    const auto why = parse_error(one_tensor(0, v.size, v.stride));
    EXPECT_NE(why.find(v.why), std::string::npos) << why;
  }
  EXPECT_NE(parse_error(one_tensor(-1, {1}, {1})).find("negative storage offset"), std::string::npos);
  EXPECT_NE(parse_error(one_tensor(big, {1}, {1})).find("reaches past its storage"), std::string::npos);
  EXPECT_EQ(parse_error(one_tensor(4, {0}, {1})), "");  // an empty view may start at the end
}

TEST(TorchCheckpoint, RefusesPicklesNestedTooDeep) {
  auto nested = [](int n) {
    Pickle p;
    p.op(']', static_cast<std::size_t>(n)).op('a', static_cast<std::size_t>(n - 1)).op('.');
    return torch_file(p.b);
  };
  EXPECT_NE(parse_error(nested(64)).find("holds a list, not a dict"), std::string::npos) << parse_error(nested(64));
  EXPECT_NE(parse_error(nested(65)).find("pickle nests deeper than 64"), std::string::npos);
  // Deep enough to overflow the stack when freed, were it built.
  EXPECT_NE(parse_error(nested(200000)).find("pickle nests deeper than 64"), std::string::npos);

  // Lists and tuples nested through the memo count the same.
  Pickle memo;
  memo.op(']').op('q').le(0, 1);
  for (int k = 0; k < 70; ++k) memo.op('h').le(0, 1).op('\x85').op('q').le(0, 1);  // memo[0] = (memo[0],)
  memo.op('.');
  EXPECT_NE(parse_error(torch_file(memo.b)).find("pickle nests deeper than 64"), std::string::npos);
}

TEST(TorchCheckpoint, RefusesContainersThatReachThemselves) {
  Pickle self;  // a list appended to itself
  self.op(']').op('2').op('a').op('.');
  EXPECT_NE(parse_error(torch_file(self.b)).find("already nested"), std::string::npos)
      << parse_error(torch_file(self.b));

  Pickle pair;  // b = [a], then a.append(b)
  pair.op(']').op('q').le(0, 1).op(']').op('h').le(0, 1).op('a').op('a').op('.');
  EXPECT_NE(parse_error(torch_file(pair.b)).find("already nested"), std::string::npos);

  Pickle dict;  // d["k"] = d
  dict.op('}').op('q').le(0, 1).str("k").op('h').le(0, 1).op('s').op('.');
  EXPECT_NE(parse_error(torch_file(dict.b)).find("already nested"), std::string::npos);

  // Shared, finished containers are fine: {"a": x, "b": x}.
  Pickle shared;
  shared.op('}')
      .op('(')
      .str("a")
      .tensor("0", 4, 0, {4}, {1})
      .op('q')
      .le(1, 1)
      .str("b")
      .op('h')
      .le(1, 1)
      .op('u')
      .op('.');
  auto state = parse_torch_state_dict(torch_file(shared.b, {{"0", {1, 2, 3, 4}}}), "shared.pth");
  EXPECT_TRUE(torch::equal(state.at("a"), state.at("b")));
}

TEST(TorchCheckpoint, RefusesPicklesWithTooManyObjects) {
  Pickle objects;
  objects.op('N', 1000001).op('.');
  EXPECT_NE(parse_error(torch_file(objects.b)).find("more than 1000000 objects"), std::string::npos);
  Pickle memo;
  memo.op(']').op('\x94', 1000001).op('.');  // MEMOIZE
  EXPECT_NE(parse_error(torch_file(memo.b)).find("more than 1000000 memo entries"), std::string::npos);
  Pickle dups;
  dups.op(']').op('2', 1000000).op('.');  // DUP
  EXPECT_NE(parse_error(torch_file(dups.b)).find("entries on the stack"), std::string::npos);
}

TEST(TorchCheckpoint, RefusesRecordsLargerThanTheFile) {
  auto bytes = one_tensor(0, {4}, {1});
  ASSERT_EQ(parse_error(bytes), "");
  // The central directory entry of data.pkl (signature, then its name at +46).
  const std::string name = "archive/data.pkl";
  std::size_t at = 0;
  while ((at = bytes.find("PK\x01\x02", at)) != std::string::npos && bytes.compare(at + 46, name.size(), name) != 0)
    ++at;
  ASSERT_NE(at, std::string::npos);
  for (std::size_t field : {at + 20, at + 24}) std::memcpy(&bytes[field], "\xff\xff\xff\x7f", 4);  // 2 GiB
  auto why = parse_error(bytes);
  EXPECT_NE(why.find("zip record 'archive/data.pkl' claims 2147483647 bytes, more than the whole file"),
            std::string::npos)
      << why;
}

TEST(TorchCheckpoint, ResNet34GivesTorchvisionsLogits) {
  REQUIRE_TORCHVISION();
  auto io = read_torch_state_dict(file("io.pt"));  // a plain dict of tensors
  ASSERT_EQ(io.count("x"), 1u);
  ASSERT_EQ(io.at("logits").sizes(), torch::IntArrayRef({2, 1000}));

  auto state = read_torch_state_dict(file("resnet34.pth"));  // an OrderedDict, as state_dict() returns
  ResNet net("resnet34", 1000);
  EXPECT_TRUE(load_torchvision_state(*net, state, "resnet34.pth").empty());
  EXPECT_EQ(net->bn1->num_batches_tracked.item<long>(), 2);  // copied when both sides have it
  net->eval();
  torch::NoGradGuard no_grad;
  auto logits = net->forward(io.at("x"));
  const float diff = max_abs_diff(logits, io.at("logits"));
  std::printf("max |logit difference| vs torchvision: %.3g (logits up to %.3g)\n", diff,
              io.at("logits").abs().max().item<float>());
  RecordProperty("max_logit_difference", std::to_string(diff));
  EXPECT_LT(diff, 1e-4f);

  net->fold_batchnorm();  // the inference path, too
  const float folded = max_abs_diff(net->forward(io.at("x")), io.at("logits"));
  std::printf("with BatchNorm folded: %.3g\n", folded);
  EXPECT_LT(folded, 1e-4f);
}

TEST(TorchCheckpoint, SkipsTheClassifierWhenTheClassCountDiffers) {
  REQUIRE_TORCHVISION();
  auto state = read_torch_state_dict(file("resnet34.pth"));
  ResNet net("resnet34", 3);
  auto fc_before = net->fc->weight.clone();
  auto skipped = load_torchvision_state(*net, state, "resnet34.pth");
  EXPECT_EQ(skipped, (std::vector<std::string>{"fc.weight", "fc.bias"}));
  EXPECT_TRUE(torch::equal(net->fc->weight, fc_before));
  EXPECT_TRUE(torch::equal(net->conv1->weight, state.at("conv1.weight")));
  EXPECT_TRUE(torch::equal(net->layer4->named_buffers()["2.bn2.running_var"], state.at("layer4.2.bn2.running_var")));

  // A 3-class file fits whole.
  auto three = read_torch_state_dict(file("resnet34_3class.pth"));
  EXPECT_TRUE(load_torchvision_state(*net, three, "resnet34_3class.pth").empty());
  EXPECT_TRUE(torch::equal(net->fc->weight, three.at("fc.weight")));
  EXPECT_TRUE(torch::equal(net->fc->bias, three.at("fc.bias")));
}

TEST(TorchCheckpoint, ReadsWrappedDictsAndRefusesOtherFormats) {
  REQUIRE_TORCHVISION();
  auto wrapped = read_torch_state_dict(file("wrapped.pth"));  // {"state_dict": {...}, "epoch": 7}
  auto three = read_torch_state_dict(file("resnet34_3class.pth"));
  ASSERT_EQ(wrapped.size(), 2u);
  EXPECT_TRUE(torch::equal(wrapped.at("fc.weight"), three.at("fc.weight")));
  EXPECT_TRUE(torch::equal(wrapped.at("fc.bias"), three.at("fc.bias")));

  auto legacy = error_of([] { read_torch_state_dict(file("legacy.pth")); });
  EXPECT_NE(legacy.find("legacy"), std::string::npos) << legacy;
  EXPECT_NE(legacy.find("re-save"), std::string::npos) << legacy;
  EXPECT_NE(error_of([] { parse_torch_state_dict("not a checkpoint", "x.pth"); }).find("torch.save"),
            std::string::npos);
  auto bytes = read_file(file("resnet34_3class.pth"));
  EXPECT_NE(error_of([&] { parse_torch_state_dict(bytes.substr(0, bytes.size() / 2), "cut.pth"); }), "");
}

TEST(TorchCheckpoint, NamesMissingUnexpectedAndMisshapenKeys) {
  REQUIRE_TORCHVISION();
  const auto good = read_torch_state_dict(file("resnet34_3class.pth"));
  ResNet net("resnet34", 3);
  const auto before = net->conv1->weight.clone();

  auto state = good;
  state.erase("layer2.1.bn1.running_var");
  state.erase("layer3.0.downsample.0.weight");
  state["layer5.0.conv1.weight"] = torch::zeros({4});
  state["layer1.0.conv1.weight"] = torch::zeros({64, 64, 1, 1});
  auto why = error_of([&] { load_torchvision_state(*net, state, "damaged.pth"); });
  EXPECT_NE(why.find("2 missing keys: "), std::string::npos) << why;
  EXPECT_NE(why.find("layer2.1.bn1.running_var"), std::string::npos) << why;
  EXPECT_NE(why.find("layer3.0.downsample.0.weight"), std::string::npos) << why;
  EXPECT_NE(why.find("1 unexpected key: layer5.0.conv1.weight"), std::string::npos) << why;
  EXPECT_NE(why.find("1 shape mismatch: layer1.0.conv1.weight [64, 64, 1, 1] in the file, [64, 64, 3, 3] here"),
            std::string::npos)
      << why;
  EXPECT_TRUE(torch::equal(net->conv1->weight, before));  // all or nothing

  // num_batches_tracked on one side only is not an error.
  state = good;
  for (auto it = state.begin(); it != state.end();)
    it = it->first.find("num_batches_tracked") != std::string::npos ? state.erase(it) : std::next(it);
  EXPECT_EQ(error_of([&] { load_torchvision_state(*net, state, "no-counters.pth"); }), "");

  // ResNet-34 weights into a ResNet-18: the extra blocks are named, with a count.
  ResNet small("resnet18", 3);
  why = error_of([&] { load_torchvision_state(*small, good, "resnet34_3class.pth"); });
  EXPECT_NE(why.find("unexpected keys: layer1.2."), std::string::npos) << why;
  EXPECT_NE(why.find("more)"), std::string::npos) << why;
}

TEST(TorchCheckpoint, TrainStartsFromInitAndRecordsIt) {
  REQUIRE_TORCHVISION();
  auto t = fixture::tiny_training("torchvision-init");
  t.arch = "resnet34";
  t.epochs = 1;
  t.init = file("resnet34_3class.pth");
  auto m = train(t);
  ASSERT_TRUE(m.contains("init")) << m.dump();
  EXPECT_EQ(m["init"]["file"], t.init);
  EXPECT_EQ(m["init"]["sha256"], sha256_hex(read_file(t.init)));

  // A resume with another init is refused; other architectures refuse --init.
  auto resume = t;
  resume.resume = true;
  resume.init = file("resnet34.pth");
  auto why = error_of([&] { train(resume); });
  EXPECT_NE(why.find("'init'"), std::string::npos) << why;
  auto face = t;
  face.run = "torchvision-init-face";
  face.arch = "face-resnet";
  why = error_of([&] { train(face); });
  EXPECT_NE(why.find("resnet34"), std::string::npos) << why;
}
