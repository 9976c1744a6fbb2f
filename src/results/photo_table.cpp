#include "results/photo_table.h"

#include "results/dynamodb_photos.h"
#include "results/sqlite_photos.h"

namespace mw {

std::map<std::string, int> PhotoRecord::counts() const {
  std::map<std::string, int> out;
  for (const auto& f : faces) ++out[f.label];
  return out;
}

bool PhotoQuery::matches(const PhotoRecord& r) const {
  if (failed && !r.failed()) return false;
  if (!since.empty() && r.labelled_at < since) return false;
  if (!label.empty() && r.counts().count(label) == 0) return false;
  return true;
}

std::unique_ptr<PhotoTable> open_photo_table(const std::string& uri) {
  const std::string sqlite = "sqlite://", dynamodb = "dynamodb://";
  if (uri.rfind(sqlite, 0) == 0) {
    auto path = uri.substr(sqlite.size());
    if (path.empty()) throw Error(uri, "no database file (sqlite:///abs/path.db or sqlite://relative.db)");
    return std::make_unique<SqlitePhotoTable>(path);
  }
  if (uri.rfind(dynamodb, 0) == 0) {
    auto table = uri.substr(dynamodb.size());
    if (!table.empty() && table.back() == '/') table.pop_back();
    if (table.find('/') != std::string::npos) throw Error(uri, "a DynamoDB table name has no '/'");
    return std::make_unique<DynamoPhotoTable>(table.empty() ? "photos" : table);
  }
  throw Error(uri, "not a photo table URI (use sqlite:///abs/path.db, sqlite://relative.db or dynamodb://TABLE)");
}

std::string photos_uri_for(const std::string& results_uri) {
  const std::string dynamodb = "dynamodb://";
  if (results_uri.rfind(dynamodb, 0) != 0) return results_uri;
  auto table = results_uri.substr(dynamodb.size());
  return dynamodb + (table.empty() ? "benchmark" : table) + "-photos";
}

json faces_to_json(const std::vector<PhotoFace>& faces) {
  json out = json::array();
  for (const auto& f : faces)
    out.push_back({{"box", {f.box.xmin, f.box.ymin, f.box.xmax, f.box.ymax}},
                   {"label", f.label},
                   {"confidence", f.confidence},
                   {"face_score", f.face_score}});
  return out;
}

std::vector<PhotoFace> faces_from_json(const json& j, const std::string& where) {
  std::vector<PhotoFace> out;
  try {
    for (const auto& f : j) {
      const auto& b = f.at("box");
      PhotoFace face;
      face.box = {b.at(0).get<float>(), b.at(1).get<float>(), b.at(2).get<float>(), b.at(3).get<float>()};
      face.label = f.at("label").get<std::string>();
      face.confidence = f.at("confidence").get<float>();
      face.face_score = f.at("face_score").get<float>();
      out.push_back(std::move(face));
    }
  } catch (const json::exception& e) {
    throw Error(where, std::string("faces are not as recorded: ") + e.what());
  }
  return out;
}

json to_json(const PhotoRecord& r) {
  json counts = json::object();
  for (const auto& [label, n] : r.counts()) counts[label] = n;
  json out = {{"uri", r.uri},
              {"etag", r.etag},
              {"bytes", r.bytes},
              {"width", r.width},
              {"height", r.height},
              {"faces", faces_to_json(r.faces)},
              {"counts", counts},
              {"classifier", r.classifier_id},
              {"detector", r.detector_id},
              {"milliseconds", r.milliseconds},
              {"labelled_at", r.labelled_at},
              {"error", r.failed() ? json(r.error) : json(nullptr)}};
  if (!r.sequencer.empty()) out["sequencer"] = r.sequencer;
  return out;
}

PhotoRecord photo_record_from_json(const json& j, const std::string& where) {
  PhotoRecord r;
  try {
    r.uri = j.at("uri").get<std::string>();
    r.etag = j.at("etag").get<std::string>();
    r.sequencer = j.value("sequencer", "");
    r.bytes = j.at("bytes").get<std::uint64_t>();
    r.width = j.at("width").get<int>();
    r.height = j.at("height").get<int>();
    r.classifier_id = j.at("classifier").get<std::string>();
    r.detector_id = j.at("detector").get<std::string>();
    r.milliseconds = j.at("milliseconds").get<double>();
    r.labelled_at = j.at("labelled_at").get<std::string>();
    if (j.at("error").is_string()) r.error = j["error"].get<std::string>();
  } catch (const json::exception& e) {
    throw Error(where, std::string("not a photo record: ") + e.what());
  }
  r.faces = faces_from_json(j.at("faces"), where);
  return r;
}

PhotoSummary summarize(const std::vector<PhotoRecord>& records) {
  PhotoSummary s;
  for (const auto& r : records) {
    ++s.photos;
    if (r.failed()) ++s.failed;
    s.faces += static_cast<long>(r.faces.size());
    for (const auto& [label, n] : r.counts()) s.faces_per_label[label] += n;
  }
  return s;
}

std::string summary_line(const PhotoSummary& s) {
  std::string line = std::to_string(s.photos) + " photo" + (s.photos == 1 ? "" : "s") + ", " +
                     std::to_string(s.faces) + " face" + (s.faces == 1 ? "" : "s");
  if (!s.faces_per_label.empty()) {
    std::string per;
    for (const auto& [label, n] : s.faces_per_label) per += (per.empty() ? "" : ", ") + label + " " + std::to_string(n);
    line += " (" + per + ")";
  }
  return line + ", " + std::to_string(s.failed) + " failed";
}

}  // namespace mw
