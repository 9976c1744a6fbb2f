// The events the Lambda function receives: a schedule's tick (run the
// benchmark) or a request to classify the faces in one image, sent directly
// or through API Gateway / a function URL (the request is then in "body").
#pragma once
#include <string>
#include <vector>

#include "api/faces.h"
#include "maskwatch.h"

namespace mw {

enum class LambdaEventKind { Scheduled, Classify, Photos, Unknown };

// The constant input deploy/template.yaml's schedule passes: {"maskwatch": "benchmark"}.
inline constexpr const char* kScheduleInputKey = "maskwatch";
inline constexpr const char* kScheduleInputValue = "benchmark";

// Scheduled: an EventBridge scheduled event ("source": "aws.events",
// "detail-type": "Scheduled Event") or the schedule's constant input
// {"maskwatch": "benchmark"}. Classify: {"image": "<base64>", ...}, directly
// or in an HTTP event's "body". Photos: an event naming objects in a bucket
// (lambda/photo_events.h). Anything else, {} included, is Unknown.
LambdaEventKind classify_event(const json& event);
const char* event_kind_name(LambdaEventKind kind);
// The events the function answers, for the error an Unknown event gets.
std::string accepted_events();

// The request inside an event: the event itself, or an HTTP event's "body"
// parsed as JSON (base64-decoded first when "isBase64Encoded" is true).
// Throws mw::Error when an HTTP body is not a JSON object.
json event_payload(const json& event);
// True for API Gateway (REST or HTTP API) and function URL events.
bool is_http_event(const json& event);

// The classify request inside an event (api/faces.h's parse_faces_request of
// event_payload). Throws mw::Error naming the field that is wrong.
FacesRequest parse_classify_request(const json& event);

// The function's result as the event's source expects it: unchanged for a
// direct invocation, {"statusCode", "headers", "body"} for an HTTP event.
json lambda_result(const json& event, const json& result, int status_code = 200);

}  // namespace mw
