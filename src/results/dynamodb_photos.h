// dynamodb:// photo table: partition key `uri` (S), sort key `etag` (S); each
// item written with attribute_not_exists(uri), so that a redelivered event
// for the same version leaves the first record. Faces are a JSON string
// attribute, counts a map of numbers.
#pragma once
#include <string>

#include "results/dynamodb_client.h"
#include "results/photo_table.h"

namespace mw {

class DynamoPhotoTable : public PhotoTable {
 public:
  explicit DynamoPhotoTable(std::string table, DynamoOptions options = {});
  bool put(const PhotoRecord& record) override;
  bool contains(const std::string& uri, const std::string& etag) const override;
  std::vector<PhotoRecord> list(const PhotoQuery& query = {}) const override;
  std::string uri() const override { return client_.uri(); }

 private:
  DynamoClient client_;
};

}  // namespace mw
