// ResultsTable: the history of benchmark runs. One record per (set size, run);
// a later run never overwrites an earlier one.
//   sqlite:///path/results.db  (default: <store>/results.db for a file store)
//   dynamodb://TABLE           (AWS DynamoDB, or AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL)
#pragma once
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "maskwatch.h"

namespace mw {

struct BenchmarkRecord {
  std::string run_id;           // unique per run, shared by the sizes of one run
  std::string started_at;       // ISO-8601 UTC, e.g. 2026-11-24T20:00:00Z
  int set_size = 0;             // images asked for (the table's partition key)
  int images = 0;               // images classified
  int objects = 0;              // faces classified (the report's "size")
  double seconds = 0;           // end to end, model load included
  double accuracy = 0;          // on all objects (the report's "true_prediction")
  int heldout_objects = 0;      // objects from test-split images
  double heldout_accuracy = 0;  // accuracy on those alone
  double throughput = 0;        // objects per second
  std::string model_id;
  int threads = 0;
  std::string host;
  int rejects = 0;  // images that could not be read or decoded
  // How the faces were found: "boxes" (the annotated ones) or "detect" (the
  // face detector; then objects are the faces found, and the accuracies are
  // over those that match an annotated face at IoU 0.5).
  std::string mode = "boxes";
  std::string detector_id;  // detect: the detector's id ("pretrained" for the bundled one)
  // detect only (NaN otherwise): detect-then-classify mAP@0.5 at the
  // detector's operating point, over all the set's photos and over its
  // test-split photos; the share of annotated faces found.
  double map_50 = std::numeric_limits<double>::quiet_NaN();
  double heldout_map_50 = std::numeric_limits<double>::quiet_NaN();
  double face_recall = std::numeric_limits<double>::quiet_NaN();
};

class ResultsTable {
 public:
  virtual ~ResultsTable() = default;
  virtual void put(const BenchmarkRecord& record) = 0;
  // All records, oldest first; only those of one set size when given.
  virtual std::vector<BenchmarkRecord> history(std::optional<int> set_size = std::nullopt) const = 0;
  virtual std::string uri() const = 0;
};

// The record as JSON, with the names `maskwatch results --json` prints.
json to_json(const BenchmarkRecord& r);

// Opens (and creates when missing) a results table from a URI.
std::unique_ptr<ResultsTable> open_results(const std::string& uri);

}  // namespace mw
