#include "results/dynamodb_client.h"

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

json dynamo_number(double v) { return {{"N", number_text(v)}}; }
json dynamo_number(long long v) { return {{"N", std::to_string(v)}}; }
json dynamo_text(const std::string& v) { return {{"S", v}}; }

std::string ItemReader::attribute(const char* name, const char* type, const char* kind) const {
  auto it = item_.find(name);
  if (it == item_.end()) return "";
  if (!it->is_object() || !it->contains(type) || !(*it)[type].is_string())
    throw Error(where_, std::string("attribute '") + name + "' is not " + kind);
  return (*it)[type].get<std::string>();
}

double ItemReader::real(const char* name) const {
  auto n = attribute(name, "N", "a number");
  return n.empty() ? std::numeric_limits<double>::quiet_NaN() : parse<double>(name, n);
}

int ItemReader::integer(const char* name) const {
  auto n = attribute(name, "N", "a number");
  return n.empty() ? 0 : parse<int>(name, n);
}

template <class T>
T ItemReader::parse(const char* name, const std::string& n) const {
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

std::string dynamodb_endpoint_from_env(const std::string& region) {
  if (auto e = aws::endpoint_from_env("dynamodb"); !e.empty()) return e;
  return "https://dynamodb." + region + ".amazonaws.com";
}

DynamoClient::DynamoClient(std::string table, DynamoKey key, DynamoOptions options)
    : table_(std::move(table)), key_(std::move(key)), options_(std::move(options)) {
  region_ = options_.region.empty() ? aws::region_from_env() : options_.region;
  std::string endpoint = options_.endpoint.empty() ? dynamodb_endpoint_from_env(region_) : options_.endpoint;
  const auto e = aws::parse_endpoint(endpoint, uri());
  host_ = e.host;
  path_ = e.path.empty() ? "/" : e.path;
  endpoint_ = e.origin;
  credentials_ = aws::credentials_from_env();

  auto described = send("DescribeTable", json::object());
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

json DynamoClient::key_schema() const {
  json schema = json::array({{{"AttributeName", key_.hash}, {"KeyType", "HASH"}}});
  if (!key_.range.empty()) schema.push_back({{"AttributeName", key_.range}, {"KeyType", "RANGE"}});
  return schema;
}

void DynamoClient::check_key_schema(const json& description) const {
  json schema = description.contains("Table") ? description["Table"].value("KeySchema", json()) : json();
  if (schema == key_schema()) return;
  std::string want = key_.hash + " (HASH, " + key_.hash_type + ")";
  if (!key_.range.empty()) want += " and " + key_.range + " (RANGE, " + key_.range_type + ")";
  throw Error(uri(), "the table exists with another key schema (" + schema.dump() + "); this table needs " + want);
}

void DynamoClient::create() {
  json attributes = json::array({{{"AttributeName", key_.hash}, {"AttributeType", key_.hash_type}}});
  if (!key_.range.empty()) attributes.push_back({{"AttributeName", key_.range}, {"AttributeType", key_.range_type}});
  json request = {
      {"AttributeDefinitions", attributes}, {"KeySchema", key_schema()}, {"BillingMode", "PAY_PER_REQUEST"}};
  auto created = send("CreateTable", request);
  // ResourceInUseException: another process created it first.
  if (created.status != 200 && created.type != "ResourceInUseException") fail("CreateTable", created);
}

void DynamoClient::wait_until_active() const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(options_.create_timeout_seconds);
  for (;;) {
    auto described = call("DescribeTable", json::object());
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

DynamoClient::Reply DynamoClient::send(const std::string& op, json body) const {
  if (!body.contains("TableName")) body["TableName"] = table_;
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

[[noreturn]] void DynamoClient::fail(const std::string& op, const Reply& reply) const {
  std::string reason = reply.type.empty() ? "HTTP " + std::to_string(reply.status) : reply.type;
  if (!reply.message.empty()) reason += ": " + reply.message;
  throw Error(uri() + " " + op, reason);
}

json DynamoClient::call(const std::string& op, const json& body) const {
  auto reply = send(op, body);
  if (reply.status != 200) fail(op, reply);
  return reply.body;
}

json DynamoClient::read_pages(const std::string& op, json request) const {
  json items = json::array();
  request["ConsistentRead"] = true;
  if (options_.page_limit > 0) request["Limit"] = options_.page_limit;
  for (;;) {
    auto page = call(op, request);
    for (auto& item : page.value("Items", json::array())) items.push_back(std::move(item));
    if (!page.contains("LastEvaluatedKey")) break;
    request["ExclusiveStartKey"] = page["LastEvaluatedKey"];
  }
  return items;
}

}  // namespace mw
