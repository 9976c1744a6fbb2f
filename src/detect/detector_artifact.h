// Fine-tuned face detectors in the store, content-addressed like the
// classifier's models:
//   detectors/<id>/weights.json  the tensors' TF.js manifest (float32), its one shard:
//   detectors/<id>/weights.bin   the tensors back to back, in manifest order;
//   detectors/<id>/detector.json metadata (id, base weights' SHA-256, epochs,
//                                validation AP, created_at, ...);
//   detectors/latest             the newest id.
// id is the first 16 hex digits of the SHA-256 of weights.json + weights.bin.
#pragma once
#include <map>
#include <string>

#include "detect/detector.h"
#include "maskwatch.h"
#include "model/tfjs_weights.h"
#include "store/object_store.h"

namespace mw {

inline const std::string kDetectorsPrefix = "detectors/";
inline const std::string kLatestDetectorKey = "detectors/latest";
inline constexpr const char* kDetectorManifest = "weights.json";
inline constexpr const char* kDetectorShard = "weights.bin";
inline constexpr const char* kDetectorMeta = "detector.json";

// Tensors as a TF.js manifest (one group, shard `shard`) and its bytes.
struct TfjsFiles {
  std::string manifest, data;
};
TfjsFiles encode_tfjs_weights(const std::map<std::string, TfjsTensor>& weights, const std::string& shard);

// Stores the weights and metadata, moves detectors/latest; returns the metadata with "id".
json publish_detector(ObjectStore& store, const std::map<std::string, TfjsTensor>& weights, json meta);

// "latest" or an id: its id, or mw::Error naming the key when there is none.
std::string resolve_detector_id(const ObjectStore& store, const std::string& id);
// The detector's tensors (checked against its id) and its metadata.
std::map<std::string, TfjsTensor> load_detector_weights(const ObjectStore& store, const std::string& id);
json load_detector_meta(const ObjectStore& store, const std::string& id);

// A FaceDetector on a stored detector; a canvas of 0 is the one it was validated at.
FaceDetector load_detector(const ObjectStore& store, const std::string& id, const DetectorOptions& options = {});

inline constexpr const char* kPretrainedDetector = "pretrained";
// The detector a command runs: "latest" is the store's newest fine-tuned one,
// or FaceBoxes as it ships (faceboxes_dir()) while the store has none;
// "pretrained" is always the latter; anything else an id. `name` gets the id
// or "pretrained".
FaceDetector open_detector(const ObjectStore& store, const std::string& id, const DetectorOptions& options,
                           std::string& name);
// Whether `id` names FaceBoxes as it ships by open_detector's rule.
bool is_pretrained_detector(const ObjectStore& store, const std::string& id);

}  // namespace mw
