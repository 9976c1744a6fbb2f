#include "results/dynamodb_photos.h"

#include <algorithm>
#include <cmath>

namespace mw {

using nlohmann::json;

namespace {

json to_item(const PhotoRecord& r) {
  json counts = json::object();
  for (const auto& [label, n] : r.counts()) counts[label] = dynamo_number(static_cast<long long>(n));
  json item = {{"uri", dynamo_text(r.uri)},
               {"etag", dynamo_text(r.etag)},
               {"bytes", dynamo_number(static_cast<long long>(r.bytes))},
               {"width", dynamo_number(static_cast<long long>(r.width))},
               {"height", dynamo_number(static_cast<long long>(r.height))},
               {"faces", dynamo_text(faces_to_json(r.faces).dump())},
               {"counts", {{"M", counts}}},
               {"labelled_at", dynamo_text(r.labelled_at)}};
  if (std::isfinite(r.milliseconds)) item["milliseconds"] = dynamo_number(r.milliseconds);
  // Empty strings are left out (older DynamoDB versions refuse them).
  auto optional_text = [&](const char* name, const std::string& v) {
    if (!v.empty()) item[name] = dynamo_text(v);
  };
  optional_text("sequencer", r.sequencer);
  optional_text("classifier_id", r.classifier_id);
  optional_text("detector_id", r.detector_id);
  optional_text("error", r.error);
  return item;
}

PhotoRecord from_item(const json& item, const std::string& where) {
  ItemReader in(item, where);
  PhotoRecord r;
  r.uri = in.text("uri");
  r.etag = in.text("etag");
  r.sequencer = in.text("sequencer");
  r.bytes = static_cast<std::uint64_t>(std::max(0.0, in.real("bytes")));
  r.width = in.integer("width");
  r.height = in.integer("height");
  const json faces = json::parse(in.text("faces"), nullptr, false);
  r.faces = faces_from_json(faces, where + " " + r.uri);
  r.classifier_id = in.text("classifier_id");
  r.detector_id = in.text("detector_id");
  r.milliseconds = in.real("milliseconds");
  r.labelled_at = in.text("labelled_at");
  r.error = in.text("error");
  return r;
}

json key_of(const std::string& uri, const std::string& etag) {
  return {{"uri", dynamo_text(uri)}, {"etag", dynamo_text(etag)}};
}

}  // namespace

DynamoPhotoTable::DynamoPhotoTable(std::string table, DynamoOptions options)
    : client_(std::move(table), DynamoKey{"uri", "S", "etag", "S"}, std::move(options)) {}

bool DynamoPhotoTable::put(const PhotoRecord& r) {
  if (r.uri.empty() || r.etag.empty()) throw Error(uri(), "a photo record needs a uri and an etag");
  auto reply = client_.send("PutItem", {{"Item", to_item(r)}, {"ConditionExpression", "attribute_not_exists(#uri)"},
                                        {"ExpressionAttributeNames", {{"#uri", "uri"}}}});
  if (reply.type == "ConditionalCheckFailedException") return false;
  if (reply.status != 200) client_.fail("PutItem", reply);
  return true;
}

bool DynamoPhotoTable::contains(const std::string& photo, const std::string& etag) const {
  auto got = client_.call("GetItem", {{"Key", key_of(photo, etag)},
                                      {"ConsistentRead", true},
                                      {"ProjectionExpression", "#uri"},
                                      {"ExpressionAttributeNames", {{"#uri", "uri"}}}});
  return got.contains("Item");
}

std::vector<PhotoRecord> DynamoPhotoTable::list(const PhotoQuery& query) const {
  std::vector<PhotoRecord> out;
  for (const auto& item : client_.read_pages("Scan", json::object())) {
    auto r = from_item(item, uri() + " Scan");
    if (query.matches(r)) out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const PhotoRecord& a, const PhotoRecord& b) {
    return a.uri != b.uri ? a.uri < b.uri : a.labelled_at < b.labelled_at;
  });
  return out;
}

}  // namespace mw
