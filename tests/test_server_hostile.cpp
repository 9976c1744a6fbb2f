// maskwatch serve against hostile clients, over real sockets on 127.0.0.1:
// paths and queries that are not UTF-8, methods and framing a route does not
// take, requests that never arrive whole, slow clients beside normal ones,
// and the limits on what the server may hold.
#include <poll.h>

#include "server_harness.h"

using namespace mw;
using namespace server_harness;

namespace {

using Clock = std::chrono::steady_clock;

// The status of a raw response ("HTTP/1.1 404 ..." gives 404), 0 when none came.
int status_of(const std::string& reply) { return reply.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(reply.substr(9, 3)) : 0; }

std::string body_of(const std::string& reply) {
  const auto at = reply.find("\r\n\r\n");
  return at == std::string::npos ? "" : reply.substr(at + 4);
}

std::string header_of(const std::string& reply, const std::string& name) {
  const auto at = reply.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  const auto start = at + name.size() + 4;
  return reply.substr(start, reply.find("\r\n", start) - start);
}

// One request on its own connection, its raw response.
std::string round_trip(int port, const std::string& request) {
  RawClient raw(port);
  raw.send(request);
  return raw.receive();
}

// Whether the server has sent something (or closed) within `ms`.
bool answered(const RawClient& raw, int ms) {
  pollfd p{raw.fd, POLLIN, 0};
  return ::poll(&p, 1, ms) > 0;
}

std::string get(const std::string& target) { return "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n"; }

}  // namespace

TEST(ServerHostile, PathsAndQueriesThatAreNotUtf8AreAnsweredAndTheServerGoesOn) {
  Running s(options());
  for (const char* path : {"/%c0", "/%ff.html", "/v1/benchmarks/runs/%ff", "/v1/%c3%28"}) {
    const std::string reply = round_trip(s.port, get(path));
    ASSERT_EQ(status_of(reply), 404) << path << ": " << reply;
    const json body = json::parse(body_of(reply));  // valid JSON, the bytes escaped
    EXPECT_EQ(body["error"]["code"], "not_found") << path;
    EXPECT_NE(body["error"]["message"].get<std::string>().find("\\x"), std::string::npos) << body;
  }
  const std::string jpeg = photo();
  const std::string reply = round_trip(s.port,
                                       "POST /v1/predict?boxes=%ff HTTP/1.1\r\nHost: x\r\n"
                                       "Content-Type: image/jpeg\r\nContent-Length: " +
                                           std::to_string(jpeg.size()) + "\r\n\r\n" + jpeg);
  ASSERT_EQ(status_of(reply), 400) << reply;
  const std::string message = json::parse(body_of(reply))["error"]["message"];
  EXPECT_NE(message.find("boxes"), std::string::npos) << message;
  EXPECT_NE(message.find("\\xff"), std::string::npos) << message;
  EXPECT_EQ(message.find("json"), std::string::npos) << message;  // not the JSON library's own text
  auto c = s.client();
  auto r = c.Get("/healthz");  // still serving
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(metric(c.Get("/metrics")->body, "maskwatch_unexpected_errors_total"), 0);
}

