#include "lambda/runtime.h"

#include <curl/curl.h>
#include <cxxabi.h>
#include <stdlib.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <typeinfo>
#include <utility>
#include <vector>

#include "aws/http_client.h"
#include "core/signals.h"
#include "maskwatch.h"

namespace mw {
namespace {

// Set by SIGTERM; polled by the next-invocation request, which then stops.
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the SIGTERM flag must be lock-free");

extern "C" void on_sigterm(int) { g_stop.store(true); }

void log_line(const std::string& line) { std::fprintf(stderr, "maskwatch lambda: %s\n", line.c_str()); }

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> d(abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
  return status == 0 && d ? d.get() : name;
}

struct Reply {
  CURLcode code = CURLE_OK;
  std::string curl_error;
  long status = 0;
  aws::HttpHeaders headers;
  std::string body;
  std::string header(const std::string& lower_name) const { return aws::find_header(headers, lower_name); }
  std::string describe() const {
    if (code != CURLE_OK) return curl_error.empty() ? curl_easy_strerror(code) : curl_error;
    return "HTTP " + std::to_string(status) + (body.empty() ? "" : ": " + body.substr(0, 300));
  }
};

extern "C" size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<Reply*>(user)->body.append(data, size * n);
  return size * n;
}

extern "C" int on_progress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) { return g_stop.load() ? 1 : 0; }

// One connection to the runtime API, kept alive between requests.
class RuntimeApi {
 public:
  explicit RuntimeApi(const std::string& host_port) : base_("http://" + host_port + "/2018-06-01/runtime/") {
    aws::init_curl();
    curl_ = curl_easy_init();
    if (!curl_) throw Error("lambda runtime", "curl_easy_init failed");
  }
  ~RuntimeApi() { curl_easy_cleanup(curl_); }
  RuntimeApi(const RuntimeApi&) = delete;
  RuntimeApi& operator=(const RuntimeApi&) = delete;

  // The long poll: no timeout (the environment may be frozen between events),
  // abandoned when SIGTERM arrives.
  Reply next() { return perform("invocation/next", nullptr, nullptr); }

  Reply post(const std::string& path, const std::string& body, const char* error_type = nullptr) {
    return perform(path, &body, error_type);
  }

 private:
  Reply perform(const std::string& path, const std::string* body, const char* error_type) {
    Reply reply;
    char error[CURL_ERROR_SIZE] = "";
    std::string url = base_ + path;
    curl_easy_reset(curl_);  // keeps the open connection
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, aws::collect_header);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &reply.headers);
    curl_slist* headers = nullptr;
    if (body) {
      curl_easy_setopt(curl_, CURLOPT_POST, 1L);
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body->data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
      curl_easy_setopt(curl_, CURLOPT_TIMEOUT, 60L);
      headers = curl_slist_append(headers, "Content-Type: application/json");
      headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip for large bodies
      if (error_type)
        headers =
            curl_slist_append(headers, (std::string("Lambda-Runtime-Function-Error-Type: ") + error_type).c_str());
      curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    } else {
      curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
      curl_easy_setopt(curl_, CURLOPT_TIMEOUT, 0L);
      curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, on_progress);
    }
    reply.code = curl_easy_perform(curl_);
    reply.curl_error = error;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &reply.status);
    curl_slist_free_all(headers);
    return reply;
  }

  std::string base_;
  CURL* curl_ = nullptr;
};

constexpr const char* kErrorType = "Unhandled";  // Lambda-Runtime-Function-Error-Type, as in AWS's examples

std::int64_t parse_deadline(const std::string& text) {
  try {
    return text.empty() ? 0 : std::stoll(text);
  } catch (const std::exception&) {
    return 0;
  }
}

// Posts an invocation's result; false when the runtime should exit.
bool post_result(RuntimeApi& api, const std::string& id, const std::string& result, bool failed) {
  std::string path = "invocation/" + id + (failed ? "/error" : "/response");
  Reply r = api.post(path, result, failed ? kErrorType : nullptr);
  if (r.code == CURLE_OK && r.status >= 200 && r.status < 300) return true;
  log_line("POST " + path + " failed: " + r.describe());
  if (r.code != CURLE_OK || r.status >= 500) return false;  // the API is gone or asks the runtime to exit
  if (!failed && r.status == 413) {
    std::string too_large = json{
        {"errorMessage", "the response (" + std::to_string(result.size()) + " bytes) is larger than Lambda accepts"},
        {"errorType", "ResponseTooLarge"},
        {"stackTrace",
         json::array()}}.dump();
    return post_result(api, id, too_large, true);
  }
  return true;  // 400/403: this invocation is lost, the next one may be fine
}

}  // namespace

std::string lambda_error_json(const std::exception_ptr& error) {
  std::string message = "unknown error", type = "UnknownError";
  try {
    if (error) std::rethrow_exception(error);
  } catch (const Error& e) {
    message = e.what();
    type = "mw::Error";
  } catch (const std::exception& e) {
    message = e.what();
    type = demangle(typeid(e).name());
  } catch (...) {
  }
  return json{{"errorMessage", message}, {"errorType", type}, {"stackTrace", json::array()}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

int serve_lambda(const std::string& runtime_api, const LambdaInit& init, int max_invocations) {
  g_stop.store(false);
  const ScopedSignalHandler sigterm({SIGTERM}, on_sigterm);
  RuntimeApi api(runtime_api);

  LambdaHandler handler;
  try {
    handler = init();
    if (!handler) throw Error("lambda init", "no handler");
  } catch (...) {
    std::string doc = lambda_error_json(std::current_exception());
    log_line("init failed: " + doc);
    Reply r = api.post("init/error", doc, kErrorType);
    if (r.code != CURLE_OK || r.status < 200 || r.status >= 300) log_line("POST init/error failed: " + r.describe());
    return 1;
  }

  for (int done = 0; max_invocations < 0 || done < max_invocations; ++done) {
    if (g_stop.load()) return 0;
    Reply next = api.next();
    if (g_stop.load() && next.code == CURLE_ABORTED_BY_CALLBACK) return 0;
    if (next.code != CURLE_OK || next.status != 200) {
      log_line("GET invocation/next failed: " + next.describe());
      return 1;
    }
    LambdaInvocation inv;
    inv.request_id = next.header("lambda-runtime-aws-request-id");
    inv.function_arn = next.header("lambda-runtime-invoked-function-arn");
    inv.trace_id = next.header("lambda-runtime-trace-id");
    inv.deadline_ms = parse_deadline(next.header("lambda-runtime-deadline-ms"));
    inv.event = std::move(next.body);
    if (inv.request_id.empty()) {
      log_line("GET invocation/next: no Lambda-Runtime-Aws-Request-Id header");
      return 1;
    }
    if (inv.trace_id.empty())
      unsetenv("_X_AMZN_TRACE_ID");
    else
      setenv("_X_AMZN_TRACE_ID", inv.trace_id.c_str(), 1);

    std::string result;
    bool failed = false;
    try {
      result = handler(inv);
    } catch (...) {
      result = lambda_error_json(std::current_exception());
      failed = true;
      log_line("invocation " + inv.request_id + " failed: " + result);
    }
    if (!post_result(api, inv.request_id, result, failed)) return 1;
  }
  return 0;
}

}  // namespace mw
