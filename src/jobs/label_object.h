// One stored photo in, one photo record out: the object read from its store
// (size checked first), decoded (size checked from its header), its faces
// detected and labelled. The shared step of `maskwatch scan` and the Lambda
// function's upload events.
#pragma once
#include <cstdint>
#include <string>

#include "maskwatch.h"
#include "results/photo_table.h"
#include "store/object_store.h"

namespace mw {

// The largest photo read: bigger objects are recorded as failed unread.
inline constexpr std::uint64_t kMaxPhotoBytes = 64ull << 20;

struct PhotoLimits {
  std::uint64_t max_bytes = kMaxPhotoBytes;
  long max_pixels = kMaxImagePixels;
};

// The record of `object` (its key, and its size and etag when known: an
// event's or a listing's; else they are asked for). A photo that is missing,
// too large, not an image or lying in its header becomes a record with the
// reason; a store that does not answer (StoreUnavailable) is thrown, to try
// again later.
PhotoRecord label_object(const FaceLabeller& labeller, const ObjectStore& store, ObjectInfo object,
                         const PhotoLimits& limits = {}, const DetectOptions& options = {});

// The URI a record names the object by: the store's URI, "/", the key.
std::string object_uri(const ObjectStore& store, const std::string& key);

// Photo file names: .jpg, .jpeg, .png (any case).
bool has_photo_extension(const std::string& key);

}  // namespace mw
