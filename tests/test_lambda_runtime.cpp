#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "aws/http_client.h"
#include "lambda/events.h"
#include "lambda/runtime.h"
#include "loopback_http_server.h"
#include "maskwatch.h"

using namespace mw;
using fixture::HttpReply;
using fixture::HttpRequest;

namespace {

const std::string kApi = "/2018-06-01/runtime/";

struct QueuedInvocation {
  std::string id, event;
  std::vector<std::pair<std::string, std::string>> headers;
};

// The runtime API as AWS documents it: GET invocation/next hands out queued
// events (blocking while there are none, as the real one does), POSTs to
// invocation/{id}/response, invocation/{id}/error and init/error get 202.
class FakeRuntimeApi {
 public:
  FakeRuntimeApi() : server_([this](const HttpRequest& r) { return handle(r); }) {}
  ~FakeRuntimeApi() { release(); }

  void queue(QueuedInvocation inv) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(inv));
    cv_.notify_all();
  }
  // Lets a blocked GET invocation/next return (with no event).
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  std::string host_port() const { return server_.host_port(); }
  std::vector<HttpRequest> requests() const { return server_.requests(); }
  int connections() const { return server_.connections(); }

 private:
  HttpReply handle(const HttpRequest& r) {
    if (r.method == "GET" && r.target == kApi + "invocation/next") {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || released_; });
      if (queue_.empty()) return {500, {}, R"({"errorMessage":"shutting down","errorType":"Fake"})"};
      auto inv = std::move(queue_.front());
      queue_.pop_front();
      inv.headers.emplace_back("Lambda-Runtime-Aws-Request-Id", inv.id);
      inv.headers.emplace_back("Content-Type", "application/json");
      return {200, inv.headers, inv.event};
    }
    if (r.method == "POST" && r.target.rfind(kApi, 0) == 0) return {202, {}, R"({"status":"OK"})"};
    return {404, {}, "{}"};
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<QueuedInvocation> queue_;
  bool released_ = false;
  fixture::LoopbackHttpServer server_;  // last: stops before the state it uses goes
};

const char* kScheduledEvent = R"({"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",)"
                              R"("detail-type":"Scheduled Event","source":"aws.events","account":"123456789012",)"
                              R"("time":"2015-10-08T16:53:06Z","region":"us-east-1",)"
                              R"("resources":["arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule"],)"
                              R"("detail":{}})";
const char* kArn = "arn:aws:lambda:us-east-2:123456789012:function:custom-runtime";
const char* kTrace = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1";

}  // namespace

TEST(LambdaRuntime, AnswersFailsAndRunsScheduledInvocations) {
  FakeRuntimeApi api;
  api.queue({"8476a536-e9f4-11e8-9739-2dfe598c3fcd",
             R"({"image":"Zm9v","boxes":[[1,2,3,4]]})",
             {{"Lambda-Runtime-Deadline-Ms", "1542409706888"},
              {"Lambda-Runtime-Invoked-Function-Arn", kArn},
              {"Lambda-Runtime-Trace-Id", kTrace}}});
  api.queue({"req-throws", R"({"boom":true})", {{"Lambda-Runtime-Deadline-Ms", "1542409706999"}}});
  api.queue({"req-scheduled", kScheduledEvent, {}});

  int init_calls = 0;
  std::vector<LambdaInvocation> seen;
  std::vector<std::string> trace_env;
  auto init = [&]() -> LambdaHandler {
    ++init_calls;
    return [&](const LambdaInvocation& inv) {
      seen.push_back(inv);
      const char* t = std::getenv("_X_AMZN_TRACE_ID");
      trace_env.push_back(t ? t : "");
      auto event = json::parse(inv.event);
      switch (classify_event(event)) {
        case LambdaEventKind::Classify:
          return json{{"kind", "classify"}, {"faces", parse_classify_request(event).boxes.size()}}.dump();
        case LambdaEventKind::Scheduled:
          return json{{"kind", "scheduled"}}.dump();
        case LambdaEventKind::Unknown:
          break;
      }
      throw Error("event", "not a classify or scheduled event");
    };
  };
  EXPECT_EQ(serve_lambda(api.host_port(), init, 3), 0);
  EXPECT_EQ(init_calls, 1);

  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].request_id, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
  EXPECT_EQ(seen[0].function_arn, kArn);
  EXPECT_EQ(seen[0].trace_id, kTrace);
  EXPECT_EQ(seen[0].deadline_ms, 1542409706888);
  EXPECT_EQ(seen[1].deadline_ms, 1542409706999);
  EXPECT_EQ(seen[2].event, kScheduledEvent);
  EXPECT_EQ(trace_env, (std::vector<std::string>{kTrace, "", ""}));  // set when present, cleared otherwise

  auto reqs = api.requests();
  ASSERT_EQ(reqs.size(), 6u);  // next, response, next, error, next, response
  for (int i : {0, 2, 4}) {
    EXPECT_EQ(reqs[i].method, "GET");
    EXPECT_EQ(reqs[i].target, kApi + "invocation/next");
  }
  EXPECT_EQ(reqs[1].method, "POST");
  EXPECT_EQ(reqs[1].target, kApi + "invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response");
  EXPECT_EQ(reqs[1].body, R"({"faces":1,"kind":"classify"})");
  EXPECT_FALSE(reqs[1].has_header("lambda-runtime-function-error-type"));

  EXPECT_EQ(reqs[3].method, "POST");
  EXPECT_EQ(reqs[3].target, kApi + "invocation/req-throws/error");
  EXPECT_EQ(reqs[3].header("lambda-runtime-function-error-type"), "Unhandled");
  auto err = json::parse(reqs[3].body);
  EXPECT_EQ(err, (json{{"errorMessage", "event: not a classify or scheduled event"},
                       {"errorType", "mw::Error"},
                       {"stackTrace", json::array()}}));

  EXPECT_EQ(reqs[5].target, kApi + "invocation/req-scheduled/response");
  EXPECT_EQ(reqs[5].body, R"({"kind":"scheduled"})");
  EXPECT_EQ(api.connections(), 1);  // one kept-alive connection for the whole loop
}

