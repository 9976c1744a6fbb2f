#include "store/file_store.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/paths.h"
#include "maskwatch.h"

namespace fs = std::filesystem;

namespace mw {

namespace {
bool is_temp_name(const std::string& name) { return name.find(".tmp.") != std::string::npos; }

// A file's version: its size and modification time in nanoseconds, in hex;
// a rewrite changes it (writes are temp + rename).
std::string file_etag(const fs::path& p) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  const auto time = fs::last_write_time(p, ec).time_since_epoch();
  if (ec) return "";
  char text[48];
  std::snprintf(text, sizeof text, "%llx-%llx", static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(std::chrono::duration_cast<std::chrono::nanoseconds>(time).count()));
  return text;
}

// Copies a file next to its destination, then renames it into place.
void copy_atomic(const fs::path& from, const fs::path& to) {
  fs::create_directories(to.parent_path());
  fs::path tmp = to;
  tmp += ".tmp." + std::to_string(::getpid()) + ".copy";
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing);
  fs::rename(tmp, to);
}
}  // namespace

FileStore::FileStore(std::string root) {
  // The folder is made by the first write: opening a store to read it creates nothing.
  if (root.empty()) throw Error("store", "empty store path");
  root_ = fs::absolute(root).lexically_normal().string();
  if (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string FileStore::path_of(const std::string& key) const {
  check_key(key);
  return root_ + "/" + key;
}

void FileStore::put(const std::string& key, const std::string& bytes) { write_file_atomic(path_of(key), bytes); }

std::string FileStore::get(const std::string& key) const {
  auto p = path_of(key);
  if (!fs::is_regular_file(p)) throw Error(uri() + "/" + key, "no such object");
  return read_file(p);
}

std::string FileStore::get_at_most(const std::string& key, std::uint64_t max_bytes) const {
  auto p = path_of(key);
  std::error_code ec;
  const auto size = fs::is_regular_file(p, ec) ? fs::file_size(p, ec) : 0;
  std::ifstream in(p, std::ios::binary);
  if (ec || !in) throw Error(uri() + "/" + key, "no such object");
  if (size > max_bytes) throw over_the_limit(uri() + "/" + key, max_bytes);
  std::string bytes(size, '\0');  // what it held when asked; a file still being written reads as it was
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

std::optional<ObjectInfo> FileStore::head(const std::string& key) const {
  auto p = path_of(key);
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  return ObjectInfo{key, static_cast<std::uint64_t>(fs::file_size(p, ec)), file_etag(p)};
}

std::vector<ObjectInfo> FileStore::list(const std::string& prefix) const {
  std::vector<ObjectInfo> out;
  std::error_code ec;
  // Walk only the deepest folder the prefix names.
  auto slash = prefix.rfind('/');
  fs::path base = slash == std::string::npos ? fs::path(root_) : fs::path(root_) / prefix.substr(0, slash);
  if (!fs::is_directory(base, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(base, ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file()) continue;
    auto rel = fs::relative(it->path(), root_).generic_string();
    if (rel.rfind(prefix, 0) != 0 || is_temp_name(rel)) continue;
    out.push_back({rel, static_cast<std::uint64_t>(it->file_size()), file_etag(it->path())});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return out;
}

void FileStore::remove(const std::string& key) {
  std::error_code ec;
  fs::remove(path_of(key), ec);
  if (ec) throw Error(uri() + "/" + key, "cannot delete: " + ec.message());
}

void FileStore::put_file(const std::string& key, const std::string& path) { copy_atomic(path, path_of(key)); }

void FileStore::get_file(const std::string& key, const std::string& path) const {
  auto src = path_of(key);
  if (!fs::is_regular_file(src)) throw Error(uri() + "/" + key, "no such object");
  copy_atomic(src, path);
}

}  // namespace mw
