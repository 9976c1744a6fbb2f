// sqlite:// results table: one SQLite file, table `benchmark` keyed by
// (set_size, started_at, run_id). WAL journal and a busy timeout let several
// processes write the same file.
#pragma once
#include <string>

#include "results/results_table.h"
#include "results/sqlite_db.h"

namespace mw {

class SqliteTable : public ResultsTable {
 public:
  // Creates the file's folder, the file and the table when missing; adds
  // the columns a table made by an older version lacks.
  explicit SqliteTable(const std::string& path);

  // Throws mw::Error when a record with the same key is already there.
  void put(const BenchmarkRecord& record) override;
  std::vector<BenchmarkRecord> history(std::optional<int> set_size = std::nullopt) const override;
  std::string uri() const override { return db_.uri(); }

 private:
  SqliteDb db_;
};

}  // namespace mw
