// PhotoTable: one record per photo version (object URI + ETag): its size, the
// faces found and labelled, counts per label, the models' ids, the time it
// took, or the reason it could not be labelled. A second put of the same
// version leaves the first record (S3 delivers events at least once).
//   sqlite:///path/results.db  table `photos`, beside the benchmark records
//   dynamodb://TABLE           partition key `uri` (S), sort key `etag` (S)
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "maskwatch.h"

namespace mw {

struct PhotoFace {
  Box box;
  std::string label;  // the best guess
  float confidence = 0;
  float face_score = 0;
};

struct PhotoRecord {
  std::string uri;        // s3://bucket/key, or file:///abs/path for a photo in a folder
  std::string etag;       // the version that was read (store/object_store.h ObjectInfo::etag)
  std::string sequencer;  // the S3 event's sequencer; "" from a scan
  std::uint64_t bytes = 0;
  int width = 0, height = 0;
  std::vector<PhotoFace> faces;  // best face first
  std::string classifier_id, detector_id;
  double milliseconds = 0;  // read, decode, detect and classify
  std::string labelled_at;  // ISO-8601 UTC
  std::string error;        // why the photo could not be labelled; "" when it was
  bool failed() const { return !error.empty(); }
  std::map<std::string, int> counts() const;  // faces per label
};

struct PhotoQuery {
  std::string label;  // only photos with a face of this label
  std::string since;  // only records labelled at or after this ISO-8601 time
  bool failed = false;  // only photos that could not be labelled
  bool matches(const PhotoRecord& r) const;
};

class PhotoTable {
 public:
  virtual ~PhotoTable() = default;
  // Writes the record; false (and the table unchanged) when this version of
  // the photo is already recorded.
  virtual bool put(const PhotoRecord& record) = 0;
  virtual bool contains(const std::string& uri, const std::string& etag) const = 0;
  // The matching records, ordered by URI then labelled_at.
  virtual std::vector<PhotoRecord> list(const PhotoQuery& query = {}) const = 0;
  virtual std::string uri() const = 0;
};

// Opens (and creates when missing) a photo table: sqlite://... or dynamodb://TABLE.
std::unique_ptr<PhotoTable> open_photo_table(const std::string& uri);
// Where the photos go when only the benchmark table is named: the same SQLite
// file; a DynamoDB table of their own, "<TABLE>-photos".
std::string photos_uri_for(const std::string& results_uri);

// The record as JSON (`results --photos --json`, `scan --jsonl`), and back.
json to_json(const PhotoRecord& r);
PhotoRecord photo_record_from_json(const json& j, const std::string& where);
// The faces alone, as the tables store them.
json faces_to_json(const std::vector<PhotoFace>& faces);
std::vector<PhotoFace> faces_from_json(const json& j, const std::string& where);

struct PhotoSummary {
  long photos = 0, failed = 0, faces = 0;
  std::map<std::string, long> faces_per_label;
};
PhotoSummary summarize(const std::vector<PhotoRecord>& records);
// "12 photos, 30 faces (with_mask 20, without_mask 8, mask_weared_incorrect 2), 1 failed"
std::string summary_line(const PhotoSummary& s);

}  // namespace mw
