// dynamodb:// results table: partition key `set_size` (N), sort key `run` (S) =
// started_at + "#" + run_id; the table is created (on-demand billing) when missing.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "results/dynamodb_client.h"
#include "results/results_table.h"

namespace mw {

class DynamoTable : public ResultsTable {
 public:
  // Describes the table, creates it when missing and waits until it is ACTIVE.
  explicit DynamoTable(std::string table, DynamoOptions options = {});

  // Throws mw::Error when a record with the same key is already there.
  void put(const BenchmarkRecord& record) override;
  std::vector<BenchmarkRecord> history(std::optional<int> set_size = std::nullopt) const override;
  std::string uri() const override { return client_.uri(); }
  const std::string& endpoint() const { return client_.endpoint(); }

  // One call of the JSON protocol (DynamoClient::call).
  nlohmann::json call(const std::string& op, const nlohmann::json& body) const { return client_.call(op, body); }

 private:
  std::vector<BenchmarkRecord> read_pages(const std::string& op, nlohmann::json request) const;
  DynamoClient client_;
};

}  // namespace mw
