#include "detect/detector_artifact.h"

#include <cstring>

#include "core/hash.h"
#include "core/paths.h"

namespace mw {

namespace {

constexpr std::size_t kIdDigits = 16;

std::string dir_of(const std::string& id) { return kDetectorsPrefix + id + "/"; }

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

TfjsFiles encode_tfjs_weights(const std::map<std::string, TfjsTensor>& weights, const std::string& shard) {
  json entries = json::array();
  TfjsFiles out;
  for (const auto& [name, t] : weights) {
    if (t.dtype != "float32" || t.numel() != static_cast<std::int64_t>(t.values.size()))
      throw Error("tfjs weights '" + name + "'", "only float32 tensors whose shape matches their values are written");
    entries.push_back({{"name", name}, {"shape", t.shape}, {"dtype", "float32"}});
    const std::size_t at = out.data.size();
    out.data.resize(at + t.values.size() * sizeof(float));
    if (!t.values.empty()) std::memcpy(out.data.data() + at, t.values.data(), t.values.size() * sizeof(float));
  }
  out.manifest = json::array({{{"paths", {shard}}, {"weights", entries}}}).dump();
  return out;
}

json publish_detector(ObjectStore& store, const std::map<std::string, TfjsTensor>& weights, json meta) {
  const TfjsFiles files = encode_tfjs_weights(weights, kDetectorShard);
  const std::string id = sha256_hex(files.manifest + files.data).substr(0, kIdDigits);
  meta["id"] = id;
  meta["weights_sha256"] = sha256_hex(files.data);
  if (!meta.contains("created_at")) meta["created_at"] = utc_now_iso();
  const std::string dir = dir_of(id);
  store.put(dir + kDetectorShard, files.data);
  store.put(dir + kDetectorManifest, files.manifest);
  store.put(dir + kDetectorMeta, meta.dump(2) + "\n");
  store.put(kLatestDetectorKey, id + "\n");
  return meta;
}

std::string resolve_detector_id(const ObjectStore& store, const std::string& id) {
  if (id != "latest") {
    check_key(kDetectorsPrefix + id);
    if (id.empty() || !store.exists(dir_of(id) + kDetectorMeta))
      throw Error(store.uri() + "/" + dir_of(id), "no such detector");
    return id;
  }
  if (!store.exists(kLatestDetectorKey))
    throw Error(store.uri() + "/" + kLatestDetectorKey, "no detector: run 'maskwatch train-detector' first");
  return resolve_detector_id(store, trimmed(store.get(kLatestDetectorKey)));
}

std::map<std::string, TfjsTensor> load_detector_weights(const ObjectStore& store, const std::string& id) {
  const std::string dir = dir_of(resolve_detector_id(store, id));
  const std::string manifest = store.get(dir + kDetectorManifest), data = store.get(dir + kDetectorShard);
  const std::string where = store.uri() + "/" + dir;
  if (sha256_hex(manifest + data).substr(0, kIdDigits) + "/" != dir.substr(kDetectorsPrefix.size()))
    throw Error(where, "the weights do not match the detector's id (corrupt or altered)");
  return decode_tfjs_weights(manifest, data, where + kDetectorManifest);
}

json load_detector_meta(const ObjectStore& store, const std::string& id) {
  const std::string key = dir_of(resolve_detector_id(store, id)) + kDetectorMeta;
  try {
    return json::parse(store.get(key));
  } catch (const json::exception& e) {
    throw Error(store.uri() + "/" + key, std::string("not JSON: ") + e.what());
  }
}

FaceDetector load_detector(const ObjectStore& store, const std::string& id, const DetectorOptions& options) {
  DetectorOptions o = options;
  if (o.canvas == 0) {  // the canvas it was validated at
    const json meta = load_detector_meta(store, id);
    const json* canvas = meta.contains("val") ? &meta["val"] : nullptr;
    if (canvas && canvas->contains("canvas") && (*canvas)["canvas"].is_number_integer())
      o.canvas = (*canvas)["canvas"].get<int>();
  }
  return FaceDetector(load_detector_weights(store, id), o);
}

bool is_pretrained_detector(const ObjectStore& store, const std::string& id) {
  return id == kPretrainedDetector || (id == "latest" && !store.exists(kLatestDetectorKey));
}

FaceDetector open_detector(const ObjectStore& store, const std::string& id, const DetectorOptions& options,
                           std::string& name) {
  if (is_pretrained_detector(store, id)) {
    name = kPretrainedDetector;
    return FaceDetector(faceboxes_dir(), options);
  }
  name = resolve_detector_id(store, id);
  return load_detector(store, name, options);
}

}  // namespace mw
