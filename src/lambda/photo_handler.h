// What the function does with an event that names photos in a bucket
// (lambda/photo_events.h): each object read from S3, labelled and recorded
// once per version in the photo table. A photo that cannot be labelled is
// recorded as failed (not retried); one that could not be reached (S3 or the
// table not answering) is left for the event's source to deliver again:
// SQS gets its message id in batchItemFailures, any other source an
// invocation error (Lambda's retries, then the dead-letter destination).
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "lambda/photo_events.h"
#include "maskwatch.h"
#include "results/photo_table.h"
#include "store/object_store.h"

namespace mw {

class PhotoEventHandler {
 public:
  // photos_uri: the photo table (opened at the first event that needs it).
  PhotoEventHandler(std::shared_ptr<const FaceLabeller> labeller, std::string photos_uri);
  // {"objects", "labelled", "duplicates", "failed", "retry", "ignored", "rejected": [...]}
  // and, for SQS, "batchItemFailures". Throws mw::Error naming the first
  // object that could not be reached, after doing the rest, when the source
  // is not SQS.
  json handle(const json& event);

 private:
  PhotoTable& table();
  const ObjectStore& bucket(const std::string& name);

  std::shared_ptr<const FaceLabeller> labeller_;
  std::string photos_uri_;
  std::unique_ptr<PhotoTable> table_;
  std::map<std::string, std::unique_ptr<ObjectStore>> buckets_;
};

}  // namespace mw
