#include "aws/json_client.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "aws/http_client.h"
#include "core/hash.h"
#include "core/json_text.h"
#include "maskwatch.h"

namespace mw::aws {

using nlohmann::json;

namespace {

bool is_throttling(const std::string& type) {
  return type == "ProvisionedThroughputExceededException" || type == "ThrottlingException" ||
         type == "RequestLimitExceeded";
}

}  // namespace

std::string json_endpoint_from_env(const JsonService& service, const std::string& region) {
  if (auto e = endpoint_from_env(service.endpoint_id); !e.empty()) return e;
  return "https://" + service.host_prefix + "." + region + ".amazonaws.com";
}

JsonClient::JsonClient(JsonService service, std::string where, const std::string& endpoint, const std::string& region)
    : service_(std::move(service)), where_(std::move(where)) {
  region_ = region.empty() ? region_from_env() : region;
  const auto e = parse_endpoint(endpoint.empty() ? json_endpoint_from_env(service_, region_) : endpoint, where_);
  host_ = e.host;
  path_ = e.path.empty() ? "/" : e.path;
  endpoint_ = e.origin;
  credentials_ = credentials_from_env();
}

JsonClient::Reply JsonClient::send(const std::string& op, const json& body) const {
  HttpRequest request;
  request.method = "POST";
  request.url = endpoint_ + path_;
  request.body = body.dump();
  const std::vector<std::pair<std::string, std::string>> own = {{"content-type", "application/x-amz-json-1.0"},
                                                                {"x-amz-target", service_.target_prefix + "." + op}};
  auto payload_hash = sha256_hex(request.body);
  auto sign = [&](HttpRequest& req) {
    SignRequest s;
    s.method = req.method;
    s.host = host_;
    s.path = path_;
    s.headers = own;
    s.payload_sha256 = payload_hash;
    auto signature = aws::sign(s, credentials_, region_, service_.signing_name, amz_date_now());
    req.headers = std::move(signature.headers);  // the signed ones, then authorization
  };

  RetryPolicy retry;
  Reply reply;
  for (int attempt = 1;; ++attempt) {
    HttpResponse response;
    try {
      response = aws::send(request, retry, sign);
    } catch (const Error& e) {
      throw Error(where_ + " " + op, e.what());
    }
    reply = Reply{response.status, json(), "", ""};
    if (!response.body.empty()) {
      reply.body = json::parse(response.body, nullptr, false);
      if (reply.body.is_discarded())
        throw Error(where_ + " " + op, "HTTP " + std::to_string(response.status) +
                                           " with a body that is not JSON: " + response.body.substr(0, 200));
    }
    if (response.status == 200) return reply;
    // {"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "message": "..."}
    auto type = text_field(reply.body, "__type");
    reply.type = type.substr(type.find('#') + 1);  // the whole name when it has no '#'
    reply.message = text_field(reply.body, "message");
    if (reply.message.empty()) reply.message = text_field(reply.body, "Message");
    if (!is_throttling(reply.type) || attempt >= retry.max_attempts) return reply;
    std::this_thread::sleep_for(
        std::chrono::duration<double>(backoff_seconds(retry, attempt + 1)));  // after the client's own
  }
}

[[noreturn]] void JsonClient::fail(const std::string& op, const Reply& reply) const {
  std::string reason = reply.type.empty() ? "HTTP " + std::to_string(reply.status) : reply.type;
  if (!reply.message.empty()) reason += ": " + reply.message;
  throw Error(where_ + " " + op, reason);
}

json JsonClient::call(const std::string& op, const json& body) const {
  auto reply = send(op, body);
  if (reply.status != 200) fail(op, reply);
  return reply.body;
}

}  // namespace mw::aws