TEST(ServerHostile, MethodsAndFramingGetTheirOwnStatus) {
  Running s(options());
  struct Case {
    std::string request;
    int status;
    std::string allow;
  };
  const std::vector<Case> cases = {
      {"PUT /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405, "POST"},
      {"DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 405, "GET, HEAD"},
      {"OPTIONS /v1/models HTTP/1.1\r\nHost: x\r\n\r\n", 405, "GET, HEAD"},
      {"GET /v1/predict HTTP/1.1\r\nHost: x\r\n\r\n", 405, "POST"},
      {"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, ""},
      {"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n", 400, ""},
      {"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n\r\nabc", 411, ""},
  };
  for (const auto& c : cases) {
    const std::string reply = round_trip(s.port, c.request);
    EXPECT_EQ(status_of(reply), c.status) << c.request << "\n" << reply;
    EXPECT_EQ(header_of(reply, "Allow"), c.allow) << c.request;
    EXPECT_EQ(header_of(reply, "Connection"), "close") << c.request;
    EXPECT_NO_THROW(json::parse(body_of(reply))) << reply;
  }
}

TEST(ServerHostile, ARequestThatNeverArrivesWholeIsAnswered408) {
  ServeOptions o = options();
  o.receive_timeout_ms = 400;
  Running s(o);
  const std::string jpeg = photo();
  for (const std::string& part : {std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a"),
                                  predict_headers(jpeg.size()) + jpeg.substr(0, 100)}) {
    RawClient raw(s.port);
    const auto t0 = Clock::now();
    raw.send(part);
    const std::string reply = raw.receive();
    const auto waited = Clock::now() - t0;
    EXPECT_EQ(status_of(reply), 408) << reply;
    EXPECT_EQ(json::parse(body_of(reply))["error"]["code"], "timeout");
    EXPECT_GE(waited, std::chrono::milliseconds(o.receive_timeout_ms));
    EXPECT_LT(waited, std::chrono::milliseconds(4 * o.receive_timeout_ms));
  }
  // Headers that trickle in a byte at a time get the same deadline, not one per read.
  RawClient raw(s.port);
  const auto t0 = Clock::now();
  const std::string request = get("/healthz");
  for (std::size_t i = 0; i + 1 < request.size() && !answered(raw, 100); ++i) raw.send(request.substr(i, 1));
  EXPECT_EQ(status_of(raw.receive()), 408);
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(4 * o.receive_timeout_ms));
}

// Slow clients hold connections, not workers: normal requests beside them are
// answered, also when the slow ones fill every connection thread (the one
// waiting longest is closed to make room).
TEST(ServerHostile, SlowClientsDoNotStarveNormalRequests) {
  for (int max_connections : {256, 8}) {
    ServeOptions o = options();
    o.max_connections = max_connections;
    o.max_in_flight = 2;
    Running s(o);
    std::vector<std::unique_ptr<RawClient>> slow;
    for (int i = 0; i < 40; ++i) {
      slow.push_back(std::make_unique<RawClient>(s.port));
      slow.back()->send("GET /healthz HTTP/1.1\r\nHo");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto c = s.client();
    for (int i = 0; i < 3; ++i) {
      const auto t0 = Clock::now();
      auto h = c.Get("/healthz");
      auto r = c.Post(std::string("/v1/predict?boxes=") + kBox, photo(), "image/jpeg");
      ASSERT_TRUE(h && r) << "max_connections " << max_connections;
      EXPECT_EQ(h->status, 200);
      EXPECT_EQ(r->status, 200) << r->body;
      EXPECT_LT(Clock::now() - t0, std::chrono::seconds(3)) << "max_connections " << max_connections;
    }
  }
}

TEST(ServerHostile, TheTokenIsComparedWhole) {
  ServeOptions o = options();
  o.token = "s3cret";
  Running s(o);
  auto with = [&](const std::string& authorization) {
    return status_of(
        round_trip(s.port, "GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: " + authorization + "\r\n\r\n"));
  };
  EXPECT_EQ(with("Bearer s3cret"), 200);
  // HTTP strips a header value's surrounding whitespace (RFC 9110, 5.5): the same token.
  EXPECT_EQ(with("Bearer s3cret "), 200);
  for (const char* wrong : {"Bearer s3cret x", "Bearer  s3cret", "Bearer s3cre", "Bearer s3cretx", "bearer s3cret",
                            "Bearer", "s3cret", "Bearer \xff"})
    EXPECT_EQ(with(wrong), 401) << wrong;
}

TEST(ServerHostile, TheLimitsOnWhatIsHeldAreCheckedAndStated) {
  for (auto change : std::vector<std::function<void(ServeOptions&)>>{[](ServeOptions& o) { o.max_connections = 0; },
                                                                     [](ServeOptions& o) { o.receive_timeout_ms = 0; },
                                                                     [](ServeOptions& o) { o.max_in_flight = 0; }}) {
    ServeOptions o = options();
    change(o);
    EXPECT_THROW(Server{o}, Error);
  }
  ServeOptions o = options();
  o.max_in_flight = 4;
  o.max_body_bytes = 1 << 20;
  o.max_pixels = 1'000'000;
  // Bodies: 2 x 4 x 1 MiB; pixels: 2 x 1 M at 8 bytes each.
  EXPECT_EQ(request_memory_bound(o), 8u * (1 << 20) + 2 * 1'000'000 * kServedBytesPerPixel);
  EXPECT_NE(describe_request_memory(o).find("MiB"), std::string::npos);
}
