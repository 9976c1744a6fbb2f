// The events that name photos in a bucket (lambda/photo_events.h): the real
// shapes of deploy/events (an S3 notification, the same through EventBridge,
// inside SQS messages, a Step Functions batch) give the objects to label;
// URL-encoded keys decode; other event types are ignored; records that name
// no photo properly (hostile keys, broken escapes, missing fields) are
// rejected one by one with the reason while the rest go on.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "lambda/events.h"
#include "lambda/photo_events.h"

using namespace mw;

namespace {

json sample(const std::string& name) {
  std::ifstream in(std::string(MASKWATCH_SOURCE_DIR) + "/deploy/events/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

json s3_record(const std::string& key, const std::string& event_name = "ObjectCreated:Put") {
  return {{"eventSource", "aws:s3"},
          {"eventName", event_name},
          {"s3", {{"bucket", {{"name", "photos"}}}, {"object", {{"key", key}, {"size", 10}, {"eTag", "e1"}}}}}};
}

json notification(std::vector<json> records) { return {{"Records", records}}; }

}  // namespace

TEST(PhotoEvents, S3NotificationGivesTheDecodedKey) {
  const json event = sample("s3-put.json");
  EXPECT_EQ(classify_event(event), LambdaEventKind::Photos);
  const auto e = parse_photo_events(event);
  ASSERT_EQ(e.objects.size(), 1u);
  EXPECT_EQ(e.objects[0].bucket, "maskwatch-data");
  EXPECT_EQ(e.objects[0].key, "incoming/camera 1/2026-12-07 18:00:00.jpg");
  EXPECT_EQ(e.objects[0].etag, "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(e.objects[0].sequencer, "0055AED6DCD90281E5");
  EXPECT_EQ(e.objects[0].size, 4821u);
  EXPECT_TRUE(e.rejects.empty());
  EXPECT_FALSE(e.from_sqs);
}

TEST(PhotoEvents, EventBridgeKeysArePlain) {
  const json event = sample("s3-eventbridge.json");
  EXPECT_EQ(classify_event(event), LambdaEventKind::Photos);
  const auto e = parse_photo_events(event);
  ASSERT_EQ(e.objects.size(), 1u);
  EXPECT_EQ(e.objects[0].key, "incoming/camera 1/2026-12-07 18:00:00.jpg");
  EXPECT_EQ(e.objects[0].etag, "d41d8cd98f00b204e9800998ecf8427e");
}

TEST(PhotoEvents, SqsMessagesCarryTheirIds) {
  json sqs = {{"Records",
               {{{"eventSource", "aws:sqs"}, {"messageId", "m1"}, {"body", sample("s3-put.json").dump()}},
                {{"eventSource", "aws:sqs"}, {"messageId", "m2"}, {"body", sample("s3-eventbridge.json").dump()}},
                {{"eventSource", "aws:sqs"}, {"messageId", "m3"}, {"body", "not json"}}}}};
  EXPECT_EQ(classify_event(sqs), LambdaEventKind::Photos);
  const auto e = parse_photo_events(sqs);
  EXPECT_TRUE(e.from_sqs);
  ASSERT_EQ(e.objects.size(), 2u);
  EXPECT_EQ(e.objects[0].message_id, "m1");
  EXPECT_EQ(e.objects[1].message_id, "m2");
  ASSERT_EQ(e.rejects.size(), 1u);
  EXPECT_NE(e.rejects[0].find("Records[2]"), std::string::npos) << e.rejects[0];
}

TEST(PhotoEvents, StepFunctionsBatchUnquotesTheEtag) {
  const auto e = parse_photo_events(sample("scan-batch.json"));
  EXPECT_TRUE(e.step_functions_batch);
  ASSERT_EQ(e.objects.size(), 1u);
  EXPECT_EQ(e.objects[0].bucket, "maskwatch-data");
  EXPECT_EQ(e.objects[0].key, "archive/2024/photo-0001.jpg");
  EXPECT_EQ(e.objects[0].etag, "d41d8cd98f00b204e9800998ecf8427e");
}

TEST(PhotoEvents, OtherEventTypesAreIgnored) {
  const auto e = parse_photo_events(notification({s3_record("a.jpg", "ObjectRemoved:Delete"), s3_record("b.jpg")}));
  EXPECT_EQ(e.ignored, 1);
  ASSERT_EQ(e.objects.size(), 1u);
  EXPECT_EQ(e.objects[0].key, "b.jpg");
  const json test_event = {{"Service", "Amazon S3"}, {"Event", "s3:TestEvent"}, {"Bucket", "photos"}};
  EXPECT_EQ(classify_event(test_event), LambdaEventKind::Photos);
  EXPECT_EQ(parse_photo_events(test_event).ignored, 1);
}

TEST(PhotoEvents, UnicodeAndEscapesDecode) {
  EXPECT_EQ(decode_s3_key("caf%C3%A9+%E2%9C%93.jpg"), "café ✓.jpg");
  EXPECT_EQ(decode_s3_key("a%2Bb"), "a+b");
  EXPECT_THROW(decode_s3_key("bad%2"), Error);
  EXPECT_THROW(decode_s3_key("bad%zz.jpg"), Error);
}

TEST(PhotoEvents, HostileRecordsAreRejectedAndTheRestGoOn) {
  std::vector<json> records = {
      s3_record(std::string(kMaxKeyBytes, 'k')),      // S3's longest key: fine
      s3_record(std::string(kMaxKeyBytes + 1, 'k')),  // longer than S3 allows
      s3_record("a%0Ab.jpg"),                         // a newline
      s3_record("%00.jpg"),                           // a NUL
      s3_record("broken%G1.jpg"),
      s3_record(""),
      {{"eventSource", "aws:s3"}, {"eventName", "ObjectCreated:Put"}, {"s3", {{"object", {{"key", 7}}}}}},
      {{"eventSource", "aws:s3"}, {"eventName", "ObjectCreated:Put"}, {"s3", {{"object", {{"key", "x.jpg"}}}}}},
      {{"eventSource", "aws:dynamodb"}},
      "not a record",
      s3_record("..%2F..%2Fetc%2Fpasswd"),  // passed on: the store refuses it, and the photo's record says so
      s3_record("ok.jpg")};
  const auto e = parse_photo_events(notification(records));
  ASSERT_EQ(e.objects.size(), 3u);
  EXPECT_EQ(e.objects[0].key.size(), kMaxKeyBytes);
  EXPECT_EQ(e.objects[1].key, "../../etc/passwd");
  EXPECT_EQ(e.objects[2].key, "ok.jpg");
  ASSERT_EQ(e.rejects.size(), 9u);
  const std::vector<std::string> reasons = {"1025 bytes", "control characters", "control characters", "%-escape",
                                            "empty object key", "no s3.object.key", "no bucket name",
                                            "not an S3 record", "not an S3 record"};
  for (std::size_t i = 0; i < reasons.size(); ++i)
    EXPECT_NE(e.rejects[i].find(reasons[i]), std::string::npos) << e.rejects[i];
  EXPECT_NE(e.rejects[0].find("Records[1]"), std::string::npos) << e.rejects[0];
}

TEST(PhotoEvents, MalformedEnvelopesAreNotPhotoEvents) {
  EXPECT_FALSE(is_photo_event(json::parse(R"({"Records": []})")));
  EXPECT_FALSE(is_photo_event(json::parse(R"({"Records": "x"})")));
  EXPECT_FALSE(is_photo_event(json::parse(R"({"Items": 3})")));
  EXPECT_FALSE(is_photo_event(json::parse(R"([1, 2])")));
  EXPECT_EQ(classify_event(json::parse(R"({"Records": [{"eventSource": "aws:kinesis"}]})")), LambdaEventKind::Unknown);
  // A batch without a bucket: each item rejected.
  const auto e = parse_photo_events(json::parse(R"({"Items": [{"Key": "a.jpg"}, {"Size": 1}]})"));
  EXPECT_TRUE(e.objects.empty());
  ASSERT_EQ(e.rejects.size(), 2u);
  EXPECT_NE(e.rejects[0].find("no bucket name"), std::string::npos);
  EXPECT_NE(e.rejects[1].find("no Key"), std::string::npos);
}
