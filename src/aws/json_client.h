// AWS's JSON protocol (DynamoDB, Step Functions): POST of a JSON body to the
// service's endpoint with X-Amz-Target "<prefix>.<Operation>", signed with
// SigV4; throttling answered with HTTP 400 is retried with backoff; an
// error reply's __type and message are kept for the caller.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "aws/sigv4.h"

namespace mw::aws {

struct JsonService {
  std::string endpoint_id;    // AWS_ENDPOINT_URL_<ID> names its endpoint ("dynamodb", "sfn")
  std::string signing_name;   // SigV4's service ("dynamodb", "states")
  std::string host_prefix;    // AWS's own endpoint: https://<host_prefix>.<region>.amazonaws.com
  std::string target_prefix;  // "DynamoDB_20120810", "AWSStepFunctions"
};

class JsonClient {
 public:
  struct Reply {
    long status = 0;
    nlohmann::json body;
    std::string type;  // the error's short name (ResourceNotFoundException), empty on success
    std::string message;
  };

  // endpoint "": $AWS_ENDPOINT_URL_<ID>, $AWS_ENDPOINT_URL, then AWS's own; region "": from the environment.
  // `where` starts every error message (a table's or a state machine's URI).
  JsonClient(JsonService service, std::string where, const std::string& endpoint = "", const std::string& region = "");

  // One call; the reply as it came (throttling retried first).
  Reply send(const std::string& op, const nlohmann::json& body) const;
  // As send, and throws mw::Error naming `where` and the operation on an error reply.
  nlohmann::json call(const std::string& op, const nlohmann::json& body) const;
  [[noreturn]] void fail(const std::string& op, const Reply& reply) const;
  const std::string& endpoint() const { return endpoint_; }

 private:
  JsonService service_;
  std::string where_;
  std::string endpoint_;  // scheme://host[:port]
  std::string host_;      // host[:port] as signed
  std::string path_;      // "/" unless the endpoint names one
  std::string region_;
  Credentials credentials_;
};

// The endpoint JsonClient uses when none is given.
std::string json_endpoint_from_env(const JsonService& service, const std::string& region);

}  // namespace mw::aws
