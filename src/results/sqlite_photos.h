// sqlite:// photo table: table `photos` in the results file, keyed by (uri, etag).
#pragma once
#include <mutex>
#include <string>

#include "results/photo_table.h"
#include "results/sqlite_db.h"

namespace mw {

class SqlitePhotoTable : public PhotoTable {
 public:
  explicit SqlitePhotoTable(const std::string& path);
  bool put(const PhotoRecord& record) override;
  bool contains(const std::string& uri, const std::string& etag) const override;
  std::vector<PhotoRecord> list(const PhotoQuery& query = {}) const override;
  std::string uri() const override { return db_.uri(); }

 private:
  SqliteDb db_;
  mutable std::mutex mutex_;  // one statement at a time (sqlite3_changes reads the connection's last)
};

}  // namespace mw
