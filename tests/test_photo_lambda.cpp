// The function's upload events end to end on real servers: photos put into
// s3rver, the S3 notification (and its EventBridge and SQS wrappings) sent to
// the handler maskwatch-lambda runs, the records read back from dynalite.
// One record per object version however often an event comes; photos that
// cannot be labelled are recorded with the reason; an S3 that answers 503
// leaves the photo to be delivered again (SQS: its message in
// batchItemFailures; otherwise an invocation error) and records nothing.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>

#include "core/paths.h"
#include "lambda/handler.h"
#include "lambda/photo_events.h"
#include "loopback_http_server.h"
#include "model_fixture.h"
#include "results/photo_table.h"
#include "service_fixture.h"
#include "store/s3_store.h"

using namespace mw;

namespace {

const std::string kBucket = "photos";

struct Services {
  std::unique_ptr<fixture::ServiceProcess> s3 = fixture::start_s3rver({kBucket});
  std::unique_ptr<fixture::ServiceProcess> dynamodb = fixture::start_dynalite();
  Services() {
    ::setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
    ::setenv("AWS_REGION", "eu-west-1", 1);
    ::unsetenv("AWS_SESSION_TOKEN");
    ::setenv("AWS_ENDPOINT_URL_S3", s3->endpoint().c_str(), 1);
    ::setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb->endpoint().c_str(), 1);
    register_s3_store();
  }
};

Services& services() {
  static Services s;
  return s;
}

const json& trained_model() {
  static const json m = fixture::train_tiny("photo-lambda", 1);
  return m;
}

std::string fresh_table() {
  static int n = 0;
  return "dynamodb://photos-lambda-" + std::to_string(++n);
}

LambdaHandler handler(const std::string& photos) {
  services();
  LambdaConfig c;
  c.store = fixture::small_store();
  c.model = trained_model()["id"];
  c.detector = "pretrained";
  c.photos = photos;
  c.threads = 1;
  return make_lambda_handler(c);
}

json invoke(const LambdaHandler& h, const json& event) {
  LambdaInvocation inv;
  inv.request_id = "test";
  inv.event = event.dump();
  return json::parse(h(inv));
}

// An S3 notification key: '+' for a space, %XX for every byte outside A-Z a-z 0-9 - _ . / ~.
std::string encode_key(const std::string& key) {
  std::string out;
  for (unsigned char c : key) {
    if (std::isalnum(c) || std::string("-_./~").find(static_cast<char>(c)) != std::string::npos) {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

// The notification S3 sends for `key` (the object's real ETag and size when it exists).
json record_for(const std::string& key, std::uint64_t size_override = 0) {
  S3Store bucket("s3://" + kBucket);
  const auto head = key.find("..") == std::string::npos ? bucket.head(key) : std::nullopt;
  json object = {{"key", encode_key(key)},
                 {"size", size_override ? size_override : head ? head->size : 1},
                 {"eTag", head ? head->etag : "0123456789abcdef0123456789abcdef"},
                 {"sequencer", "0055AED6DCD90281E5"}};
  return {{"eventVersion", "2.1"},
          {"eventSource", "aws:s3"},
          {"awsRegion", "eu-west-1"},
          {"eventName", "ObjectCreated:Put"},
          {"s3", {{"s3SchemaVersion", "1.0"}, {"bucket", {{"name", kBucket}}}, {"object", object}}}};
}

json notification(const std::vector<json>& records) { return {{"Records", records}}; }

std::string dataset_photo(int i) {
  return read_file(fixture::data_dir() + "/images/maksssksksss" + std::to_string(i) + ".jpg");
}

void put(const std::string& key, const std::string& bytes) {
  services();
  S3Store("s3://" + kBucket).put(key, bytes);
}

std::vector<PhotoRecord> records(const std::string& uri) { return open_photo_table(uri)->list(); }

}  // namespace

TEST(PhotoLambda, AnUploadBecomesOneRecord) {
  const std::string key = "incoming/camera 1/café ✓ 0.jpg";
  put(key, dataset_photo(0));
  const auto table = fresh_table();
  auto h = handler(table);
  const json out = invoke(h, notification({record_for(key)}));
  EXPECT_EQ(out["labelled"], 1) << out.dump();
  const auto rs = records(table);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].uri, "s3://" + kBucket + "/" + key);
  EXPECT_EQ(rs[0].etag, S3Store("s3://" + kBucket).head(key)->etag);
  EXPECT_EQ(rs[0].sequencer, "0055AED6DCD90281E5");
  EXPECT_EQ(rs[0].width, 512);
  EXPECT_EQ(rs[0].height, 366);
  EXPECT_GE(rs[0].faces.size(), 2u);  // maksssksksss0 has 3 faces
  EXPECT_EQ(rs[0].classifier_id, trained_model()["id"]);
  EXPECT_EQ(rs[0].detector_id, "pretrained");
  EXPECT_FALSE(rs[0].failed());
  EXPECT_GT(rs[0].milliseconds, 0);
}

