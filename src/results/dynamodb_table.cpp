#include "results/dynamodb_table.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <thread>
#include <type_traits>

#include "aws/http_client.h"
#include "core/hash.h"
#include "maskwatch.h"

namespace mw {

using nlohmann::json;

namespace {

// Shortest text that reads back as the same double.
std::string number_text(double v) {
  char buf[32];
  for (int digits = 15; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

json number(long long v) { return {{"N", std::to_string(v)}}; }
json text(const std::string& v) { return {{"S", v}}; }

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
    if (std::isfinite(v)) item[name] = {{"N", number_text(v)}};
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

class ItemReader {
 public:
  ItemReader(const json& item, std::string where) : item_(item), where_(std::move(where)) {}
  std::string text(const char* name) const { return attribute(name, "S", "a string"); }
  double real(const char* name) const {
    auto n = raw_number(name);
    return n.empty() ? std::numeric_limits<double>::quiet_NaN() : parse<double>(name, n);
  }
  int integer(const char* name) const {
    auto n = raw_number(name);
    return n.empty() ? 0 : parse<int>(name, n);
  }

 private:
  std::string raw_number(const char* name) const { return attribute(name, "N", "a number"); }
  // The text of attribute `name` of DynamoDB type `type` ("S", "N"); "" when absent.
  std::string attribute(const char* name, const char* type, const char* kind) const {
    auto it = item_.find(name);
    if (it == item_.end()) return "";
    if (!it->is_object() || !it->contains(type) || !(*it)[type].is_string())
      throw Error(where_, std::string("attribute '") + name + "' is not " + kind);
    return (*it)[type].get<std::string>();
  }
  template <class T>
  T parse(const char* name, const std::string& n) const {
    try {
      std::size_t used = 0;
      T v;
      if constexpr (std::is_same_v<T, int>)
        v = std::stoi(n, &used);
      else
        v = std::stod(n, &used);
      if (used == n.size()) return v;
    } catch (const std::exception&) {
    }
    throw Error(where_, std::string("attribute '") + name + "' holds '" + n + "', not a number of the expected kind");
  }
  const json& item_;
  std::string where_;
};

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

json key_schema() {
  return json::array(
      {{{"AttributeName", "set_size"}, {"KeyType", "HASH"}}, {{"AttributeName", "run"}, {"KeyType", "RANGE"}}});
}

// Backoff with jitter for the throttling errors DynamoDB answers with HTTP 400.
double backoff_seconds(const aws::RetryPolicy& retry, int attempt) {
  thread_local std::mt19937 rng{std::random_device{}()};
  double cap = std::min(retry.max_delay_seconds, retry.base_delay_seconds * std::pow(2.0, attempt));
  return std::uniform_real_distribution<double>(cap / 2, cap)(rng);
}

std::string text_field(const json& object, const char* name) {
  if (!object.is_object()) return "";
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string table_status(const json& description) {
  return description.contains("Table") ? text_field(description["Table"], "TableStatus") : "";
}

bool is_throttling(const std::string& type) {
  return type == "ProvisionedThroughputExceededException" || type == "ThrottlingException" ||
         type == "RequestLimitExceeded";
}

}  // namespace

std::string dynamodb_endpoint_from_env(const std::string& region) {
  if (auto e = aws::endpoint_from_env("dynamodb"); !e.empty()) return e;
  return "https://dynamodb." + region + ".amazonaws.com";
}

DynamoTable::DynamoTable(std::string table, DynamoOptions options)
    : table_(std::move(table)), options_(std::move(options)) {
  region_ = options_.region.empty() ? aws::region_from_env() : options_.region;
  std::string endpoint = options_.endpoint.empty() ? dynamodb_endpoint_from_env(region_) : options_.endpoint;
  const auto e = aws::parse_endpoint(endpoint, uri());
  host_ = e.host;
  path_ = e.path.empty() ? "/" : e.path;
  endpoint_ = e.origin;
  credentials_ = aws::credentials_from_env();

  auto described = send("DescribeTable", {{"TableName", table_}});
  if (described.type == "ResourceNotFoundException") {
    create();
    wait_until_active();
    return;
  }
  if (described.status != 200) fail("DescribeTable", described);
  check_key_schema(described.body);
  // UPDATING tables serve reads and writes; CREATING ones (another process made it) are waited for.
  auto status = table_status(described.body);
  if (status != "ACTIVE" && status != "UPDATING") wait_until_active();
}

void DynamoTable::check_key_schema(const json& description) const {
  json schema = description.contains("Table") ? description["Table"].value("KeySchema", json()) : json();
  if (schema != key_schema())
    throw Error(uri(), "the table exists with another key schema (" + schema.dump() +
                           "); a results table needs set_size (HASH, N) and run (RANGE, S)");
}

void DynamoTable::create() {
  json request = {{"TableName", table_},
                  {"AttributeDefinitions", json::array({{{"AttributeName", "set_size"}, {"AttributeType", "N"}},
                                                        {{"AttributeName", "run"}, {"AttributeType", "S"}}})},
                  {"KeySchema", key_schema()},
                  {"BillingMode", "PAY_PER_REQUEST"}};
  auto created = send("CreateTable", request);
  // ResourceInUseException: another process created it first.
  if (created.status != 200 && created.type != "ResourceInUseException") fail("CreateTable", created);
}

void DynamoTable::wait_until_active() const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(options_.create_timeout_seconds);
  for (;;) {
    auto described = call("DescribeTable", {{"TableName", table_}});
    auto status = table_status(described);
    if (status == "ACTIVE") {
      check_key_schema(described);
      return;
    }
    if (std::chrono::steady_clock::now() >= deadline)
      throw Error(uri() + " DescribeTable", "the table is still " + status + " after waiting " +
                                                number_text(options_.create_timeout_seconds) +
                                                " s for it to be ACTIVE");
    std::this_thread::sleep_for(std::chrono::duration<double>(options_.poll_seconds));
  }
}

DynamoTable::Reply DynamoTable::send(const std::string& op, const json& body) const {
  aws::HttpRequest request;
  request.method = "POST";
  request.url = endpoint_ + path_;
  request.body = body.dump();
  const std::vector<std::pair<std::string, std::string>> own = {{"content-type", "application/x-amz-json-1.0"},
                                                                {"x-amz-target", "DynamoDB_20120810." + op}};
  auto payload_hash = sha256_hex(request.body);
  auto sign = [&](aws::HttpRequest& req) {
    aws::SignRequest s;
    s.method = req.method;
    s.host = host_;
    s.path = path_;
    s.headers = own;
    s.payload_sha256 = payload_hash;
    auto signature = aws::sign(s, credentials_, region_, "dynamodb", aws::amz_date_now());
    req.headers = std::move(signature.headers);  // the signed ones, then authorization
  };

  aws::RetryPolicy retry;
  Reply reply;
  for (int attempt = 1;; ++attempt) {
    aws::HttpResponse response;
    try {
      response = aws::send(request, retry, sign);
    } catch (const Error& e) {
      throw Error(uri() + " " + op, e.what());
    }
    reply = Reply{response.status, json(), "", ""};
    if (!response.body.empty()) {
      reply.body = json::parse(response.body, nullptr, false);
      if (reply.body.is_discarded())
        throw Error(uri() + " " + op, "HTTP " + std::to_string(response.status) +
                                          " with a body that is not JSON: " + response.body.substr(0, 200));
    }
    if (response.status == 200) return reply;
    // {"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "message": "..."}
    auto type = text_field(reply.body, "__type");
    reply.type = type.substr(type.find('#') + 1);  // the whole name when it has no '#'
    reply.message = text_field(reply.body, "message");
    if (reply.message.empty()) reply.message = text_field(reply.body, "Message");
    if (!is_throttling(reply.type) || attempt >= retry.max_attempts) return reply;
    std::this_thread::sleep_for(std::chrono::duration<double>(backoff_seconds(retry, attempt)));
  }
}

[[noreturn]] void DynamoTable::fail(const std::string& op, const Reply& reply) const {
  std::string reason = reply.type.empty() ? "HTTP " + std::to_string(reply.status) : reply.type;
  if (!reply.message.empty()) reason += ": " + reply.message;
  throw Error(uri() + " " + op, reason);
}

json DynamoTable::call(const std::string& op, const json& body) const {
  auto reply = send(op, body);
  if (reply.status != 200) fail(op, reply);
  return reply.body;
}

void DynamoTable::put(const BenchmarkRecord& record) {
  if (record.run_id.empty() || record.started_at.empty())
    throw Error(uri(), "a record needs a run_id and a started_at");
  json request = {{"TableName", table_},
                  {"Item", to_item(record)},
                  {"ConditionExpression", "attribute_not_exists(#run)"},
                  {"ExpressionAttributeNames", {{"#run", "run"}}}};
  auto reply = send("PutItem", request);
  if (reply.type == "ConditionalCheckFailedException") {
    // A retried PutItem whose first attempt was applied fails its own condition:
    // when the stored item is this record, the write did happen.
    const json item = to_item(record);
    auto stored = call("GetItem", {{"TableName", table_},
                                   {"Key", {{"set_size", item.at("set_size")}, {"run", item.at("run")}}},
                                   {"ConsistentRead", true}});
    if (stored.contains("Item") && stored["Item"] == item) return;
    throw Error(uri() + " PutItem", "a record for set size " + std::to_string(record.set_size) + ", run " +
                                        record.run_id + " started at " + record.started_at + " is already there");
  }
  if (reply.status != 200) fail("PutItem", reply);
}

std::vector<BenchmarkRecord> DynamoTable::read_pages(const std::string& op, json request) const {
  std::vector<BenchmarkRecord> out;
  request["TableName"] = table_;
  request["ConsistentRead"] = true;
  if (options_.page_limit > 0) request["Limit"] = options_.page_limit;
  for (;;) {
    auto page = call(op, request);
    for (const auto& item : page.value("Items", json::array())) out.push_back(from_item(item, uri() + " " + op));
    if (!page.contains("LastEvaluatedKey")) break;
    request["ExclusiveStartKey"] = page["LastEvaluatedKey"];
  }
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
