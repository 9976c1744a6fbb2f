// A small HTTP client over libcurl for AWS-style APIs: one request at a time,
// bodies from/to memory or streamed from/to files, retries with exponential
// backoff and jitter on throttling, 5xx and network errors.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace mw::aws {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;  // names lower-case

// The value of the first header named lower_name; "" when there is none.
std::string find_header(const HttpHeaders& headers, const std::string& lower_name);
// A libcurl CURLOPT_HEADERFUNCTION: collects the response's headers into the
// HttpHeaders passed as CURLOPT_HEADERDATA; a status line (after a 100 Continue
// or a redirect) starts them over.
std::size_t collect_header(char* data, std::size_t size, std::size_t n, void* headers);
// curl_global_init, once per process, for every libcurl user.
void init_curl();

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // full URL, path and query already encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                  // used when body_file is empty
  std::string body_file;             // stream the body from this file
  std::string response_file;         // stream a 2xx response body into this file (atomically)
  long timeout_seconds = 60;         // an attempt fails when no byte moves for this long
  std::uint64_t max_body_bytes = 0;  // a body in memory stops here (0: no limit); see body_over_limit
};

struct HttpResponse {
  long status = 0;
  HttpHeaders headers;
  std::string body;              // empty when streamed to response_file
  int attempts = 0;              // how many attempts it took
  bool body_over_limit = false;  // the body went past max_body_bytes: the transfer stopped there, not retried
  std::string header(const std::string& lower_name) const;
};

struct RetryPolicy {
  int max_attempts = 5;
  double base_delay_seconds = 0.1;
  double max_delay_seconds = 5.0;
};

// Exponential backoff with jitter before retry `attempt` (1, 2, ...): uniform in
// [cap/2, cap], cap = base * 2^(attempt-1), at most max_delay_seconds.
double backoff_seconds(const RetryPolicy& retry, int attempt);

// `prepare` is called before every attempt (so a signature can carry a fresh date).
// Retries on 429, 500, 502, 503, 504 (S3's SlowDown is a 503) and curl transport errors;
// returns the last response otherwise (the caller turns 4xx into errors, and retries
// the throttling errors a service answers with HTTP 400, as DynamoDB does).
// Throws mw::Error naming the URL when the last attempt failed in transport.
HttpResponse send(HttpRequest request, const RetryPolicy& retry = {},
                  const std::function<void(HttpRequest&)>& prepare = {});

}  // namespace mw::aws
