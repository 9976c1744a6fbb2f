#include "aws/http_client.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "core/text.h"
#include "maskwatch.h"

namespace fs = std::filesystem;

namespace mw::aws {

namespace {

// One handle per thread, reset between requests: its connection cache keeps
// connections alive from one request to the next.
CURL* thread_handle() {
  init_curl();
  thread_local std::unique_ptr<CURL, void (*)(CURL*)> handle(curl_easy_init(), &curl_easy_cleanup);
  if (!handle) throw Error("libcurl", "curl_easy_init failed");
  curl_easy_reset(handle.get());
  return handle.get();
}

bool retryable_status(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

bool retryable_curl(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

struct Transfer {
  CURL* curl = nullptr;
  HttpResponse* response = nullptr;
  std::FILE* upload = nullptr;
  // The response body goes to `sink` (a temporary file) when the status is 2xx
  // and a response file was asked for, to response->body otherwise.
  std::string sink_path;
  std::FILE* sink = nullptr;
  bool decided = false;
  bool write_failed = false;
  std::uint64_t max_body_bytes = 0;
  bool over_limit = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (!t->decided) {
    t->decided = true;
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300 && !t->sink_path.empty()) {
      t->sink = std::fopen(t->sink_path.c_str(), "wb");
      if (!t->sink) {
        t->write_failed = true;
        return 0;
      }
    }
  }
  if (t->sink) {
    if (std::fwrite(data, size, n, t->sink) != n) {
      t->write_failed = true;
      return 0;
    }
  } else if (t->max_body_bytes && t->response->body.size() + size * n > t->max_body_bytes) {
    t->over_limit = true;
    return 0;  // stops the transfer
  } else {
    t->response->body.append(data, size * n);
  }
  return size * n;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t got = std::fread(buffer, 1, size * n, t->upload);
  if (got == 0 && std::ferror(t->upload)) return CURL_READFUNC_ABORT;
  return got;
}

// One attempt. Returns the curl code; fills `response`.
CURLcode attempt_once(const HttpRequest& req, HttpResponse& response, std::string& error) {
  CURL* curl = thread_handle();
  Transfer t;
  t.curl = curl;
  t.response = &response;
  t.max_body_bytes = req.max_body_bytes;
  char errbuf[CURL_ERROR_SIZE] = "";

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> upload(nullptr, &std::fclose);
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(nullptr, &curl_slist_free_all);
  auto add_header = [&](const std::string& line) { headers.reset(curl_slist_append(headers.release(), line.c_str())); };
  bool has_content_type = false;
  for (const auto& [k, v] : req.headers) {
    if (lower_ascii(k) == "content-type") has_content_type = true;
    add_header(k + ": " + v);
  }
  add_header("Expect:");                               // no 100-continue round trip
  if (!has_content_type) add_header("Content-Type:");  // curl would add one for a body from memory

  curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, std::min(req.timeout_seconds, 30L));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, req.timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &collect_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);

  if (req.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (!req.body_file.empty()) {
    upload.reset(std::fopen(req.body_file.c_str(), "rb"));
    if (!upload) throw Error(req.body_file, std::string("cannot open: ") + std::strerror(errno));
    std::error_code ec;
    auto size = fs::file_size(req.body_file, ec);
    if (ec) throw Error(req.body_file, "cannot read: " + ec.message());
    t.upload = upload.get();
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, &on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &t);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    if (req.method != "PUT") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  } else if (req.method == "PUT" || req.method == "POST" || !req.body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    if (req.method != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  } else if (req.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  if (!req.response_file.empty()) {
    fs::path target(req.response_file);
    if (target.has_parent_path()) fs::create_directories(target.parent_path());
    std::random_device rd;
    t.sink_path = req.response_file + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
  }

  CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  if (t.sink && std::fclose(t.sink) != 0) t.write_failed = true;
  bool ok_to_file = t.sink != nullptr;
  t.sink = nullptr;

  if (t.write_failed) {
    std::remove(t.sink_path.c_str());
    throw Error(req.response_file, "cannot write the response (disk full?)");
  }
  if (t.over_limit) {
    response.body_over_limit = true;
    return CURLE_OK;  // an answer, not a transport failure: nothing to retry
  }
  if (code != CURLE_OK) {
    error = errbuf[0] ? errbuf : curl_easy_strerror(code);
    if (ok_to_file) std::remove(t.sink_path.c_str());
    return code;
  }
  if (!req.response_file.empty() && response.status >= 200 && response.status < 300) {
    if (!ok_to_file) {  // an empty body: no write callback
      std::FILE* f = std::fopen(t.sink_path.c_str(), "wb");
      if (!f || std::fclose(f) != 0)
        throw Error(req.response_file, std::string("cannot create: ") + std::strerror(errno));
    }
    std::error_code ec;
    fs::rename(t.sink_path, req.response_file, ec);
    if (ec) {
      std::remove(t.sink_path.c_str());
      throw Error(req.response_file, "cannot rename into place: " + ec.message());
    }
  }
  return CURLE_OK;
}

}  // namespace

double backoff_seconds(const RetryPolicy& retry, int attempt) {
  thread_local std::mt19937 rng{std::random_device{}()};
  double cap = std::min(retry.max_delay_seconds, retry.base_delay_seconds * std::pow(2.0, attempt - 1));
  return std::uniform_real_distribution<double>(cap / 2, cap)(rng);
}

void init_curl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string find_header(const HttpHeaders& headers, const std::string& lower_name) {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return "";
}

std::size_t collect_header(char* data, std::size_t size, std::size_t n, void* headers) {
  auto* out = static_cast<HttpHeaders*>(headers);
  const std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    out->clear();
  } else if (auto colon = line.find(':'); colon != std::string::npos) {
    out->emplace_back(lower_ascii(trim(line.substr(0, colon))), trim(line.substr(colon + 1)));
  }
  return size * n;
}

std::string HttpResponse::header(const std::string& lower_name) const { return find_header(headers, lower_name); }

HttpResponse send(HttpRequest request, const RetryPolicy& retry, const std::function<void(HttpRequest&)>& prepare) {
  const int max_attempts = std::max(1, retry.max_attempts);
  for (int attempt = 1;; ++attempt) {
    HttpRequest req = request;
    if (prepare) prepare(req);
    HttpResponse response;
    response.attempts = attempt;
    std::string error;
    CURLcode code = attempt_once(req, response, error);
    bool transport_failed = code != CURLE_OK;
    if (transport_failed && !retryable_curl(code))
      throw Error(request.method + " " + request.url, "request failed: " + error);
    if (!transport_failed && !retryable_status(response.status)) return response;
    if (attempt >= max_attempts) {
      if (transport_failed)
        throw Error(request.method + " " + request.url,
                    "request failed after " + std::to_string(attempt) + " attempts: " + error);
      return response;
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(backoff_seconds(retry, attempt)));
  }
}

}  // namespace mw::aws
