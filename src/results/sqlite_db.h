// One SQLite file shared by the sqlite:// tables: opened (its folder and the
// file created when missing) in WAL mode with a busy timeout, so that several
// processes write it; statements, binds and columns with errors naming the file.
#pragma once
#include <memory>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace mw {

using SqliteStatement = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>;

class SqliteDb {
 public:
  explicit SqliteDb(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void exec(const char* sql, const std::string& what) const;
  SqliteStatement prepare(const std::string& sql, const std::string& what) const;
  [[noreturn]] void fail(const std::string& what) const;  // what + SQLite's message
  // Adds the named columns a table made by an older version lacks.
  void add_missing_columns(const char* table, const std::pair<const char*, const char*>* columns, int count) const;
  sqlite3* handle() const { return db_; }
  std::string uri() const { return "sqlite://" + path_; }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

// Non-finite numbers are stored as NULL and read back as NaN.
void bind_real(sqlite3_stmt* st, int index, double value);
void bind_text(sqlite3_stmt* st, int index, const std::string& value);
double column_real(sqlite3_stmt* st, int index);
std::string column_text(sqlite3_stmt* st, int index);

}  // namespace mw
