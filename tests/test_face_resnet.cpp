// The LibTorch port of face-api's face-recognition network against golden
// outputs that face-api itself produced (tests/golden/face_recognition.json,
// made by tools/face-api-golden): the preprocessed input, intermediate feature
// maps and the 128-d descriptors of real face crops.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "core/hash.h"
#include "core/paths.h"
#include "data/dataset.h"
#include "fixture.h"
#include "model/face_resnet.h"

using namespace mw;

namespace {
constexpr double kMapTolerance = 1e-3;         // feature maps
constexpr double kDescriptorTolerance = 1e-4;  // descriptors and the input

std::string manifest_path() { return face_api_models_dir() + "/" + kFaceApiManifest; }

// Values of an NCHW map at flat NHWC indices.
std::vector<float> at_nhwc(const torch::Tensor& nchw, const json& indices) {
  auto flat = (nchw.dim() == 4 ? nchw.permute({0, 2, 3, 1}) : nchw).contiguous().view(-1);
  auto a = flat.accessor<float, 1>();
  std::vector<float> out;
  if (indices.is_null())
    for (int64_t i = 0; i < flat.size(0); ++i) out.push_back(a[i]);
  else
    for (const auto& i : indices) out.push_back(a[i.get<int64_t>()]);
  return out;
}
}  // namespace

TEST(FaceResNet, WeightsLoadFromFaceApi) {
  auto w = load_tfjs_weights(manifest_path());
  EXPECT_EQ(w.size(), 117u);
  FaceResNet net;
  net->load_tfjs(w);
  EXPECT_EQ(net->conv32_down->weight.sizes(), (std::vector<int64_t>{32, 3, 7, 7}));
  w.erase("conv128_1/conv2/scale/biases");
  try {
    net->load_tfjs(w);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("conv128_1/conv2/scale/biases"), std::string::npos);
  }
}

// Sets an environment variable for a scope, then puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    set(value);
  }
  ~ScopedEnv() { set(old_ ? old_->c_str() : nullptr); }

 private:
  void set(const char* value) const {
    if (value)
      setenv(name_, value, 1);
    else
      unsetenv(name_);
  }
  const char* name_;
  std::optional<std::string> old_;
};

TEST(FaceResNet, WeightsFoundBesideTheBuildsProgramsWithoutTheVariable) {
  ScopedEnv unset("MASKWATCH_FACE_API_DIR", nullptr);
  const std::string dir = face_api_models_dir();  // build/tests/../share/maskwatch/face-api
  EXPECT_NE(dir.find("share/maskwatch/face-api"), std::string::npos) << dir;
  EXPECT_TRUE(std::filesystem::is_regular_file(dir + "/face_recognition_model.bin")) << dir;
}

TEST(FaceResNet, MissingWeightsErrorNamesWhereItLookedAndTheFix) {
  const std::string missing = fixture::temp_dir("no-face-api") + "/absent";
  ScopedEnv set("MASKWATCH_FACE_API_DIR", missing.c_str());
  try {
    face_api_models_dir();
    FAIL() << "no error for " << missing;
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(missing), std::string::npos) << what;
    EXPECT_NE(what.find("scripts/setup.sh"), std::string::npos) << what;
    EXPECT_NE(what.find("MASKWATCH_FACE_API_DIR"), std::string::npos) << what;
  }
}

TEST(FaceResNet, MatchesFaceApiGoldenOutputs) {
  auto golden = json::parse(read_file(MASKWATCH_SOURCE_DIR "/tests/golden/face_recognition.json"));
  FaceResNet net;
  net->load_tfjs(load_tfjs_weights(manifest_path()));
  net->eval();
  torch::NoGradGuard no_grad;
  int faces = 0;
  for (const auto& face : golden["faces"]) {
    const std::string image = face["image"];
    SCOPED_TRACE(image);
    auto rgb = decode_rgb(read_file(fixture::data_dir() + "/images/" + image), image);
    auto b = face["box"].get<std::vector<int>>();
    cv::Mat crop = rgb(cv::Rect(b[0], b[1], b[2] - b[0], b[3] - b[1])).clone();
    ASSERT_EQ(sha256_hex(std::string(reinterpret_cast<const char*>(crop.data), crop.total() * 3)),
              face["crop_rgb_sha256"].get<std::string>())
        << "the decoder gave other pixels than the golden run's";

    auto x = face_preprocess(crop.ptr<std::uint8_t>(), crop.cols, crop.rows);
    auto stages = net->forward_stages(x);
    stages["input"] = x;
    for (const auto& [name, map] : face["maps"].items()) {
      ASSERT_TRUE(stages.count(name)) << name;
      const auto& t = stages[name];
      auto expect_shape = map["shape"].get<std::vector<int64_t>>();
      auto nhwc = t.dim() == 4 ? std::vector<int64_t>{t.size(0), t.size(2), t.size(3), t.size(1)} : t.sizes().vec();
      EXPECT_EQ(nhwc, expect_shape) << name;
      auto got = at_nhwc(t, map.contains("indices") ? map["indices"] : json());
      auto want = map["values"].get<std::vector<float>>();
      ASSERT_EQ(got.size(), want.size()) << name;
      const double tol = name == "input" ? kDescriptorTolerance : kMapTolerance;
      double worst = 0;
      for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(double(got[i]) - want[i]));
      EXPECT_LT(worst, tol) << name;
      std::printf("  %s %-17s max |diff| %.2e\n", image.c_str(), name.c_str(), worst);
      EXPECT_NEAR(t.sum().item<double>(), map["sum"].get<double>(), 1e-5 * std::abs(map["sum"].get<double>()) + tol)
          << name;
    }
    auto d = stages["descriptor"].view(-1);
    auto want = face["descriptor"].get<std::vector<float>>();
    ASSERT_EQ(d.size(0), static_cast<int64_t>(want.size()));
    double worst = 0;
    for (std::size_t i = 0; i < want.size(); ++i)
      worst = std::max(worst, std::abs(double(d[static_cast<int64_t>(i)].item<float>()) - want[i]));
    EXPECT_LT(worst, kDescriptorTolerance);
    std::printf("  %s %-17s max |diff| %.2e\n", image.c_str(), "descriptor", worst);
    // The batched forward gives the same descriptor.
    EXPECT_TRUE(torch::allclose(net->forward(x), stages["descriptor"], 1e-6, 1e-6));
    ++faces;
  }
  EXPECT_GE(faces, 4);
}

TEST(FaceResNet, LegacyResizeSamplesWithoutHalfPixelOffset) {
  // 4 -> 8: output i samples input i/2, so odd outputs are midpoints and the
  // last one clamps at the edge.
  auto x = torch::arange(4, torch::kFloat).view({1, 1, 1, 4});
  auto y = legacy_resize_bilinear(x, 1, 8).view(-1);
  std::vector<float> expect = {0, 0.5, 1, 1.5, 2, 2.5, 3, 3};
  for (int i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(y[i].item<float>(), expect[i]) << i;
}
