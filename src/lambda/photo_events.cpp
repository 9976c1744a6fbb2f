#include "lambda/photo_events.h"

#include "core/json_text.h"

namespace mw {

namespace {

const json& object_at(const json& object, const char* name) {
  static const json empty = json::object();
  if (!object.is_object()) return empty;
  auto it = object.find(name);
  return it != object.end() && it->is_object() ? *it : empty;
}

std::uint64_t size_at(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

bool is_s3_record(const json& r) { return text_field(r, "eventSource") == "aws:s3"; }
bool is_sqs_record(const json& r) { return text_field(r, "eventSource") == "aws:sqs"; }
bool is_eventbridge_s3(const json& e) { return text_field(e, "source") == "aws.s3" && e.contains("detail"); }
bool is_batch(const json& e) { return e.is_object() && e.contains("Items") && e["Items"].is_array(); }
bool has_records(const json& e) { return e.is_object() && e.contains("Records") && e["Records"].is_array(); }

// An empty string when the key can be asked for; else why not.
std::string key_problem(const std::string& key) {
  if (key.empty()) return "an empty object key";
  if (key.size() > kMaxKeyBytes)
    return "an object key of " + std::to_string(key.size()) + " bytes (S3's limit is " + std::to_string(kMaxKeyBytes) +
           ")";
  for (unsigned char c : key)
    if (c < 0x20 || c == 0x7f) return "an object key with control characters";
  return "";
}

class Collector {
 public:
  explicit Collector(PhotoEvents& out) : out_(out) {}

  void add(const std::string& where, PhotoObject o) {
    if (o.bucket.empty()) return reject(where, "no bucket name");
    if (auto problem = key_problem(o.key); !problem.empty()) return reject(where, problem);
    out_.objects.push_back(std::move(o));
  }
  void reject(const std::string& where, const std::string& why) { out_.rejects.push_back(where + ": " + why); }

  // Records[] of an S3 notification (or of the one inside an SQS message).
  void s3_record(const std::string& where, const json& r, const std::string& message_id) {
    if (text_field(r, "eventName").rfind("ObjectCreated:", 0) != 0) return void(++out_.ignored);
    const json& s3 = object_at(r, "s3");
    const json& object = object_at(s3, "object");
    if (!object.contains("key") || !object["key"].is_string()) return reject(where, "no s3.object.key");
    PhotoObject o;
    o.bucket = text_field(object_at(s3, "bucket"), "name");
    try {
      o.key = decode_s3_key(object["key"].get<std::string>());
    } catch (const Error& e) {
      return reject(where, e.reason());
    }
    o.etag = text_field(object, "eTag");
    o.sequencer = text_field(object, "sequencer");
    o.size = size_at(object, "size");
    o.message_id = message_id;
    add(where, std::move(o));
  }

  void eventbridge(std::string where, const json& e, const std::string& message_id) {
    if (where.empty()) where = "detail";
    if (text_field(e, "detail-type") != "Object Created") return void(++out_.ignored);
    const json& detail = object_at(e, "detail");
    const json& object = object_at(detail, "object");
    PhotoObject o;
    o.bucket = text_field(object_at(detail, "bucket"), "name");
    o.key = text_field(object, "key");  // EventBridge does not encode keys
    o.etag = text_field(object, "etag");
    o.sequencer = text_field(object, "sequencer");
    o.size = size_at(object, "size");
    o.message_id = message_id;
    add(where, std::move(o));
  }

  // An event that is not SQS: an S3 notification, an EventBridge event, a test event.
  void notification(const std::string& where, const json& e, const std::string& message_id) {
    if (is_eventbridge_s3(e)) return eventbridge(where, e, message_id);
    if (text_field(e, "Event") == "s3:TestEvent") return void(++out_.ignored);
    if (!has_records(e))
      return reject(where.empty() ? "event" : where, "neither an S3 notification nor an EventBridge S3 event");
    const auto& records = e["Records"];
    for (std::size_t i = 0; i < records.size(); ++i) {
      const std::string at = (where.empty() ? "" : where + ".") + "Records[" + std::to_string(i) + "]";
      if (!is_s3_record(records[i])) {
        reject(at, "not an S3 record (eventSource '" + text_field(records[i], "eventSource") + "')");
        continue;
      }
      s3_record(at, records[i], message_id);
    }
  }

  void sqs_record(const std::string& where, const json& r) {
    const std::string id = text_field(r, "messageId");
    const json body = json::parse(text_field(r, "body"), nullptr, false);
    if (body.is_discarded() || !body.is_object()) return reject(where, "the message body is not a JSON object");
    notification(where + ".body", body, id);
  }

  void batch(const json& e) {
    const std::string bucket = text_field(object_at(e, "BatchInput"), "bucket");
    const auto& items = e["Items"];
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string at = "Items[" + std::to_string(i) + "]";
      const json& item = items[i];
      if (!item.is_object() || !item.contains("Key") || !item["Key"].is_string()) {
        reject(at, "no Key");
        continue;
      }
      PhotoObject o;
      o.bucket = bucket;
      o.key = item["Key"].get<std::string>();
      o.etag = text_field(item, "Etag");
      if (o.etag.empty()) o.etag = text_field(item, "ETag");
      if (o.etag.size() >= 2 && o.etag.front() == '"' && o.etag.back() == '"')
        o.etag = o.etag.substr(1, o.etag.size() - 2);
      o.size = size_at(item, "Size");
      add(at, std::move(o));
    }
  }

 private:
  PhotoEvents& out_;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string decode_s3_key(const std::string& encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      const int hi = i + 2 < encoded.size() ? hex_value(encoded[i + 1]) : -1;
      const int lo = hi >= 0 ? hex_value(encoded[i + 2]) : -1;
      if (lo < 0)
        throw Error("s3.object.key", "a broken %-escape at byte " + std::to_string(i) + " of the URL-encoded key");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

bool is_photo_event(const json& event) {
  if (!event.is_object()) return false;
  if (is_batch(event) || is_eventbridge_s3(event) || text_field(event, "Event") == "s3:TestEvent") return true;
  if (!has_records(event) || event["Records"].empty()) return false;
  const json& first = event["Records"][0];
  return is_s3_record(first) || is_sqs_record(first);
}

PhotoEvents parse_photo_events(const json& event) {
  PhotoEvents out;
  Collector collect(out);
  if (is_batch(event)) {
    out.step_functions_batch = true;
    collect.batch(event);
    return out;
  }
  if (has_records(event) && !event["Records"].empty() && is_sqs_record(event["Records"][0])) {
    out.from_sqs = true;
    const auto& records = event["Records"];
    for (std::size_t i = 0; i < records.size(); ++i)
      collect.sqs_record("Records[" + std::to_string(i) + "]", records[i]);
    return out;
  }
  collect.notification("", event, "");
  return out;
}

}  // namespace mw
