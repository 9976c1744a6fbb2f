// Lambda events: the event's kind, its payload (an HTTP body, base64 or not),
// and the classify request inside it (boxes, base64 image).
#include "fuzz.h"
#include "lambda/events.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const mw::json event = mw::fuzz::parse_json(data, size);
  if (event.is_discarded()) return 0;
  mw::classify_event(event);
  mw::is_http_event(event);
  mw::fuzz::accept_or_reject([&] { mw::event_payload(event); });
  mw::fuzz::accept_or_reject([&] { mw::parse_classify_request(event); });
  mw::fuzz::accept_or_reject([&] { mw::parse_faces_request(event); });
  mw::lambda_result(event, event);
  return 0;
}
