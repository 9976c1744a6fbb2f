#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "core/base64.h"
#include "fixture.h"
#include "lambda/events.h"

using namespace mw;

namespace {

// The scheduled event EventBridge sends for a schedule rule (AWS Lambda
// developer guide, "Invoking a Lambda function on a schedule").
const char* kScheduledEvent = R"({
  "version": "0",
  "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
  "detail-type": "Scheduled Event",
  "source": "aws.events",
  "account": "123456789012",
  "time": "2015-10-08T16:53:06Z",
  "region": "us-east-1",
  "resources": [
    "arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule"
  ],
  "detail": {}
})";

// A function URL / HTTP API (payload 2.0) event carrying `body`.
json http_event(const std::string& body, bool base64) {
  json event{{"version", "2.0"},
             {"routeKey", "$default"},
             {"rawPath", "/"},
             {"headers", {{"content-type", "application/json"}}},
             {"requestContext", {{"http", {{"method", "POST"}, {"path", "/"}}}, {"requestId", "id"}}},
             {"body", base64 ? base64_encode(body) : body},
             {"isBase64Encoded", base64}};
  fixture::save_fuzz_seed("fuzz_lambda_event", body + (base64 ? "-base64" : ""), event.dump());
  return event;
}

}  // namespace

TEST(LambdaEvents, ScheduledEventFromEventBridge) {
  EXPECT_EQ(classify_event(json::parse(kScheduledEvent)), LambdaEventKind::Scheduled);
  EXPECT_STREQ(event_kind_name(LambdaEventKind::Scheduled), "scheduled");
  auto other = json::parse(kScheduledEvent);
  other["source"] = "aws.s3";
  other["detail-type"] = "Object Created";
  EXPECT_EQ(classify_event(other), LambdaEventKind::Photos);  // an upload (lambda/photo_events.h), not a schedule
}

// The schedule's constant input says what it is; an empty event is no schedule.
TEST(LambdaEvents, ScheduleInputNamesTheBenchmark) {
  EXPECT_EQ(classify_event(json{{"maskwatch", "benchmark"}}), LambdaEventKind::Scheduled);
  EXPECT_EQ(classify_event(json::object()), LambdaEventKind::Unknown);
  EXPECT_EQ(classify_event(json{{"maskwatch", "classify"}}), LambdaEventKind::Unknown);
  EXPECT_EQ(classify_event(json{{"maskwatch", true}}), LambdaEventKind::Unknown);
  // A caller over HTTP cannot start the benchmark, whatever its body says.
  EXPECT_EQ(classify_event(http_event(R"({"maskwatch": "benchmark"})", false)), LambdaEventKind::Unknown);
  json http_with_key = http_event("{}", false);
  http_with_key["maskwatch"] = "benchmark";
  EXPECT_EQ(classify_event(http_with_key), LambdaEventKind::Unknown);
  // The error an unknown event gets names the shapes that are answered.
  const std::string accepted = accepted_events();
  for (const char* shape : {R"({"maskwatch": "benchmark"})", R"("detail-type": "Scheduled Event")", R"({"image": )"})
    EXPECT_NE(accepted.find(shape), std::string::npos) << shape << " in " << accepted;
}

TEST(LambdaEvents, ClassifyRequestDirectAndOverHttp) {
  std::string body = json{{"image", base64_encode("\xff\xd8jpeg")}, {"boxes", {{1, 2, 30, 40}}}}.dump();
  json direct = json::parse(body);
  EXPECT_EQ(classify_event(direct), LambdaEventKind::Classify);
  EXPECT_EQ(classify_event(http_event(body, false)), LambdaEventKind::Classify);
  EXPECT_EQ(classify_event(http_event(body, true)), LambdaEventKind::Classify);
  json rest_api{{"httpMethod", "POST"}, {"path", "/classify"}, {"body", body}, {"isBase64Encoded", false}};
  EXPECT_EQ(classify_event(rest_api), LambdaEventKind::Classify);

  for (const auto& ev : {direct, http_event(body, true)}) {
    auto req = parse_classify_request(ev);
    EXPECT_EQ(req.image, "\xff\xd8jpeg");
    ASSERT_EQ(req.boxes.size(), 1u);
    EXPECT_FLOAT_EQ(req.boxes[0].xmin, 1);
    EXPECT_FLOAT_EQ(req.boxes[0].ymax, 40);
  }
  EXPECT_TRUE(parse_classify_request(json{{"image", base64_encode("x")}}).boxes.empty());
  // No boxes: the detector finds the faces, unless the photo is said to be one face.
  EXPECT_TRUE(parse_classify_request(json{{"image", base64_encode("x")}}).detect);
  const auto whole = parse_classify_request(json{{"image", base64_encode("x")}, {"whole_image", true}});
  EXPECT_TRUE(whole.whole_image);
  EXPECT_FALSE(whole.detect);
  EXPECT_FALSE(parse_classify_request(json{{"image", base64_encode("x")}, {"boxes", {{1, 2, 3, 4}}}}).detect);
  EXPECT_EQ(whole.whole_image_rule, "auto");
  EXPECT_EQ(
      parse_classify_request(json{{"image", base64_encode("x")}, {"whole_image", true}, {"whole_image_rule", "image"}})
          .whole_image_rule,
      "image");
  EXPECT_THROW(parse_classify_request(json{{"image", base64_encode("x")}, {"whole_image_rule", "middle"}}), Error);
  EXPECT_THROW(parse_classify_request(json{{"image", base64_encode("x")}, {"whole_image_rule", 3}}), Error);
  EXPECT_THROW(parse_classify_request(json{{"image", base64_encode("x")}, {"whole_image", "yes"}}), Error);
  EXPECT_THROW(
      parse_classify_request(json{{"image", base64_encode("x")}, {"whole_image", true}, {"boxes", {{1, 2, 3, 4}}}}),
      Error);
  // A minimum confidence in the event, direct or in an HTTP body.
  const std::string sure = json{{"image", base64_encode("x")}, {"min_confidence", 0.8}}.dump();
  EXPECT_EQ(parse_classify_request(json::parse(sure)).min_confidence, 0.8);
  EXPECT_EQ(parse_classify_request(http_event(sure, false)).min_confidence, 0.8);
  EXPECT_EQ(parse_classify_request(direct).min_confidence, 0);

  // HTTP events get an HTTP-shaped result; direct invocations the result itself.
  json result{{"faces", json::array()}};
  EXPECT_EQ(lambda_result(direct, result), result);
  auto wrapped = lambda_result(http_event(body, false), result);
  EXPECT_EQ(wrapped["statusCode"], 200);
  EXPECT_EQ(json::parse(wrapped["body"].get<std::string>()), result);
}