TEST(LambdaRuntime, InitFailurePostsInitErrorAndExitsNonZero) {
  FakeRuntimeApi api;
  api.queue({"never-fetched", "{}", {}});
  bool handler_ran = false;
  auto init = [&]() -> LambdaHandler {
    throw Error("models/latest", "no model in the store");
    return [&](const LambdaInvocation&) {
      handler_ran = true;
      return std::string("{}");
    };
  };
  EXPECT_EQ(serve_lambda(api.host_port(), init), 1);
  EXPECT_FALSE(handler_ran);
  auto reqs = api.requests();
  ASSERT_EQ(reqs.size(), 1u);  // no GET invocation/next after a failed init
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, kApi + "init/error");
  EXPECT_EQ(reqs[0].header("lambda-runtime-function-error-type"), "Unhandled");
  EXPECT_EQ(json::parse(reqs[0].body), (json{{"errorMessage", "models/latest: no model in the store"},
                                             {"errorType", "mw::Error"},
                                             {"stackTrace", json::array()}}));
}

TEST(LambdaRuntime, SigtermDuringTheLongPollStopsCleanly) {
  struct sigaction before {};
  sigaction(SIGTERM, nullptr, &before);
  FakeRuntimeApi api;  // nothing queued: GET invocation/next blocks
  auto start = std::chrono::steady_clock::now();
  auto served = std::async(std::launch::async, [&] {
    return serve_lambda(api.host_port(), [] { return [](const LambdaInvocation&) { return std::string("{}"); }; });
  });
  while (api.requests().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the GET is in flight
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  ASSERT_EQ(served.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(served.get(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  api.release();
  struct sigaction after {};
  sigaction(SIGTERM, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler);  // the previous handler is back
}

TEST(LambdaRuntime, UnreachableRuntimeApiExitsNonZero) {
  std::string gone;
  {
    fixture::LoopbackHttpServer server([](const HttpRequest&) { return HttpReply{}; });
    gone = server.host_port();
  }  // closed: connections are refused
  EXPECT_EQ(serve_lambda(gone, [] { return [](const LambdaInvocation&) { return std::string("{}"); }; }), 1);
}

TEST(LambdaRuntime, ErrorDocumentNamesTheExceptionType) {
  auto doc = [](auto thrown) {
    try {
      throw thrown;
    } catch (...) {
      return json::parse(lambda_error_json(std::current_exception()));
    }
  };
  EXPECT_EQ(doc(std::out_of_range("index 7"))["errorType"], "std::out_of_range");
  EXPECT_EQ(doc(std::out_of_range("index 7"))["errorMessage"], "index 7");
  EXPECT_EQ(doc(42)["errorType"], "UnknownError");
  EXPECT_TRUE(doc(42)["stackTrace"].is_array());
}

TEST(HttpHeaders, CollectedLowerCaseTrimmedAndRestartedByAStatusLine) {
  aws::HttpHeaders headers;
  auto feed = [&](std::string line) { return aws::collect_header(line.data(), 1, line.size(), &headers); };
  EXPECT_EQ(feed("HTTP/1.1 100 Continue\r\n"), 23u);
  feed("X-Early: dropped\r\n");
  feed("HTTP/1.1 200 OK\r\n");
  feed("Lambda-Runtime-Aws-Request-Id:  abc-1 \r\n");
  feed("Content-Type: application/json\r\n");
  feed("\r\n");
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(aws::find_header(headers, "lambda-runtime-aws-request-id"), "abc-1");
  EXPECT_EQ(aws::find_header(headers, "content-type"), "application/json");
  EXPECT_EQ(aws::find_header(headers, "x-early"), "");
}
