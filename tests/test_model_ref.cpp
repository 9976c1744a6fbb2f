#include <gtest/gtest.h>

#include "fixture.h"
#include "model/model_ref.h"

using namespace mw;

namespace {

json good_meta() {
  return {{"arch", "resnet18"},
          {"labels", class_names()},
          {"input_size", 224},
          {"crop_size", 256},
          {"margin", 0.15},
          {"normalisation", {{"mean", {123.7, 116.3, 103.5}}, {"inv_scale", {0.0171, 0.0175, 0.0174}}}}};
}

// A store holding one model, models/0123abcd/, with the given metadata, and models/latest naming it.
std::unique_ptr<ObjectStore> store_with(const json& meta) {
  fixture::save_fuzz_seed("fuzz_model_meta", meta.dump(), meta.dump());
  auto store = open_store(fixture::temp_dir("model-ref"));
  store->put("models/0123abcd/model.json", meta.dump());
  store->put(kLatestKey, "0123abcd\n");
  return store;
}

std::string error_of(const json& meta) {
  auto store = store_with(meta);
  try {
    find_model(*store, "latest");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

json with(const std::string& field, const json& value) {
  json m = good_meta();
  m[field] = value;
  return m;
}

}  // namespace

TEST(ModelRef, FindsAGoodModelByLatestIdAndPrefix) {
  auto store = store_with(good_meta());
  EXPECT_EQ(find_model(*store, "latest").dir, "models/0123abcd/");
  EXPECT_EQ(find_model(*store, "0123").meta.at("input_size"), 224);
  json minimal = good_meta();
  minimal.erase("crop_size");
  minimal.erase("margin");
  minimal.erase("normalisation");
  EXPECT_EQ(error_of(minimal), "");
  for (const char* arch : {"resnet34", "face-resnet"}) EXPECT_EQ(error_of(with("arch", arch)), "") << arch;
  EXPECT_EQ(error_of(with("confidence", {{"temperature", 1.5}, {"fitted_on", "val"}})), "");
}

TEST(ModelRef, FieldsOutOfRangeAreRefusedByName) {
  struct Case {
    json meta;
    std::string want;
  };
  std::vector<Case> cases = {
      {with("crop_size", 0), "field 'crop_size' is 0; expected a whole number 16 to 1024"},
      {with("crop_size", 100000), "field 'crop_size' is 100000"},
      {with("crop_size", 64.5), "field 'crop_size' is 64.5"},
      {with("margin", 1e9), "field 'margin' is 1000000000; expected 0 to 1"},
      {with("margin", -0.9), "field 'margin' is -0.9; expected 0 to 1"},
      {with("margin", "0.1"), "field 'margin' is \"0.1\""},
      {with("input_size", 0), "field 'input_size' is 0; expected a whole number 16 to 512"},
      {with("input_size", 513), "field 'input_size' is 513"},
      {with("labels", json::array()), "field 'labels' is []"},
      {with("labels", {"without_mask", "with_mask", "mask_weared_incorrect"}), "field 'labels'"},
      {with("arch", "vgg"), "field 'arch' is \"vgg\"; expected one of resnet18, resnet34, face-resnet"},
      {with("normalisation", {{"mean", {1, 2}}}), "field 'normalisation.mean' is [1,2]; expected 3 finite numbers"},
      {with("normalisation", {{"inv_scale", {1, "x", 3}}}), "field 'normalisation.inv_scale'"},
      {with("normalisation", 5), "field 'normalisation' is 5"},
      {with("confidence", {{"temperature", 0}}), "field 'confidence.temperature' is 0; expected 0.05 to 20"},
      {with("confidence", {{"temperature", "2"}}), "field 'confidence.temperature' is \"2\""},
      {with("confidence", {{"fitted_on", "val"}}), "field 'confidence' is"},
  };
  json no_size = good_meta();
  no_size.erase("input_size");
  cases.push_back({no_size, "field 'input_size' is missing"});
  for (const auto& c : cases) {
    auto e = error_of(c.meta);
    EXPECT_NE(e.find(c.want), std::string::npos) << c.meta.dump() << "\n -> " << e;
    EXPECT_NE(e.find("/models/0123abcd/model.json"), std::string::npos) << e;
  }
}

TEST(ModelRef, AnOversizedLatestIsNotRead) {
  auto store = store_with(good_meta());
  store->put(kLatestKey, "0123abcd\n" + std::string(kMaxLatestBytes, ' '));
  try {
    find_model(*store, "latest");
    FAIL() << "an oversized models/latest was read";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(kLatestKey), std::string::npos) << what;
    EXPECT_NE(what.find("is 1033 bytes"), std::string::npos) << what;
  }
  store->put(kLatestKey, "0123abcd\n");
  EXPECT_EQ(find_model(*store, "").dir, "models/0123abcd/");
}
