#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "fixture.h"
#include "maskwatch.h"
#include "model/tfjs_weights.h"

using namespace mw;

namespace {
std::string f32(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), v.begin(), s.size());
  return s;
}
const char* kManifest = R"([{"paths":["a.bin"],"weights":[
  {"name":"q","shape":[2,2],"dtype":"float32","quantization":{"dtype":"uint8","scale":0.5,"min":-1.0}},
  {"name":"f","shape":[3],"dtype":"float32"},
  {"name":"c","shape":[1],"dtype":"int32","quantization":{"dtype":"uint8","scale":0.3,"min":0.0}}]}])";
}  // namespace

TEST(TfjsWeights, DecodesQuantisedFloatAndUnalignedTensors) {
  // 4 quantised bytes, then 3 float32 at offset 4, then 1 byte.
  std::string data = std::string("\x00\x01\x02\xff", 4) + f32({1.5f, -2.25f, 3e-7f}) + std::string("\x05", 1);
  fixture::save_fuzz_seed("fuzz_tfjs_manifest", "quantised-float-unaligned", kManifest + std::string(1, '\0') + data);
  auto t = decode_tfjs_weights(kManifest, data, "m.json");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t["q"].shape, (std::vector<std::int64_t>{2, 2}));
  EXPECT_FLOAT_EQ(t["q"].values[0], -1.0f);
  EXPECT_FLOAT_EQ(t["q"].values[2], 0.0f);
  EXPECT_FLOAT_EQ(t["q"].values[3], static_cast<float>(255 * 0.5 - 1.0));
  EXPECT_FLOAT_EQ(t["f"].values[1], -2.25f);
  EXPECT_FLOAT_EQ(t["f"].values[2], 3e-7f);
  EXPECT_FLOAT_EQ(t["c"].values[0], 2.0f);  // round(5 * 0.3)

  // Unaligned float32: one quantised byte first.
  const char* m2 = R"([{"paths":["b.bin"],"weights":[
    {"name":"b","shape":[1],"dtype":"float32","quantization":{"dtype":"uint8","scale":1,"min":0}},
    {"name":"x","shape":[2],"dtype":"float32"}]}])";
  auto u = decode_tfjs_weights(m2, std::string("\x07", 1) + f32({0.25f, 8.0f}), "m2.json");
  EXPECT_FLOAT_EQ(u["x"].values[0], 0.25f);
  EXPECT_FLOAT_EQ(u["x"].values[1], 8.0f);
}

// Graph models store weights as IEEE half floats: normal, subnormal, zero,
// negative and infinite values, worked from the bit patterns.
TEST(TfjsWeights, DecodesHalfFloats) {
  const char* manifest = R"([{"paths":["h.bin"],"weights":[
    {"name":"h","shape":[6],"dtype":"float32","quantization":{"dtype":"float16","original_dtype":"float32"}}]}])";
  // 0x3c00 = 1, 0xc000 = -2, 0x3555 = 0.333251953125, 0x0001 = 2^-24, 0x0000 = 0, 0x7c00 = inf (little-endian).
  const std::string data("\x00\x3c\x00\xc0\x55\x35\x01\x00\x00\x00\x00\x7c", 12);
  fixture::save_fuzz_seed("fuzz_tfjs_manifest", "half-floats", manifest + std::string(1, '\0') + data);
  const auto t = decode_tfjs_weights(manifest, data, "h.json").at("h").values;
  EXPECT_EQ(t[0], 1.f);
  EXPECT_EQ(t[1], -2.f);
  EXPECT_EQ(t[2], 0.333251953125f);
  EXPECT_EQ(t[3], std::ldexp(1.f, -24));
  EXPECT_EQ(t[4], 0.f);
  EXPECT_TRUE(std::isinf(t[5]) && t[5] > 0);
}

TEST(TfjsWeights, MismatchesNameTheTensor) {
  std::string data = std::string("\x00\x01\x02\xff", 4) + f32({1, 2, 3}) + std::string("\x05", 1);
  try {
    decode_tfjs_weights(kManifest, data.substr(0, 10), "m.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'f'"), std::string::npos) << e.what();
  }
  try {
    decode_tfjs_weights(kManifest, data + "xx", "m.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("accounts for 17 bytes"), std::string::npos) << e.what();
  }
  EXPECT_THROW(decode_tfjs_weights(R"([{"weights":[{"name":"z","shape":[1],"dtype":"complex64"}]}])", "", "m"), Error);
  EXPECT_THROW(decode_tfjs_weights("{nope", "", "m"), Error);
}

// Inputs the fuzzer (tests/fuzz/fuzz_tfjs_manifest) found: a quantisation of
// the wrong JSON types escaped as json::type_error, a shape whose product
// overflows int64 was undefined behaviour. Each is an mw::Error naming the tensor.
TEST(TfjsWeights, HostileManifestsAreErrorsNamingTheTensor) {
  const std::string one = std::string("\x01", 1);
  for (
      const char* manifest :
      {R"([{"weights":[{"name":"q","shape":[1],"dtype":"float32","quantization":{"dtype":"uint8","scale":"x","min":0}}]}])",
       R"([{"weights":[{"name":"q","shape":[1],"dtype":"float32","quantization":{"dtype":7}}]}])",
       R"([{"weights":[{"name":"q","shape":[1],"dtype":"float32","quantization":[1]}]}])",
       R"([{"weights":[{"name":"q","shape":[2147483648,2147483648,2147483648],"dtype":"float32"}]}])"}) {
    SCOPED_TRACE(manifest);
    fixture::save_fuzz_seed("fuzz_tfjs_manifest", "hostile", manifest + std::string(1, '\0') + one);
    try {
      decode_tfjs_weights(manifest, one, "m.json");
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.where(), "m.json: tensor 'q'");
    }
  }
}

TEST(TfjsWeights, LoadsFromFilesAndRefusesEscapingShardPaths) {
  auto dir = fixture::temp_dir("tfjs");
  fixture::write(dir + "/m.json", R"([{"paths":["a.bin"],"weights":[{"name":"f","shape":[2],"dtype":"float32"}]}])");
  fixture::write(dir + "/a.bin", f32({4, 5}));
  EXPECT_FLOAT_EQ(load_tfjs_weights(dir + "/m.json")["f"].values[1], 5.f);
  fixture::write(dir + "/bad.json", R"([{"paths":["../a.bin"],"weights":[]}])");
  EXPECT_THROW(load_tfjs_weights(dir + "/bad.json"), Error);
}
