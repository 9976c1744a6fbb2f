// The harness the server tests share: a store with a tiny trained model
// (trained once per test process on a few dataset images), a server on an
// ephemeral port of 127.0.0.1, raw connections and the metrics' values.
#pragma once
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "fixture.h"
#include "server/server.h"

namespace server_harness {

using namespace mw;

inline constexpr int kImages = 30;
inline const char* const kPhoto = "maksssksksss0.jpg";  // 512x366, faces at the boxes below
inline const char* const kBox = "79,105,109,142";

// A store with a tiny trained model, made once per test process.
inline const std::string& served_store() {
  static const std::string store = [] {
    IngestOptions in;
    in.data_dir = fixture::small_dataset(kImages, "serve-data");
    in.store = fixture::temp_dir("serve-store");
    ingest(in);
    PrepareOptions pr;
    pr.store = in.store;
    pr.crop_size = 32;
    prepare(pr);
    TrainOptions t;
    t.store = in.store;
    t.input_size = 32;
    t.epochs = 1;
    t.batch = 16;
    t.limit = 32;
    t.val_limit = 16;
    t.threads = 2;
    train(t);
    return in.store;
  }();
  return store;
}

inline std::string photo() {
  std::ifstream f(fixture::data_dir() + "/images/" + kPhoto, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

inline ServeOptions options() {
  ServeOptions o;
  o.store = served_store();
  o.port = 0;
  o.threads = 2;
  o.access_log = ServeOptions::AccessLog::None;
  return o;
}

// A server on an ephemeral port, serving on a thread until destroyed.
struct Running {
  std::unique_ptr<Server> server;
  int port = 0;
  std::atomic<bool> finished{false};
  std::thread thread;
  explicit Running(const ServeOptions& o) : server(std::make_unique<Server>(o)), port(server->bind()) {
    thread = std::thread([this] {
      server->serve();
      finished = true;
    });
  }
  ~Running() {
    while (!finished) {  // a stop before it listens would be lost: again until it returns
      server->stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    thread.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(20, 0);
    return c;
  }
};

// A benchmark run's status once it is no longer running (or after 30 s).
inline json wait_for_run(httplib::Client& c, const std::string& id) {
  json status;
  for (int i = 0; i < 600; ++i) {
    status = json::parse(c.Get("/v1/benchmarks/runs/" + id)->body);
    if (status["status"] != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return status;
}

inline std::string error_code(const httplib::Result& r) {
  if (!r) return "no response";
  try {
    return json::parse(r->body)["error"]["code"];
  } catch (const std::exception&) {
    return "not an error body: " + r->body;
  }
}

// A raw connection for what httplib's client will not do: send part of a request and wait.
struct RawClient {
  int fd = -1;
  explicit RawClient(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(std::uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect failed");
  }
  ~RawClient() { ::close(fd); }
  void send(const std::string& s) const { ASSERT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), ssize_t(s.size())); }
  // One response (headers and a Content-Length body), or what came in 5 s.
  std::string receive() const {
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string out;
    char buf[4096];
    for (ssize_t n; !complete(out) && (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, std::size_t(n));
    return out;
  }
  static bool complete(const std::string& r) {
    const auto end = r.find("\r\n\r\n");
    const auto len = r.find("Content-Length: ");
    if (end == std::string::npos || len == std::string::npos) return false;
    return r.size() >= end + 4 + std::stoul(r.substr(len + 16));
  }
};

inline std::string predict_headers(std::size_t content_length) {
  return "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: " +
         std::to_string(content_length) + "\r\n\r\n";
}

inline long metric(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::stol(text.substr(at + series.size() + 2));
}

// /metrics once `series` reaches `value` (a request is counted just after its
// response is sent), or after 2 s.
inline std::string metrics_when(httplib::Client& c, const std::string& series, long value) {
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text = c.Get("/metrics")->body;
    if (metric(text, series) >= value) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return text;
}

}  // namespace server_harness
