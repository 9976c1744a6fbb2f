#include "jobs/label_object.h"

#include <algorithm>
#include <chrono>

#include "core/paths.h"

namespace mw {

namespace {

// The record's version when the store names none (a file without a time).
constexpr const char* kUnknownVersion = "unknown";

PhotoRecord failed(PhotoRecord r, std::string reason) {
  r.error = std::move(reason);
  return r;
}

}  // namespace

std::string object_uri(const ObjectStore& store, const std::string& key) { return store.uri() + "/" + key; }

bool has_photo_extension(const std::string& key) {
  auto dot = key.rfind('.');
  if (dot == std::string::npos || key.find('/', dot) != std::string::npos) return false;
  std::string ext = key.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == "jpg" || ext == "jpeg" || ext == "png";
}

PhotoRecord label_object(const FaceLabeller& labeller, const ObjectStore& store, ObjectInfo object,
                         const PhotoLimits& limits, const DetectOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  PhotoRecord r;
  r.uri = object_uri(store, object.key);
  r.classifier_id = labeller.classifier_id();
  r.detector_id = labeller.detector_id();
  r.labelled_at = utc_now_iso();
  r.etag = object.etag.empty() ? kUnknownVersion : object.etag;
  auto finish = [&](PhotoRecord rec) {
    rec.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return rec;
  };
  std::string bytes;
  try {
    if (object.etag.empty() || object.size == 0) {
      auto head = store.head(object.key);
      if (!head) return finish(failed(r, "no such object (deleted before it was read?)"));
      object.size = head->size;
      if (!head->etag.empty()) r.etag = head->etag;
    }
    r.bytes = object.size;
    if (object.size > limits.max_bytes)
      return finish(failed(r, std::to_string(object.size) + " bytes, over the limit of " +
                                  std::to_string(limits.max_bytes) + " for a photo"));
    bytes = store.get_at_most(object.key, limits.max_bytes);
  } catch (const StoreUnavailable&) {
    throw;
  } catch (const Error& e) {  // a missing object, a refused key, more bytes than announced
    return finish(failed(r, e.reason()));
  }
  r.bytes = bytes.size();
  try {
    const Image image = decode_image(bytes, r.uri, limits.max_pixels);
    bytes.clear();
    bytes.shrink_to_fit();
    r.width = image.width;
    r.height = image.height;
    for (const Face& f : labeller.detect(image.view(), options))
      r.faces.push_back({f.box, labeller.label_of(f), f.confidence, f.face_score});
  } catch (const Error& e) {
    return finish(failed(r, e.reason()));
  }
  return finish(r);
}

}  // namespace mw
