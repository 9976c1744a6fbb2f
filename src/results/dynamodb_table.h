// dynamodb:// results table: DynamoDB's JSON protocol over the AWS HTTP client,
// signed with SigV4. Partition key `set_size` (N), sort key `run` (S) =
// started_at + "#" + run_id; the table is created (on-demand billing) when missing.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "aws/sigv4.h"
#include "results/results_table.h"

namespace mw {

struct DynamoOptions {
  std::string endpoint;                 // empty: AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, then AWS's own
  std::string region;                   // empty: from the environment
  int page_limit = 0;                   // items per Query/Scan page; 0 leaves it to DynamoDB
  double create_timeout_seconds = 120;  // how long to wait for a new table to become ACTIVE
  double poll_seconds = 0.5;            // between DescribeTable calls while waiting
};

class DynamoTable : public ResultsTable {
 public:
  // Describes the table, creates it when missing and waits until it is ACTIVE.
  explicit DynamoTable(std::string table, DynamoOptions options = {});

  // Throws mw::Error when a record with the same key is already there.
  void put(const BenchmarkRecord& record) override;
  std::vector<BenchmarkRecord> history(std::optional<int> set_size = std::nullopt) const override;
  std::string uri() const override { return "dynamodb://" + table_; }
  const std::string& endpoint() const { return endpoint_; }

  // One call of the JSON protocol (op: "DescribeTable", "PutItem", ...). Throws
  // mw::Error naming the table and the operation on an error response.
  nlohmann::json call(const std::string& op, const nlohmann::json& body) const;

 private:
  struct Reply {
    long status = 0;
    nlohmann::json body;
    std::string type;  // the error's short name (ResourceNotFoundException), empty on success
    std::string message;
  };
  Reply send(const std::string& op, const nlohmann::json& body) const;
  [[noreturn]] void fail(const std::string& op, const Reply& reply) const;
  void create();
  void wait_until_active() const;
  void check_key_schema(const nlohmann::json& description) const;
  std::vector<BenchmarkRecord> read_pages(const std::string& op, nlohmann::json request) const;

  std::string table_;
  DynamoOptions options_;
  std::string endpoint_;  // scheme://host[:port]
  std::string host_;      // host[:port] as signed
  std::string path_;      // "/" unless the endpoint names one
  std::string region_;
  aws::Credentials credentials_;
};

// The endpoint DynamoTable uses when DynamoOptions::endpoint is empty.
std::string dynamodb_endpoint_from_env(const std::string& region);

}  // namespace mw