TEST(LambdaEvents, UnknownAndMalformedEvents) {
  EXPECT_EQ(classify_event(json{{"foo", 1}}), LambdaEventKind::Unknown);
  EXPECT_EQ(classify_event(json::array()), LambdaEventKind::Unknown);
  EXPECT_EQ(classify_event(json{{"image", 42}}), LambdaEventKind::Unknown);
  EXPECT_EQ(classify_event(http_event("not json", false)), LambdaEventKind::Unknown);
  auto bad_b64 = http_event("{}", false);
  bad_b64["isBase64Encoded"] = true;
  bad_b64["body"] = "%%%";
  EXPECT_EQ(classify_event(bad_b64), LambdaEventKind::Unknown);

  auto img = base64_encode("x");
  EXPECT_THROW(parse_classify_request(json{{"image", "Zg="}}), Error);
  EXPECT_THROW(parse_classify_request(json{{"image", img}, {"boxes", {{1, 2, 3}}}}), Error);
  EXPECT_THROW(parse_classify_request(json{{"image", img}, {"boxes", {{5, 2, 3, 4}}}}), Error);
  EXPECT_THROW(parse_classify_request(json{{"image", img}, {"boxes", "1,2,3,4"}}), Error);
  try {
    parse_classify_request(json{{"image", img}, {"boxes", {{0, 0, 4, 4}, {1, "a", 3, 4}}}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.where(), "boxes[1]");
  }
  // Hostile sizes: coordinates far past any image, and more boxes than a request may carry.
  EXPECT_THROW(parse_classify_request(json{{"image", img}, {"boxes", {{0, 0, 1e300, 4}}}}), Error);
  EXPECT_THROW(parse_classify_request(json{{"image", img}, {"boxes", {{-2e6, 0, 4, 4}}}}), Error);
  json many = json::array();
  for (std::size_t i = 0; i <= kMaxBoxesPerRequest; ++i) many.push_back({0, 0, 4, 4});
  EXPECT_THROW(parse_classify_request(json{{"image", img}, {"boxes", many}}), Error);
  many.erase(many.begin());
  EXPECT_EQ(parse_classify_request(json{{"image", img}, {"boxes", many}}).boxes.size(), kMaxBoxesPerRequest);
  // Fields of the wrong type make an event unknown, not a crash.
  EXPECT_EQ(classify_event(json{{"source", 7}, {"detail-type", "Scheduled Event"}}), LambdaEventKind::Unknown);
  auto odd_flag = http_event("{}", false);
  odd_flag["isBase64Encoded"] = "yes";
  EXPECT_EQ(classify_event(odd_flag), LambdaEventKind::Unknown);
}

// The example events in deploy/events/ (used with `sam local invoke` and
// `aws lambda invoke`) parse, are recognised, and carry an image that decodes.
TEST(LambdaEvents, ShippedExampleEvents) {
  auto read = [](const std::string& name) {
    std::ifstream in(std::string(MASKWATCH_SOURCE_DIR) + "/deploy/events/" + name);
    EXPECT_TRUE(in.good()) << name;
    return json::parse(in);
  };
  EXPECT_EQ(classify_event(read("scheduled.json")), LambdaEventKind::Scheduled);
  EXPECT_EQ(classify_event(read("benchmark.json")), LambdaEventKind::Scheduled);
  for (const char* name : {"classify.json", "classify-function-url.json"}) {
    auto event = read(name);
    EXPECT_EQ(classify_event(event), LambdaEventKind::Classify) << name;
    auto req = parse_classify_request(event);
    ASSERT_EQ(req.boxes.size(), 1u) << name;
    cv::Mat image =
        cv::imdecode(cv::Mat(1, static_cast<int>(req.image.size()), CV_8UC1, req.image.data()), cv::IMREAD_COLOR);
    EXPECT_EQ(image.cols, 32) << name;
    EXPECT_EQ(image.rows, 32) << name;
  }
}
