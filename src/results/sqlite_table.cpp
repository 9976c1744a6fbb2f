#include "results/sqlite_table.h"

#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <set>
#include <utility>

#include "maskwatch.h"

namespace fs = std::filesystem;

namespace mw {

namespace {

constexpr int kBusyTimeoutMs = 10000;

constexpr const char* kCreate =
    "CREATE TABLE IF NOT EXISTS benchmark ("
    " set_size INTEGER NOT NULL,"
    " started_at TEXT NOT NULL,"
    " run_id TEXT NOT NULL,"
    " images INTEGER NOT NULL,"
    " objects INTEGER NOT NULL,"
    " seconds REAL,"
    " accuracy REAL,"
    " heldout_objects INTEGER NOT NULL,"
    " heldout_accuracy REAL,"
    " throughput REAL,"
    " model_id TEXT NOT NULL,"
    " threads INTEGER NOT NULL,"
    " host TEXT NOT NULL,"
    " rejects INTEGER NOT NULL,"
    " PRIMARY KEY (set_size, started_at, run_id))";

// Columns added since the first schema, with their types: a table made
// before them gets them on open (ALTER TABLE), its rows reading as NULL there.
constexpr std::pair<const char*, const char*> kAddedColumns[] = {
    {"mode", "TEXT"}, {"detector_id", "TEXT"}, {"map_50", "REAL"}, {"heldout_map_50", "REAL"}, {"face_recall", "REAL"}};

constexpr const char* kColumns =
    "set_size, started_at, run_id, images, objects, seconds, accuracy, heldout_objects, heldout_accuracy, "
    "throughput, model_id, threads, host, rejects, mode, detector_id, map_50, heldout_map_50, face_recall";

// The insert's placeholders: "?" for each of kColumns.
std::string placeholders() {
  std::string p = "?";
  for (const char* c = kColumns; *c; ++c)
    if (*c == ',') p += ",?";
  return p;
}

using Statement = std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)>;

// Non-finite numbers are stored as NULL and read back as NaN.
void bind_real(sqlite3_stmt* st, int index, double value) {
  if (std::isfinite(value))
    sqlite3_bind_double(st, index, value);
  else
    sqlite3_bind_null(st, index);
}

double column_real(sqlite3_stmt* st, int index) {
  if (sqlite3_column_type(st, index) == SQLITE_NULL) return std::numeric_limits<double>::quiet_NaN();
  return sqlite3_column_double(st, index);
}

std::string column_text(sqlite3_stmt* st, int index) {
  auto text = sqlite3_column_text(st, index);
  return text ? std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(st, index)) : std::string();
}

void bind_text(sqlite3_stmt* st, int index, const std::string& value) {
  sqlite3_bind_text(st, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
}

}  // namespace

SqliteTable::SqliteTable(const std::string& path) {
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
    exec(kCreate, "cannot create the benchmark table");
    add_missing_columns();
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

SqliteTable::~SqliteTable() { sqlite3_close(db_); }

void SqliteTable::fail(const std::string& what) const { throw Error(uri(), what + ": " + sqlite3_errmsg(db_)); }

void SqliteTable::exec(const char* sql, const std::string& what) const {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string reason = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    throw Error(uri(), what + ": " + reason);
  }
}

void SqliteTable::add_missing_columns() const {
  std::set<std::string> have;
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, "PRAGMA table_info(benchmark)", -1, &raw, nullptr) != SQLITE_OK)
    fail("cannot read the table's columns");
  Statement st(raw, &sqlite3_finalize);
  while (sqlite3_step(raw) == SQLITE_ROW) have.insert(column_text(raw, 1));
  for (const auto& [name, type] : kAddedColumns)
    if (!have.count(name)) {
      const std::string sql = std::string("ALTER TABLE benchmark ADD COLUMN ") + name + " " + type;
      exec(sql.c_str(), std::string("cannot add the column ") + name);
    }
}

void SqliteTable::put(const BenchmarkRecord& r) {
  if (r.run_id.empty() || r.started_at.empty()) throw Error(uri(), "a record needs a run_id and a started_at");
  const std::string sql = std::string("INSERT INTO benchmark (") + kColumns + ") VALUES (" + placeholders() + ")";
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) fail("cannot prepare the insert");
  Statement st(raw, &sqlite3_finalize);
  sqlite3_bind_int(raw, 1, r.set_size);
  bind_text(raw, 2, r.started_at);
  bind_text(raw, 3, r.run_id);
  sqlite3_bind_int(raw, 4, r.images);
  sqlite3_bind_int(raw, 5, r.objects);
  bind_real(raw, 6, r.seconds);
  bind_real(raw, 7, r.accuracy);
  sqlite3_bind_int(raw, 8, r.heldout_objects);
  bind_real(raw, 9, r.heldout_accuracy);
  bind_real(raw, 10, r.throughput);
  bind_text(raw, 11, r.model_id);
  sqlite3_bind_int(raw, 12, r.threads);
  bind_text(raw, 13, r.host);
  sqlite3_bind_int(raw, 14, r.rejects);
  bind_text(raw, 15, r.mode);
  bind_text(raw, 16, r.detector_id);
  bind_real(raw, 17, r.map_50);
  bind_real(raw, 18, r.heldout_map_50);
  bind_real(raw, 19, r.face_recall);
  int rc = sqlite3_step(raw);
  if (rc == SQLITE_CONSTRAINT)
    throw Error(uri(), "a record for set size " + std::to_string(r.set_size) + ", run " + r.run_id + " started at " +
                           r.started_at + " is already there");
  if (rc != SQLITE_DONE) fail("cannot insert");
}

std::vector<BenchmarkRecord> SqliteTable::history(std::optional<int> set_size) const {
  std::string sql = std::string("SELECT ") + kColumns + " FROM benchmark";
  if (set_size) sql += " WHERE set_size = ?";
  sql += " ORDER BY started_at, set_size, run_id";
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) fail("cannot prepare the query");
  Statement st(raw, &sqlite3_finalize);
  if (set_size) sqlite3_bind_int(raw, 1, *set_size);
  std::vector<BenchmarkRecord> out;
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    BenchmarkRecord r;
    r.set_size = sqlite3_column_int(raw, 0);
    r.started_at = column_text(raw, 1);
    r.run_id = column_text(raw, 2);
    r.images = sqlite3_column_int(raw, 3);
    r.objects = sqlite3_column_int(raw, 4);
    r.seconds = column_real(raw, 5);
    r.accuracy = column_real(raw, 6);
    r.heldout_objects = sqlite3_column_int(raw, 7);
    r.heldout_accuracy = column_real(raw, 8);
    r.throughput = column_real(raw, 9);
    r.model_id = column_text(raw, 10);
    r.threads = sqlite3_column_int(raw, 11);
    r.host = column_text(raw, 12);
    r.rejects = sqlite3_column_int(raw, 13);
    if (sqlite3_column_type(raw, 14) != SQLITE_NULL) r.mode = column_text(raw, 14);  // older rows: boxes
    r.detector_id = column_text(raw, 15);
    r.map_50 = column_real(raw, 16);
    r.heldout_map_50 = column_real(raw, 17);
    r.face_recall = column_real(raw, 18);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) fail("cannot read the history");
  return out;
}

}  // namespace mw
