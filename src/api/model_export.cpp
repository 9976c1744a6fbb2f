#include "api/model_export.h"

#include <filesystem>

#include "detect/detector_artifact.h"
#include "detect/faceboxes.h"
#include "model/model_ref.h"

namespace mw {

namespace {

namespace fs = std::filesystem;

// Copies the keys from one store to the other; returns the bytes copied.
std::size_t copy_keys(const ObjectStore& from, ObjectStore& to, const std::vector<std::string>& keys) {
  std::size_t bytes = 0;
  for (const auto& key : keys) {
    const std::string data = from.get(key);
    bytes += data.size();
    to.put(key, data);
  }
  return bytes;
}

std::string export_classifier(const ObjectStore& store, ObjectStore& out, const std::string& model,
                              std::size_t& bytes) {
  const ModelRef ref = find_model(store, model);
  const std::string id = ref.meta.at("id");
  std::vector<std::string> keys = {ref.dir + "model.json"};
  keys.push_back(ref.dir + (store.exists(ref.dir + kPlainWeightsFile) ? kPlainWeightsFile : "weights.pt"));
  bytes += copy_keys(store, out, keys);
  out.put(kLatestKey, id + "\n");
  return id;
}

// The bundled FaceBoxes' float tensors, as a fine-tuned detector carries
// them (the graph's int32 shape constants are rebuilt when it loads).
std::map<std::string, TfjsTensor> pretrained_tensors() {
  std::map<std::string, TfjsTensor> out;
  for (auto& [name, t] : load_faceboxes_weights(faceboxes_dir()))
    if (t.dtype == "float32" && t.numel() == static_cast<std::int64_t>(t.values.size())) out.emplace(name, t);
  return out;
}

std::string export_detector(const ObjectStore& store, ObjectStore& out, const std::string& detector,
                            std::size_t& bytes) {
  if (is_pretrained_detector(store, detector)) {
    const json meta =
        publish_detector(out, pretrained_tensors(), {{"arch", "faceboxes"}, {"run", kPretrainedDetector}});
    for (const auto& o : out.list(kDetectorsPrefix)) bytes += o.size;
    return meta.at("id");
  }
  const std::string id = resolve_detector_id(store, detector);
  const std::string dir = kDetectorsPrefix + id + "/";
  bytes += copy_keys(store, out, {dir + kDetectorManifest, dir + kDetectorShard, dir + kDetectorMeta});
  out.put(kLatestDetectorKey, id + "\n");
  return id;
}

}  // namespace

json export_models(const ObjectStore& store, const std::string& model, const std::string& detector,
                   const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
    throw Error(dir, "exists and is not an empty folder; export into a new one");
  fs::create_directories(dir, ec);
  if (ec) throw Error(dir, "cannot create the folder: " + ec.message());
  auto out = open_store(fs::absolute(dir).string());
  std::size_t bytes = 0;
  const std::string classifier = export_classifier(store, *out, model, bytes);
  const std::string detector_id = export_detector(store, *out, detector, bytes);
  return {{"dir", dir}, {"classifier", classifier}, {"detector", detector_id}, {"bytes", bytes}};
}

}  // namespace mw
