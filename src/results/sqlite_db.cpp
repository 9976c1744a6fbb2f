#include "results/sqlite_db.h"

#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

#include "maskwatch.h"

namespace fs = std::filesystem;

namespace mw {

namespace {
constexpr int kBusyTimeoutMs = 10000;
}

SqliteDb::SqliteDb(const std::string& path) {
  if (path.empty()) throw Error("sqlite://", "empty database path");
  path_ = fs::absolute(path).lexically_normal().string();
  std::error_code ec;
  fs::create_directories(fs::path(path_).parent_path(), ec);
  if (ec) throw Error(uri(), "cannot create the folder: " + ec.message());
  int rc =
      sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string reason = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(uri(), "cannot open: " + reason);
  }
  try {
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    exec("PRAGMA journal_mode=WAL", "cannot switch to the WAL journal");
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

SqliteDb::~SqliteDb() { sqlite3_close(db_); }

void SqliteDb::fail(const std::string& what) const { throw Error(uri(), what + ": " + sqlite3_errmsg(db_)); }

void SqliteDb::exec(const char* sql, const std::string& what) const {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string reason = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    throw Error(uri(), what + ": " + reason);
  }
}

SqliteStatement SqliteDb::prepare(const std::string& sql, const std::string& what) const {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) fail(what);
  return SqliteStatement(raw, &sqlite3_finalize);
}

void SqliteDb::add_missing_columns(const char* table, const std::pair<const char*, const char*>* columns,
                                   int count) const {
  std::set<std::string> have;
  auto st = prepare(std::string("PRAGMA table_info(") + table + ")", "cannot read the table's columns");
  while (sqlite3_step(st.get()) == SQLITE_ROW) have.insert(column_text(st.get(), 1));
  for (int i = 0; i < count; ++i)
    if (!have.count(columns[i].first)) {
      const std::string sql = std::string("ALTER TABLE ") + table + " ADD COLUMN " + columns[i].first + " " +
                              columns[i].second;
      exec(sql.c_str(), std::string("cannot add the column ") + columns[i].first);
    }
}

void bind_real(sqlite3_stmt* st, int index, double value) {
  if (std::isfinite(value))
    sqlite3_bind_double(st, index, value);
  else
    sqlite3_bind_null(st, index);
}

void bind_text(sqlite3_stmt* st, int index, const std::string& value) {
  sqlite3_bind_text(st, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
}

double column_real(sqlite3_stmt* st, int index) {
  if (sqlite3_column_type(st, index) == SQLITE_NULL) return std::numeric_limits<double>::quiet_NaN();
  return sqlite3_column_double(st, index);
}

std::string column_text(sqlite3_stmt* st, int index) {
  auto text = sqlite3_column_text(st, index);
  return text ? std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(st, index)) : std::string();
}

}  // namespace mw
