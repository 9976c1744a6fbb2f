// file:// store: one file per key under a root folder.
#pragma once
#include "store/object_store.h"

namespace mw {

class FileStore : public ObjectStore {
 public:
  explicit FileStore(std::string root);
  void put(const std::string& key, const std::string& bytes) override;
  std::string get(const std::string& key) const override;
  std::string get_at_most(const std::string& key, std::uint64_t max_bytes) const override;
  std::optional<ObjectInfo> head(const std::string& key) const override;
  std::vector<ObjectInfo> list(const std::string& prefix) const override;
  void remove(const std::string& key) override;
  std::string uri() const override { return "file://" + root_; }
  void put_file(const std::string& key, const std::string& path) override;
  void get_file(const std::string& key, const std::string& path) const override;
  const std::string& root() const { return root_; }

 private:
  std::string path_of(const std::string& key) const;
  std::string root_;
};

}  // namespace mw
