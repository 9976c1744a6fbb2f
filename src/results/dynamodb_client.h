// One DynamoDB table over its JSON protocol (aws/json_client.h):
// the table described, created (on-demand billing) when missing and waited
// for until ACTIVE, its key schema checked; calls with throttling retried;
// errors named by table and operation. The results tables are built on it.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "aws/json_client.h"

namespace mw {

struct DynamoOptions {
  std::string endpoint;                 // empty: AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, then AWS's own
  std::string region;                   // empty: from the environment
  int page_limit = 0;                   // items per Query/Scan page; 0 leaves it to DynamoDB
  double create_timeout_seconds = 120;  // how long to wait for a new table to become ACTIVE
  double poll_seconds = 0.5;            // between DescribeTable calls while waiting
};

// A table's primary key: the partition key and an optional sort key, with
// their DynamoDB types ("S", "N").
struct DynamoKey {
  std::string hash, hash_type = "S";
  std::string range, range_type = "S";
};

class DynamoClient {
 public:
  using Reply = aws::JsonClient::Reply;

  // Describes the table, creates it with `key` when missing and waits until it is ACTIVE.
  DynamoClient(std::string table, DynamoKey key, DynamoOptions options = {});

  // One call (op: "PutItem", "Query", ...) with TableName added; the reply as it came.
  Reply send(const std::string& op, nlohmann::json body) const;
  // As send, and throws mw::Error naming the table and the operation on an error response.
  nlohmann::json call(const std::string& op, const nlohmann::json& body) const;
  [[noreturn]] void fail(const std::string& op, const Reply& reply) const;
  // Every item of a Scan or Query, page after page (ConsistentRead, DynamoOptions::page_limit).
  nlohmann::json read_pages(const std::string& op, nlohmann::json request) const;

  std::string uri() const { return "dynamodb://" + table_; }
  const std::string& table() const { return table_; }
  const std::string& endpoint() const { return client_.endpoint(); }

 private:
  void create();
  void wait_until_active() const;
  void check_key_schema(const nlohmann::json& description) const;
  nlohmann::json key_schema() const;

  std::string table_;
  DynamoKey key_;
  DynamoOptions options_;
  aws::JsonClient client_;
};

// The endpoint DynamoClient uses when DynamoOptions::endpoint is empty.
std::string dynamodb_endpoint_from_env(const std::string& region);

// Attribute values: {"N": "..."} and {"S": "..."}; numbers in their shortest exact text.
nlohmann::json dynamo_number(double v);
nlohmann::json dynamo_number(long long v);
nlohmann::json dynamo_text(const std::string& v);

// Reads an item's attributes, each error naming the attribute and `where`.
class ItemReader {
 public:
  ItemReader(const nlohmann::json& item, std::string where) : item_(item), where_(std::move(where)) {}
  std::string text(const char* name) const { return attribute(name, "S", "a string"); }
  double real(const char* name) const;  // NaN when absent
  int integer(const char* name) const;  // 0 when absent

 private:
  std::string attribute(const char* name, const char* type, const char* kind) const;
  template <class T>
  T parse(const char* name, const std::string& n) const;
  const nlohmann::json& item_;
  std::string where_;
};

}  // namespace mw
