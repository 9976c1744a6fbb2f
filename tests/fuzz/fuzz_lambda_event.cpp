// Lambda events: the event's kind, its payload (an HTTP body, base64 or not),
// the classify request inside it (boxes, base64 image), and upload or batch
// events (S3, EventBridge, SQS, Step Functions: keys decoded and checked).
#include "fuzz.h"
#include "lambda/events.h"
#include "lambda/photo_events.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const mw::json event = mw::fuzz::parse_json(data, size);
  if (event.is_discarded()) return 0;
  mw::classify_event(event);
  mw::is_http_event(event);
  mw::fuzz::accept_or_reject([&] { mw::event_payload(event); });
  mw::fuzz::accept_or_reject([&] { mw::parse_classify_request(event); });
  mw::fuzz::accept_or_reject([&] { mw::parse_faces_request(event); });
  mw::is_photo_event(event);
  mw::fuzz::accept_or_reject([&] { mw::parse_photo_events(event); });
  if (event.is_string()) mw::fuzz::accept_or_reject([&] { mw::decode_s3_key(event.get<std::string>()); });
  mw::lambda_result(event, event);
  return 0;
}