TEST(PhotoLambda, DuplicatesAndRedeliveriesLeaveOneRecordPerVersion) {
  for (int i = 1; i <= 3; ++i) put("incoming/dup/" + std::to_string(i) + ".jpg", dataset_photo(i));
  const auto table = fresh_table();
  auto h = handler(table);
  std::vector<json> recs;
  for (int i = 1; i <= 3; ++i) recs.push_back(record_for("incoming/dup/" + std::to_string(i) + ".jpg"));
  recs.push_back(recs[1]);  // the same record twice in one event
  json out = invoke(h, notification(recs));
  EXPECT_EQ(out["labelled"], 3) << out.dump();
  EXPECT_EQ(out["duplicates"], 1) << out.dump();
  // The whole event again, then through EventBridge: nothing new.
  out = invoke(h, notification(recs));
  EXPECT_EQ(out["duplicates"], 4) << out.dump();
  json bridge = json::parse(read_file(std::string(MASKWATCH_SOURCE_DIR) + "/deploy/events/s3-eventbridge.json"));
  bridge["detail"]["bucket"]["name"] = kBucket;
  bridge["detail"]["object"]["key"] = "incoming/dup/2.jpg";
  bridge["detail"]["object"]["etag"] = recs[1]["s3"]["object"]["eTag"];
  EXPECT_EQ(invoke(h, bridge)["duplicates"], 1);
  EXPECT_EQ(records(table).size(), 3u);
  // A new version of one photo is a record of its own.
  put("incoming/dup/1.jpg", dataset_photo(4));
  out = invoke(h, notification({record_for("incoming/dup/1.jpg")}));
  EXPECT_EQ(out["labelled"], 1) << out.dump();
  EXPECT_EQ(records(table).size(), 4u);
}

TEST(PhotoLambda, PhotosThatCannotBeLabelledAreRecordedWithTheReason) {
  put("incoming/bad/notes.jpg", "these are not the pixels you are looking for");
  std::string lying = dataset_photo(5);
  lying.resize(lying.size() / 3);  // a JPEG cut short
  put("incoming/bad/truncated.jpg", lying);
  put("incoming/bad/fine.jpg", dataset_photo(6));
  const auto table = fresh_table();
  auto h = handler(table);
  const json out = invoke(h, notification({record_for("incoming/bad/notes.jpg"),
                                           record_for("incoming/bad/deleted.jpg"),
                                           record_for("incoming/bad/fine.jpg", 2ull << 30),  // announced as 2 GB
                                           record_for("incoming/../escape.jpg"), record_for("incoming/bad/truncated.jpg")}));
  EXPECT_EQ(out["failed"], 5) << out.dump();
  std::map<std::string, std::string> reasons;
  for (const auto& r : records(table)) reasons[r.uri.substr(r.uri.rfind('/') + 1)] = r.error;
  ASSERT_EQ(reasons.size(), 5u);
  EXPECT_NE(reasons["notes.jpg"].find("JPEG or PNG"), std::string::npos) << reasons["notes.jpg"];
  EXPECT_NE(reasons["deleted.jpg"].find("no such object"), std::string::npos) << reasons["deleted.jpg"];
  EXPECT_NE(reasons["fine.jpg"].find("over the limit"), std::string::npos) << reasons["fine.jpg"];
  EXPECT_NE(reasons["escape.jpg"].find(".."), std::string::npos) << reasons["escape.jpg"];
  EXPECT_FALSE(reasons["truncated.jpg"].empty());
  // Recorded failures are not tried again.
  EXPECT_EQ(invoke(h, notification({record_for("incoming/bad/notes.jpg")}))["duplicates"], 1);
}

TEST(PhotoLambda, AnUnreachableStoreIsDeliveredAgainAndRecordsNothing) {
  services();
  fixture::LoopbackHttpServer slow_down([](const fixture::HttpRequest&) {
    fixture::HttpReply reply;
    reply.status = 503;
    reply.headers = {{"Content-Type", "application/xml"}};
    reply.body = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
    return reply;
  });
  const std::string real = services().s3->endpoint();
  put("incoming/retry/1.jpg", dataset_photo(7));
  const json rec = record_for("incoming/retry/1.jpg");
  ::setenv("AWS_ENDPOINT_URL_S3", ("http://" + slow_down.host_port()).c_str(), 1);
  const auto table = fresh_table();
  auto h = handler(table);
  json sqs = {{"Records",
               {{{"eventSource", "aws:sqs"}, {"messageId", "m-1"}, {"body", notification({rec}).dump()}},
                {{"eventSource", "aws:sqs"}, {"messageId", "m-2"}, {"body", "{}"}}}}};
  json out = invoke(h, sqs);
  ASSERT_EQ(out["batchItemFailures"].size(), 1u) << out.dump();
  EXPECT_EQ(out["batchItemFailures"][0]["itemIdentifier"], "m-1");
  EXPECT_EQ(out["rejected"].size(), 1u);  // m-2 named no photo: not retried
  LambdaInvocation inv;
  inv.event = notification({rec}).dump();
  try {
    h(inv);
    FAIL() << "a 503 from S3 was not an invocation error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("SlowDown"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(records(table).empty());
  ::setenv("AWS_ENDPOINT_URL_S3", real.c_str(), 1);
  out = invoke(handler(table), sqs);  // delivered again once S3 answers
  EXPECT_TRUE(out["batchItemFailures"].empty()) << out.dump();
  EXPECT_EQ(records(table).size(), 1u);
}

TEST(PhotoLambda, AnOversizedEventIsRefusedUnread) {
  auto h = handler(fresh_table());
  LambdaInvocation inv;
  inv.event = "{\"Records\": [\"" + std::string(kMaxEventBytes, 'x') + "\"]}";
  try {
    h(inv);
    FAIL() << "a 6 MB event was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bytes, over the"), std::string::npos) << e.what();
  }
}
