// AWS Signature Version 4: signs an HTTP request for S3, DynamoDB, or any
// other AWS service. Pure functions (no I/O), checked against AWS's published
// test vectors.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace mw::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // optional (Lambda, assumed roles)
};

// Reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
// Throws mw::Error naming the missing variable.
Credentials credentials_from_env();
// AWS_REGION, then AWS_DEFAULT_REGION, then "us-east-1".
std::string region_from_env();

struct SignRequest {
  std::string method;  // "GET"
  std::string host;    // "examplebucket.s3.amazonaws.com" (with ":port" when not default)
  std::string path;    // already URI-encoded path, e.g. "/test%24file.text"
  std::vector<std::pair<std::string, std::string>> query;  // raw (unencoded) name/value pairs
  // Extra headers to sign (x-amz-*, content-type, range...); values are trimmed, repeated names joined with ",".
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_sha256;  // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" (empty: an empty body)
};

struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // hex
  std::string authorization;  // the Authorization header's value
  // Every header the request must carry: the signed ones (lower-case names; host, x-amz-date and,
  // with a session token, x-amz-security-token added) and then authorization.
  std::vector<std::pair<std::string, std::string>> headers;
};

// amz_date: "20130524T000000Z". service: "s3", "dynamodb", ...
Signature sign(const SignRequest& req, const Credentials& creds, const std::string& region, const std::string& service,
               const std::string& amz_date);

// RFC 3986 percent-encoding as SigV4 wants it (unreserved kept; '/' kept when encode_slash is false).
std::string uri_encode(const std::string& s, bool encode_slash = true);
std::string amz_date_now();

// An S3-compatible or local server for `service` ("s3", "dynamodb"): AWS_ENDPOINT_URL_<SERVICE>,
// then AWS_ENDPOINT_URL; "" when neither is set (the service's AWS endpoint then).
std::string endpoint_from_env(const std::string& service);
struct Endpoint {
  std::string origin;  // scheme://host[:port]
  std::string host;    // host[:port], as signed
  std::string path;    // "" or "/..." as given
};
// Throws mw::Error(where, ...) for a URL that is not http(s):// with a host.
Endpoint parse_endpoint(const std::string& url, const std::string& where);
// The canonical query string: names and values uri_encode()d, sorted by name
// then value, joined with '&'. Also the query to put in the request's URL.
std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query);
// The hex SHA-256 of an empty body.
inline constexpr const char* kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

}  // namespace mw::aws
