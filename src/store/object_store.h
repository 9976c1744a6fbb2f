// ObjectStore: where maskwatch keeps data, shards, checkpoints and models.
// Keys are '/'-separated relative names ("raw/images/a.jpg"). Writes are
// atomic: a reader sees the old object or the new one, never a part.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "maskwatch/maskwatch.h"

namespace mw {

struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
  // Which version of the object this is: S3's ETag (without its quotes); a
  // folder's file: its size and modification time. "" when not known.
  std::string etag;
};

// A store that did not answer (network, 5xx, throttling) after its retries:
// the same call may succeed later, unlike a missing key or a refused one.
class StoreUnavailable : public Error {
 public:
  using Error::Error;
};

// The error get_at_most throws for an object over max_bytes.
Error over_the_limit(const std::string& where, std::uint64_t max_bytes);

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  virtual void put(const std::string& key, const std::string& bytes) = 0;
  // Throws mw::Error naming the key when it does not exist.
  virtual std::string get(const std::string& key) const = 0;
  // As get, reading no more than max_bytes: an object that turns out larger (it
  // grew since it was listed, or a server sends more than it announced) throws
  // mw::Error naming the key and the limit, having held at most max_bytes (S3:
  // the transfer is cut off there).
  virtual std::string get_at_most(const std::string& key, std::uint64_t max_bytes) const = 0;
  virtual std::optional<ObjectInfo> head(const std::string& key) const = 0;
  // Every key that starts with prefix, sorted.
  virtual std::vector<ObjectInfo> list(const std::string& prefix) const = 0;
  virtual void remove(const std::string& key) = 0;
  virtual std::string uri() const = 0;

  bool exists(const std::string& key) const { return head(key).has_value(); }
  // Copies a local file in / an object out (stores may stream these).
  virtual void put_file(const std::string& key, const std::string& path);
  virtual void get_file(const std::string& key, const std::string& path) const;
};

// Opens a store from a URI: a plain path, file:///abs/path, or a scheme a
// layer above registered (s3://bucket/prefix: store/s3_store.h
// register_s3_store(), which the programs and libmaskwatch.so call at start).
std::unique_ptr<ObjectStore> open_store(const std::string& uri);
using StoreOpener = std::unique_ptr<ObjectStore> (*)(const std::string& uri);
// open_store() opens "<scheme>://..." with `open` from now on.
void register_store_scheme(const std::string& scheme, StoreOpener open);
// The folder of a local store: a plain path as it is, file://PATH as PATH;
// nullopt for s3:// and any other scheme.
std::optional<std::string> local_store_dir(const std::string& uri);
// Rejects keys that are empty, absolute, or climb out with "..".
void check_key(const std::string& key);

}  // namespace mw
