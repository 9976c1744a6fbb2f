#include "results/sqlite_table.h"

#include <sqlite3.h>

#include <iterator>
#include <utility>

#include "maskwatch.h"

namespace mw {

namespace {

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

}  // namespace

SqliteTable::SqliteTable(const std::string& path) : db_(path) {
  db_.exec(kCreate, "cannot create the benchmark table");
  db_.add_missing_columns("benchmark", kAddedColumns, static_cast<int>(std::size(kAddedColumns)));
}

void SqliteTable::put(const BenchmarkRecord& r) {
  if (r.run_id.empty() || r.started_at.empty()) throw Error(uri(), "a record needs a run_id and a started_at");
  const std::string sql = std::string("INSERT INTO benchmark (") + kColumns + ") VALUES (" + placeholders() + ")";
  auto st = db_.prepare(sql, "cannot prepare the insert");
  sqlite3_stmt* raw = st.get();
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
  if (rc != SQLITE_DONE) db_.fail("cannot insert");
}

std::vector<BenchmarkRecord> SqliteTable::history(std::optional<int> set_size) const {
  std::string sql = std::string("SELECT ") + kColumns + " FROM benchmark";
  if (set_size) sql += " WHERE set_size = ?";
  sql += " ORDER BY started_at, set_size, run_id";
  auto st = db_.prepare(sql, "cannot prepare the query");
  sqlite3_stmt* raw = st.get();
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
  if (rc != SQLITE_DONE) db_.fail("cannot read the history");
  return out;
}

}  // namespace mw
