#include "results/dynamodb_table.h"

#include <algorithm>
#include <cmath>

#include "maskwatch.h"

namespace mw {

using nlohmann::json;

namespace {

json number(long long v) { return dynamo_number(v); }
json text(const std::string& v) { return dynamo_text(v); }
// The sort key: started_at sorts first, run_id keeps two runs started in the same second apart.
std::string run_key(const BenchmarkRecord& r) { return r.started_at + "#" + r.run_id; }

json to_item(const BenchmarkRecord& r) {
  json item = {{"set_size", number(r.set_size)},
               {"run", text(run_key(r))},
               {"run_id", text(r.run_id)},
               {"started_at", text(r.started_at)},
               {"images", number(r.images)},
               {"objects", number(r.objects)},
               {"heldout_objects", number(r.heldout_objects)},
               {"threads", number(r.threads)},
               {"rejects", number(r.rejects)}};
  // DynamoDB has no NaN or infinity: a non-finite number is left out and reads back as NaN.
  auto real = [&](const char* name, double v) {
    if (std::isfinite(v)) item[name] = dynamo_number(v);
  };
  real("seconds", r.seconds);
  real("accuracy", r.accuracy);
  real("heldout_accuracy", r.heldout_accuracy);
  real("throughput", r.throughput);
  real("map_50", r.map_50);
  real("heldout_map_50", r.heldout_map_50);
  real("face_recall", r.face_recall);
  // Empty strings are left out too (older DynamoDB versions refuse them).
  if (!r.model_id.empty()) item["model_id"] = text(r.model_id);
  if (!r.host.empty()) item["host"] = text(r.host);
  item["mode"] = text(r.mode);
  if (!r.detector_id.empty()) item["detector_id"] = text(r.detector_id);
  return item;
}

BenchmarkRecord from_item(const json& item, const std::string& where) {
  ItemReader in(item, where);
  BenchmarkRecord r;
  r.set_size = in.integer("set_size");
  r.run_id = in.text("run_id");
  r.started_at = in.text("started_at");
  r.images = in.integer("images");
  r.objects = in.integer("objects");
  r.seconds = in.real("seconds");
  r.accuracy = in.real("accuracy");
  r.heldout_objects = in.integer("heldout_objects");
  r.heldout_accuracy = in.real("heldout_accuracy");
  r.throughput = in.real("throughput");
  r.model_id = in.text("model_id");
  r.threads = in.integer("threads");
  r.host = in.text("host");
  r.rejects = in.integer("rejects");
  if (auto mode = in.text("mode"); !mode.empty()) r.mode = mode;  // records from before modes: boxes
  r.detector_id = in.text("detector_id");
  r.map_50 = in.real("map_50");
  r.heldout_map_50 = in.real("heldout_map_50");
  r.face_recall = in.real("face_recall");
  return r;
}

}  // namespace

DynamoTable::DynamoTable(std::string table, DynamoOptions options)
    : client_(std::move(table), DynamoKey{"set_size", "N", "run", "S"}, std::move(options)) {}

void DynamoTable::put(const BenchmarkRecord& record) {
  if (record.run_id.empty() || record.started_at.empty())
    throw Error(uri(), "a record needs a run_id and a started_at");
  json request = {{"Item", to_item(record)},
                  {"ConditionExpression", "attribute_not_exists(#run)"},
                  {"ExpressionAttributeNames", {{"#run", "run"}}}};
  auto reply = client_.send("PutItem", request);
  if (reply.type == "ConditionalCheckFailedException") {
    // A retried PutItem whose first attempt was applied fails its own condition:
    // when the stored item is this record, the write did happen.
    const json item = to_item(record);
    auto stored = client_.call("GetItem", {{"Key", {{"set_size", item.at("set_size")}, {"run", item.at("run")}}},
                                   {"ConsistentRead", true}});
    if (stored.contains("Item") && stored["Item"] == item) return;
    throw Error(uri() + " PutItem", "a record for set size " + std::to_string(record.set_size) + ", run " +
                                        record.run_id + " started at " + record.started_at + " is already there");
  }
  if (reply.status != 200) client_.fail("PutItem", reply);
}

std::vector<BenchmarkRecord> DynamoTable::read_pages(const std::string& op, json request) const {
  std::vector<BenchmarkRecord> out;
  for (const auto& item : client_.read_pages(op, std::move(request))) out.push_back(from_item(item, uri() + " " + op));
  std::sort(out.begin(), out.end(), [](const BenchmarkRecord& a, const BenchmarkRecord& b) {
    if (a.started_at != b.started_at) return a.started_at < b.started_at;
    if (a.set_size != b.set_size) return a.set_size < b.set_size;
    return a.run_id < b.run_id;
  });
  return out;
}

std::vector<BenchmarkRecord> DynamoTable::history(std::optional<int> set_size) const {
  if (!set_size) return read_pages("Scan", json::object());
  return read_pages("Query", {{"KeyConditionExpression", "#size = :size"},
                              {"ExpressionAttributeNames", {{"#size", "set_size"}}},
                              {"ExpressionAttributeValues", {{":size", number(*set_size)}}}});
}

}  // namespace mw
