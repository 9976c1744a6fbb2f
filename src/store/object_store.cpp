#include "store/object_store.h"

#include <filesystem>
#include <map>
#include <mutex>

#include "core/paths.h"
#include "maskwatch.h"
#include "store/file_store.h"

namespace mw {

Error over_the_limit(const std::string& where, std::uint64_t max_bytes) {
  return Error(where, "larger than the " + std::to_string(max_bytes) + " bytes allowed; not read further");
}

void ObjectStore::put_file(const std::string& key, const std::string& path) { put(key, read_file(path)); }

void ObjectStore::get_file(const std::string& key, const std::string& path) const { write_file_atomic(path, get(key)); }

void check_key(const std::string& key) {
  if (key.empty() || key.front() == '/') throw Error(key, "object key must be a relative name");
  std::size_t start = 0;
  while (start <= key.size()) {
    auto end = key.find('/', start);
    if (end == std::string::npos) end = key.size();
    auto part = key.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") throw Error(key, "object key has an empty, '.' or '..' part");
    start = end + 1;
  }
}

std::optional<std::string> local_store_dir(const std::string& uri) {
  const std::string file_scheme = "file://";
  if (uri.rfind(file_scheme, 0) == 0) return uri.substr(file_scheme.size());
  if (uri.find("://") == std::string::npos) return uri;
  return std::nullopt;
}

namespace {

struct Schemes {
  std::mutex mu;
  std::map<std::string, StoreOpener> openers;
};
Schemes& schemes() {
  static Schemes s;
  return s;
}

}  // namespace

void register_store_scheme(const std::string& scheme, StoreOpener open) {
  std::lock_guard<std::mutex> lock(schemes().mu);
  schemes().openers[scheme] = open;
}

std::unique_ptr<ObjectStore> open_store(const std::string& uri) {
  if (auto dir = local_store_dir(uri)) return std::make_unique<FileStore>(*dir);
  const std::string scheme = uri.substr(0, uri.find("://"));
  StoreOpener open = nullptr;
  {
    std::lock_guard<std::mutex> lock(schemes().mu);
    if (auto it = schemes().openers.find(scheme); it != schemes().openers.end()) open = it->second;
  }
  if (open) return open(uri);
  if (scheme == "s3") throw Error(uri, "this program was built without S3 stores (register_s3_store)");
  throw Error(uri, "unsupported store scheme '" + scheme + "' (use a path, file:///abs/path or s3://bucket/prefix)");
}

}  // namespace mw
