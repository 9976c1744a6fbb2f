#include "infer/calibrate.h"

#include "core/hash.h"
#include "data/augment.h"
#include "data/shard.h"
#include "infer/plain_net.h"

namespace mw {

namespace {

// Up to kCalibrationCrops crops of the train shard at the network's input size.
std::vector<std::uint8_t> calibration_crops(const Shard& shard, int input_size, std::size_t& count) {
  count = std::min<std::size_t>(shard.count(), kCalibrationCrops);
  const std::size_t out_bytes = static_cast<std::size_t>(input_size) * input_size * 3;
  std::vector<std::uint8_t> crops(count * out_bytes);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* src = shard.crop(i * shard.count() / count);
    if (shard.size == input_size)
      std::copy(src, src + out_bytes, crops.begin() + static_cast<std::ptrdiff_t>(i * out_bytes));
    else
      resize_crop(src, shard.size, crops.data() + i * out_bytes, input_size);
  }
  return crops;
}

}  // namespace

Shard load_model_shard(const ObjectStore& store, const ModelRef& model, const std::string& split,
                       const std::string& why) {
  const auto shards_meta = json::parse(store.get("shards/meta.json"));
  if (shards_meta.value("manifest_hash", "") != model.meta.value("manifest_hash", ""))
    throw Error(store.uri() + "/shards", "hold another split than the model was trained on; " + why);
  Shard shard = load_shard(store, split);
  if (shard.count() == 0) throw Error(store.uri() + "/" + shard_key(split), "has no crops");
  return shard;
}

json calibrate_model(ObjectStore& store, const ModelRef& model) {
  const std::string key = model.dir + kPlainWeightsFile, where = store.uri() + "/" + key;
  if (!model.meta.contains("plain_sha256") || !store.exists(key))
    throw Error(store.uri() + "/" + model.dir, "model has no plain export to calibrate");
  const auto bytes = store.get(key);
  if (sha256_hex(bytes) != model.meta.at("plain_sha256").get<std::string>())
    throw Error(where, "does not match its recorded SHA-256");
  const Shard shard =
      load_model_shard(store, model, "train", "calibrating on them could use its validation or test images");
  PlainNet net = PlainNet::from_bytes(bytes, where);
  std::size_t count = 0;
  const auto crops = calibration_crops(shard, net.input_size, count);
  net.calibrate(crops.data(), static_cast<std::int64_t>(count));
  const std::string calibrated = net.to_bytes();
  json meta = model.meta;
  meta["plain_sha256"] = sha256_hex(calibrated);
  meta["calibration"] = {{"split", "train"}, {"crops", count}, {"range", "largest magnitude of each input"}};
  store.put(key, calibrated);
  store.put(model.dir + "model.json", meta.dump(2));
  return meta;
}

}  // namespace mw
