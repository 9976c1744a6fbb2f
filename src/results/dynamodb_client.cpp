#include "results/dynamodb_client.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <thread>
#include <type_traits>

#include "core/json_text.h"
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

std::string table_status(const json& description) {
  return description.contains("Table") ? text_field(description["Table"], "TableStatus") : "";
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

const aws::JsonService kDynamoDb{"dynamodb", "dynamodb", "dynamodb", "DynamoDB_20120810"};

std::string dynamodb_endpoint_from_env(const std::string& region) {
  return aws::json_endpoint_from_env(kDynamoDb, region);
}

DynamoClient::DynamoClient(std::string table, DynamoKey key, DynamoOptions options)
    : table_(std::move(table)),
      key_(std::move(key)),
      options_(std::move(options)),
      client_(kDynamoDb, "dynamodb://" + table_, options_.endpoint, options_.region) {
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
  return client_.send(op, body);
}

[[noreturn]] void DynamoClient::fail(const std::string& op, const Reply& reply) const { client_.fail(op, reply); }

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
