#include "lambda/photo_handler.h"

#include <cstdio>
#include <set>

#include "jobs/label_object.h"

namespace mw {

PhotoEventHandler::PhotoEventHandler(std::shared_ptr<const FaceLabeller> labeller, std::string photos_uri)
    : labeller_(std::move(labeller)), photos_uri_(std::move(photos_uri)) {}

PhotoTable& PhotoEventHandler::table() {
  if (!table_) table_ = open_photo_table(photos_uri_);
  return *table_;
}

const ObjectStore& PhotoEventHandler::bucket(const std::string& name) {
  auto& store = buckets_[name];
  if (!store) store = open_store("s3://" + name);
  return *store;
}

json PhotoEventHandler::handle(const json& event) {
  const PhotoEvents events = parse_photo_events(event);
  long labelled = 0, duplicates = 0, failed = 0;
  std::set<std::string> retry_messages;
  std::vector<std::string> unreached;
  for (const PhotoObject& o : events.objects) {
    try {
      const ObjectStore& store = bucket(o.bucket);
      const std::string uri = object_uri(store, o.key);
      if (!o.etag.empty() && table().contains(uri, o.etag)) {
        ++duplicates;
        continue;
      }
      PhotoRecord record = label_object(*labeller_, store, ObjectInfo{o.key, o.size, o.etag});
      record.sequencer = o.sequencer;
      if (!table().put(record)) {
        ++duplicates;
        continue;
      }
      ++(record.failed() ? failed : labelled);
      if (record.failed()) std::fprintf(stderr, "maskwatch: %s: %s\n", record.uri.c_str(), record.error.c_str());
    } catch (const std::exception& e) {  // S3 or the table did not answer: deliver it again
      std::fprintf(stderr, "maskwatch: %s\n", e.what());
      unreached.push_back(e.what());
      if (!o.message_id.empty()) retry_messages.insert(o.message_id);
    }
  }
  for (const auto& r : events.rejects) std::fprintf(stderr, "maskwatch: event %s\n", r.c_str());
  json out = {{"objects", events.objects.size()}, {"labelled", labelled}, {"duplicates", duplicates},
              {"failed", failed},                 {"retry", unreached.size()}, {"ignored", events.ignored},
              {"rejected", events.rejects}};
  if (events.from_sqs) {
    json failures = json::array();
    for (const auto& id : retry_messages) failures.push_back({{"itemIdentifier", id}});
    out["batchItemFailures"] = failures;
    return out;
  }
  if (!unreached.empty())
    throw Error("photos", std::to_string(unreached.size()) + " of " + std::to_string(events.objects.size()) +
                              " objects could not be reached (the event is to be delivered again): " + unreached[0]);
  return out;
}

}  // namespace mw
