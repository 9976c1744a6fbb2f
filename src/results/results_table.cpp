#include "results/results_table.h"

#include "maskwatch.h"
#include "results/dynamodb_table.h"
#include "results/sqlite_table.h"

namespace mw {

std::unique_ptr<ResultsTable> open_results(const std::string& uri) {
  const std::string sqlite = "sqlite://", dynamodb = "dynamodb://";
  if (uri.rfind(sqlite, 0) == 0) {
    auto path = uri.substr(sqlite.size());
    if (path.empty()) throw Error(uri, "no database file (sqlite:///abs/path.db or sqlite://relative.db)");
    return std::make_unique<SqliteTable>(path);
  }
  if (uri.rfind(dynamodb, 0) == 0) {
    auto table = uri.substr(dynamodb.size());
    if (!table.empty() && table.back() == '/') table.pop_back();
    if (table.find('/') != std::string::npos) throw Error(uri, "a DynamoDB table name has no '/'");
    return std::make_unique<DynamoTable>(table.empty() ? "benchmark" : table);
  }
  auto colon = uri.find("://");
  std::string scheme = colon == std::string::npos ? "" : uri.substr(0, colon);
  throw Error(uri, (scheme.empty() ? std::string("not a results table URI") : "unsupported scheme '" + scheme + "'") +
                       " (use sqlite:///abs/path.db, sqlite://relative.db or dynamodb://TABLE)");
}

json to_json(const BenchmarkRecord& r) {
  return {{"run_id", r.run_id},
          {"started_at", r.started_at},
          {"set_size", r.set_size},
          {"images", r.images},
          {"objects", r.objects},
          {"seconds", r.seconds},
          {"accuracy", r.accuracy},
          {"heldout_objects", r.heldout_objects},
          {"heldout_accuracy", r.heldout_accuracy},
          {"objects_per_second", r.throughput},
          {"model", r.model_id},
          {"threads", r.threads},
          {"host", r.host},
          {"rejects", r.rejects},
          {"mode", r.mode},
          {"detector", r.detector_id.empty() ? json(nullptr) : json(r.detector_id)},
          {"map_50", r.map_50},
          {"heldout_map_50", r.heldout_map_50},
          {"face_recall", r.face_recall}};
}

}  // namespace mw
