#include "store/object_store.h"

#include <filesystem>

#include "core/paths.h"
#include "maskwatch.h"
#include "store/file_store.h"
#include "store/s3_store.h"

namespace mw {

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

std::unique_ptr<ObjectStore> open_store(const std::string& uri) {
  if (auto dir = local_store_dir(uri)) return std::make_unique<FileStore>(*dir);
  if (uri.rfind("s3://", 0) == 0) return std::make_unique<S3Store>(uri);
  throw Error(uri, "unsupported store scheme '" + uri.substr(0, uri.find("://")) +
                       "' (use a path, file:///abs/path or s3://bucket/prefix)");
}

}  // namespace mw
