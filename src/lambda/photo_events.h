// The events that name photos in a bucket, each turned into the objects to
// label:
//   S3 event notifications: {"Records": [{"eventSource": "aws:s3",
//     "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name"}, "object":
//     {"key" (URL-encoded, '+' for space), "size", "eTag", "sequencer"}}}]};
//   the same through EventBridge: {"source": "aws.s3", "detail-type":
//     "Object Created", "detail": {"bucket": {"name"}, "object": {"key"
//     (plain), "size", "etag", "sequencer"}}};
//   either inside SQS messages: {"Records": [{"eventSource": "aws:sqs",
//     "messageId", "body": "<the event as JSON text>"}]};
//   a Step Functions Distributed Map batch over ListObjectsV2:
//     {"Items": [{"Key", "Etag", "Size"}], "BatchInput": {"bucket": "..."}}.
// Records that are not ObjectCreated (removals, S3's test event) are ignored;
// a record that names no photo properly is rejected with the reason, and
// the rest of the event goes on.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "maskwatch.h"

namespace mw {

// Lambda's own ceiling for an invocation's payload; a larger event is refused unread.
inline constexpr std::size_t kMaxEventBytes = 6u << 20;
// S3's longest key, in bytes.
inline constexpr std::size_t kMaxKeyBytes = 1024;

struct PhotoObject {
  std::string bucket, key, etag, sequencer;
  std::uint64_t size = 0;  // 0: not given
  std::string message_id;  // SQS: the message that carried it (for batchItemFailures)
};

struct PhotoEvents {
  std::vector<PhotoObject> objects;
  std::vector<std::string> rejects;  // "Records[2]: no s3.object.key", one a record that named no photo
  int ignored = 0;                   // records of other event types
  bool from_sqs = false;             // the answer then lists the messages to retry
  bool step_functions_batch = false;
};

// True for the shapes above (checked by their envelope only).
bool is_photo_event(const json& event);
PhotoEvents parse_photo_events(const json& event);

// An S3 notification's key: '+' is a space, %XX a byte. Throws mw::Error
// on a broken escape.
std::string decode_s3_key(const std::string& encoded);

}  // namespace mw
