#include "lambda/events.h"

#include "core/base64.h"
#include "core/json_text.h"
#include "lambda/photo_events.h"

namespace mw {

bool is_http_event(const json& event) {
  if (!event.is_object() || !event.contains("body")) return false;
  // REST API: "httpMethod"; HTTP API v2 and function URLs: "requestContext.http".
  if (event.contains("httpMethod")) return true;
  auto rc = event.find("requestContext");
  return rc != event.end() && rc->is_object() && rc->contains("http");
}

json event_payload(const json& event) {
  if (!is_http_event(event)) return event;
  const auto& body = event["body"];
  if (body.is_null()) return json::object();
  if (!body.is_string()) throw Error("event.body", "expected a string");
  std::string text = body.get<std::string>();
  auto b64 = event.find("isBase64Encoded");
  if (b64 != event.end() && !b64->is_boolean()) throw Error("event.isBase64Encoded", "expected true or false");
  if (b64 != event.end() && b64->get<bool>()) text = base64_decode(text);
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) throw Error("event.body", "expected a JSON object");
  return parsed;
}

namespace {

// EventBridge's scheduled event, or the constant input the schedule passes instead.
bool is_scheduled_event(const json& event) {
  if (is_http_event(event)) return false;  // a caller over HTTP never starts the benchmark
  if (text_field(event, "source") == "aws.events" && text_field(event, "detail-type") == "Scheduled Event") return true;
  return text_field(event, kScheduleInputKey) == kScheduleInputValue;
}

}  // namespace

std::string accepted_events() {
  return std::string("expected {\"") + kScheduleInputKey + "\": \"" + kScheduleInputValue +
         "\"} or an EventBridge scheduled event (\"source\": \"aws.events\", \"detail-type\": \"Scheduled Event\") "
         "to run the benchmark, or {\"image\": \"<base64>\", \"boxes\": ...} (directly or as an HTTP body) to "
         "classify, or an S3 ObjectCreated notification (directly, through EventBridge or SQS) or a Step "
         "Functions batch of {\"Items\": [{\"Key\": ...}]} to label photos in a bucket";
}

LambdaEventKind classify_event(const json& event) {
  if (!event.is_object()) return LambdaEventKind::Unknown;
  if (is_scheduled_event(event)) return LambdaEventKind::Scheduled;
  if (is_photo_event(event)) return LambdaEventKind::Photos;
  json payload;
  try {
    payload = event_payload(event);
  } catch (const Error&) {
    return LambdaEventKind::Unknown;
  }
  auto image = payload.find("image");
  if (image != payload.end() && image->is_string()) return LambdaEventKind::Classify;
  return LambdaEventKind::Unknown;
}

const char* event_kind_name(LambdaEventKind kind) {
  switch (kind) {
    case LambdaEventKind::Scheduled:
      return "scheduled";
    case LambdaEventKind::Classify:
      return "classify";
    case LambdaEventKind::Photos:
      return "photos";
    case LambdaEventKind::Unknown:
      break;
  }
  return "unknown";
}

FacesRequest parse_classify_request(const json& event) { return parse_faces_request(event_payload(event)); }

json lambda_result(const json& event, const json& result, int status_code) {
  if (!is_http_event(event)) return result;
  return json{{"statusCode", status_code},
              {"headers", {{"Content-Type", "application/json"}}},
              {"body", result.dump()},
              {"isBase64Encoded", false}};
}

}  // namespace mw
