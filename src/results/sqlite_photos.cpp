#include "results/sqlite_photos.h"

#include <sqlite3.h>

namespace mw {

namespace {

constexpr const char* kCreate =
    "CREATE TABLE IF NOT EXISTS photos ("
    " uri TEXT NOT NULL,"
    " etag TEXT NOT NULL,"
    " sequencer TEXT NOT NULL,"
    " bytes INTEGER NOT NULL,"
    " width INTEGER NOT NULL,"
    " height INTEGER NOT NULL,"
    " faces TEXT NOT NULL,"
    " counts TEXT NOT NULL,"
    " classifier_id TEXT NOT NULL,"
    " detector_id TEXT NOT NULL,"
    " milliseconds REAL,"
    " labelled_at TEXT NOT NULL,"
    " error TEXT,"
    " PRIMARY KEY (uri, etag))";

constexpr const char* kColumns =
    "uri, etag, sequencer, bytes, width, height, faces, counts, classifier_id, detector_id, milliseconds, "
    "labelled_at, error";

json counts_json(const PhotoRecord& r) {
  json counts = json::object();
  for (const auto& [label, n] : r.counts()) counts[label] = n;
  return counts;
}

PhotoRecord read_row(sqlite3_stmt* st, const std::string& where) {
  PhotoRecord r;
  r.uri = column_text(st, 0);
  r.etag = column_text(st, 1);
  r.sequencer = column_text(st, 2);
  r.bytes = static_cast<std::uint64_t>(sqlite3_column_int64(st, 3));
  r.width = sqlite3_column_int(st, 4);
  r.height = sqlite3_column_int(st, 5);
  const json faces = json::parse(column_text(st, 6), nullptr, false);
  r.faces = faces_from_json(faces, where + " " + r.uri);
  r.classifier_id = column_text(st, 8);
  r.detector_id = column_text(st, 9);
  r.milliseconds = column_real(st, 10);
  r.labelled_at = column_text(st, 11);
  r.error = column_text(st, 12);
  return r;
}

}  // namespace

SqlitePhotoTable::SqlitePhotoTable(const std::string& path) : db_(path) {
  // WAL with NORMAL sync: a commit survives the process being killed (a power
  // cut may lose the last few, which a resumed scan labels again).
  db_.exec("PRAGMA synchronous=NORMAL", "cannot set the sync mode");
  db_.exec(kCreate, "cannot create the photos table");
}

bool SqlitePhotoTable::put(const PhotoRecord& r) {
  if (r.uri.empty()) throw Error(uri(), "a photo record needs a uri");
  std::lock_guard<std::mutex> lock(mutex_);
  auto st = db_.prepare(std::string("INSERT OR IGNORE INTO photos (") + kColumns +
                            ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        "cannot prepare the insert");
  sqlite3_stmt* raw = st.get();
  bind_text(raw, 1, r.uri);
  bind_text(raw, 2, r.etag);
  bind_text(raw, 3, r.sequencer);
  sqlite3_bind_int64(raw, 4, static_cast<sqlite3_int64>(r.bytes));
  sqlite3_bind_int(raw, 5, r.width);
  sqlite3_bind_int(raw, 6, r.height);
  bind_text(raw, 7, faces_to_json(r.faces).dump());
  bind_text(raw, 8, counts_json(r).dump());
  bind_text(raw, 9, r.classifier_id);
  bind_text(raw, 10, r.detector_id);
  bind_real(raw, 11, r.milliseconds);
  bind_text(raw, 12, r.labelled_at);
  if (r.failed())
    bind_text(raw, 13, r.error);
  else
    sqlite3_bind_null(raw, 13);
  if (sqlite3_step(raw) != SQLITE_DONE) db_.fail("cannot record " + r.uri);
  return sqlite3_changes(db_.handle()) == 1;
}

bool SqlitePhotoTable::contains(const std::string& photo, const std::string& etag) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto st = db_.prepare("SELECT 1 FROM photos WHERE uri = ? AND etag = ?", "cannot prepare the lookup");
  bind_text(st.get(), 1, photo);
  bind_text(st.get(), 2, etag);
  int rc = sqlite3_step(st.get());
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) db_.fail("cannot look up " + photo);
  return rc == SQLITE_ROW;
}

std::vector<PhotoRecord> SqlitePhotoTable::list(const PhotoQuery& query) const {
  std::string sql = std::string("SELECT ") + kColumns + " FROM photos WHERE labelled_at >= ?";
  if (query.failed) sql += " AND error IS NOT NULL";
  sql += " ORDER BY uri, labelled_at";
  std::lock_guard<std::mutex> lock(mutex_);
  auto st = db_.prepare(sql, "cannot prepare the query");
  bind_text(st.get(), 1, query.since);
  std::vector<PhotoRecord> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    auto r = read_row(st.get(), uri());
    if (query.matches(r)) out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) db_.fail("cannot read the photos");
  return out;
}

}  // namespace mw
