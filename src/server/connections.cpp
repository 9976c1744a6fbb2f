#include "server/connections.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <vector>

#include "core/json_text.h"
#include "core/worker_pool.h"

namespace mw {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kPollSliceMs = 100;          // how often a waiting connection looks whether the server stops
constexpr std::size_t kReadBuffer = 4096;  // httplib reads a request line and headers a byte at a time
constexpr int kMaxRequestsPerAnswer = 16;  // answer(): requests read from one input
constexpr auto kLinger = std::chrono::milliseconds(500);  // reading what a client still sends after its answer

// Milliseconds left until `t`, rounded up so that a wait ends at `t` or after it.
int ms_until(Clock::time_point t) {
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(t - Clock::now()).count();
  return int(std::clamp<long long>(ms, 0, 1 << 30));
}

// Waits for `events` on `sock` until `until`; true when they came.
bool wait_for(socket_t sock, short events, Clock::time_point until) {
  for (;;) {
    pollfd p{sock, events, 0};
    const int n = ::poll(&p, 1, ms_until(until));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

// Closes a connection after its answer: what the client still sends is read
// (for up to kLinger) and dropped first, since closing with unread data
// resets the connection and the client may lose the answer.
void lingering_close(socket_t sock) {
  ::shutdown(sock, SHUT_WR);
  const auto until = Clock::now() + kLinger;
  char sink[4096];
  while (wait_for(sock, POLLIN, until))
    if (::recv(sock, sink, sizeof sink, 0) <= 0) break;
  ::close(sock);
}

std::string status_reason(int status) {
  switch (status) {
    case 408:
      return "Request Timeout";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

// A whole response the connection layer writes itself, closing the connection.
std::string raw_response(int status, const std::string& code, const std::string& message) {
  const std::string body = json_text({{"error", {{"code", code}, {"message", message}}}});
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + status_reason(status) + "\r\n";
  head += "Content-Type: application/json\r\nConnection: close\r\n";
  if (status == 503) head += "Retry-After: 1\r\n";
  head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  return head + body;
}

void peer_address(socket_t sock, bool local, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  const int rc = local ? ::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len)
                       : ::getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0) return;
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  }
  ip = text;
}

}  // namespace

// A stream that counts what it wrote (so that a failure is answered only
// when nothing of a response went out yet).
class CountingStream : public httplib::Stream {
 public:
  virtual std::size_t written() const = 0;
};

namespace {

// A connection's socket for httplib, its reads bounded by the request's
// receive deadline and buffered (httplib reads headers a byte at a time).
class DeadlineStream : public CountingStream {
 public:
  DeadlineStream(socket_t sock, Clock::time_point deadline, int write_timeout_ms)
      : sock_(sock), deadline_(deadline), write_timeout_ms_(write_timeout_ms) {}

  bool is_readable() const override { return pos_ < len_ || wait_for(sock_, POLLIN, deadline_); }
  bool is_writable() const override {
    return wait_for(sock_, POLLOUT, Clock::now() + std::chrono::milliseconds(write_timeout_ms_));
  }
  ssize_t read(char* ptr, std::size_t size) override {
    if (pos_ == len_) {
      if (!wait_for(sock_, POLLIN, deadline_)) {
        expired_ = Clock::now() >= deadline_;
        return -1;
      }
      ssize_t n;
      do n = ::recv(sock_, buf_.data(), buf_.size(), 0);
      while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      pos_ = 0, len_ = std::size_t(n);
    }
    const std::size_t k = std::min(size, len_ - pos_);
    std::memcpy(ptr, buf_.data() + pos_, k);
    pos_ += k;
    return ssize_t(k);
  }
  ssize_t write(const char* ptr, std::size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n;
    do n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n > 0) written_ += std::size_t(n);
    return n;
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { peer_address(sock_, false, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { peer_address(sock_, true, ip, port); }
  socket_t socket() const override { return sock_; }

  bool expired() const { return expired_; }
  std::size_t written() const override { return written_; }

 private:
  socket_t sock_;
  Clock::time_point deadline_;
  int write_timeout_ms_;
  std::array<char, kReadBuffer> buf_{};
  std::size_t pos_ = 0, len_ = 0, written_ = 0;
  mutable bool expired_ = false;
};

// Requests held in memory (answer()), the response appended to a string.
class MemoryStream : public CountingStream {
 public:
  MemoryStream(std::string_view in, std::string& out) : in_(in), out_(out) {}
  bool is_readable() const override { return !in_.empty(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, std::size_t size) override {
    const std::size_t k = std::min(size, in_.size());
    std::memcpy(ptr, in_.data(), k);
    in_.remove_prefix(k);
    return ssize_t(k);
  }
  ssize_t write(const char* ptr, std::size_t size) override {
    out_.append(ptr, size);
    return ssize_t(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 0; }
  void get_local_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 0; }
  socket_t socket() const override { return INVALID_SOCKET; }
  std::size_t written() const override { return out_.size(); }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
  std::string& out_;
};

enum class Phase { Idle, Arriving, Whole };

struct Connection {
  socket_t sock;
  Phase phase = Phase::Idle;
  Clock::time_point since = Clock::now();
  bool closing = false;  // chosen to make room
};

thread_local Connection* t_connection = nullptr;
thread_local const DeadlineStream* t_stream = nullptr;
thread_local bool t_refuse = false;  // the pool had no room: answer 503 and close

}  // namespace

// The open connections, and the pool of threads that serve them.
class ConnectionPool : public httplib::TaskQueue {
 public:
  explicit ConnectionPool(int threads) : workers_(threads) {}
  ~ConnectionPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (taken_ < workers_.threads() || close_one_waiting()) {
      ++taken_;
      workers_.post([this, fn = std::move(fn)] {
        fn();
        std::lock_guard<std::mutex> lock(mu_);
        --taken_;
      });
      return;
    }
    lock.unlock();
    t_refuse = true;  // runs on the accepting thread: process_and_close_socket answers 503 and closes
    fn();
    t_refuse = false;
  }
  void shutdown() override { workers_.shutdown(); }

  void add(Connection* c) {
    std::lock_guard<std::mutex> lock(mu_);
    open_.push_back(c);
  }
  void remove(Connection* c) {
    std::lock_guard<std::mutex> lock(mu_);
    open_.erase(std::find(open_.begin(), open_.end(), c));
  }
  void set_phase(Connection* c, Phase p) {
    std::lock_guard<std::mutex> lock(mu_);
    c->phase = p, c->since = Clock::now();
  }

 private:
  // Under mu_: shuts down the connection that has waited longest (an idle
  // one before one still arriving); false when every one is at work.
  bool close_one_waiting() {
    Connection* pick = nullptr;
    for (Connection* c : open_) {
      if (c->closing || c->phase == Phase::Whole) continue;
      if (!pick || c->phase < pick->phase || (c->phase == pick->phase && c->since < pick->since)) pick = c;
    }
    if (!pick) return false;
    pick->closing = true;
    ::shutdown(pick->sock, SHUT_RDWR);
    return true;
  }

  std::mutex mu_;
  std::vector<Connection*> open_;
  std::size_t taken_ = 0;  // connections queued or being served
  WorkerPool workers_;     // last: joined first, before what its connections use
};

namespace {
thread_local ConnectionPool* t_pool = nullptr;

// Waits for a request's first byte on an idle connection until `until`, or
// until the server stops (`listening` false).
bool wait_for_request(socket_t sock, Clock::time_point until, const std::atomic<socket_t>& listening) {
  while (listening != INVALID_SOCKET) {
    const auto slice = std::min(until, Clock::now() + std::chrono::milliseconds(kPollSliceMs));
    if (wait_for(sock, POLLIN, slice)) return true;
    if (Clock::now() >= until) return false;
  }
  return false;
}
}  // namespace

bool receive_deadline_passed() { return t_stream && t_stream->expired(); }

void mark_request_whole() {
  if (t_pool && t_connection && t_connection->phase != Phase::Whole) t_pool->set_phase(t_connection, Phase::Whole);
}

HttpConnections::HttpConnections(const ConnectionLimits& limits, ConnectionEvent on_event)
    : limits_(limits), on_event_(std::move(on_event)) {
  new_task_queue = [this]() -> httplib::TaskQueue* {
    pool_ = new ConnectionPool(std::max(1, limits_.max_connections));
    return pool_;  // owned, shut down and deleted by httplib's listen loop
  };
}

HttpConnections::~HttpConnections() = default;

bool HttpConnections::process_and_close_socket(socket_t sock) {
  if (t_refuse) {
    const std::string r = raw_response(503, "overloaded",
                                       std::to_string(limits_.max_connections) +
                                           " connections open and busy already (--max-connections); retry later");
    (void)::send(sock, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (on_event_) on_event_(503);
    ::shutdown(sock, SHUT_RDWR);  // on the accepting thread: no lingering
    ::close(sock);
    return false;
  }
  const bool ok = serve_connection(sock);
  lingering_close(sock);
  return ok;
}

bool HttpConnections::serve_connection(socket_t sock) {
  Connection conn{sock};
  ConnectionPool* pool = pool_;
  pool->add(&conn);
  t_pool = pool, t_connection = &conn;
  const int write_timeout_ms = int(write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000);
  bool ok = false;
  for (std::size_t left = keep_alive_max_count_; left > 0 && svr_sock_ != INVALID_SOCKET; --left) {
    pool->set_phase(&conn, Phase::Idle);
    if (!wait_for_request(sock, Clock::now() + std::chrono::seconds(keep_alive_timeout_sec_), svr_sock_)) break;
    pool->set_phase(&conn, Phase::Arriving);
    DeadlineStream strm(sock, Clock::now() + std::chrono::milliseconds(limits_.receive_timeout_ms), write_timeout_ms);
    t_stream = &strm;
    ok = answer_one(strm, left == 1);
    t_stream = nullptr;
    if (strm.expired() && strm.written() == 0) {
      const std::string r = raw_response(408, "timeout",
                                         "the request did not arrive whole within " +
                                             std::to_string(limits_.receive_timeout_ms) + " ms (--receive-timeout-ms)");
      strm.write(r.data(), r.size());
      if (on_event_) on_event_(408);
      ok = false;
    }
    if (!ok || strm.expired()) break;
  }
  t_pool = nullptr, t_connection = nullptr;
  pool->remove(&conn);
  return ok;
}

// One request through httplib's handling; whatever escapes it is answered
// 500 (when nothing was written yet) and closes the connection.
bool HttpConnections::answer_one(CountingStream& strm, bool last) {
  const std::size_t written_before = strm.written();
  bool closed = false;
  try {
    return process_request(strm, last, closed, nullptr) && !closed;
  } catch (...) {
    if (on_event_) on_event_(500);
    if (strm.written() == written_before) {
      const std::string r = raw_response(500, "internal", "the request could not be served (an unexpected failure)");
      strm.write(r.data(), r.size());
    }
    return false;
  }
}

std::string HttpConnections::answer(std::string_view raw) {
  std::string out;
  MemoryStream strm(raw, out);
  for (int i = 0; i < kMaxRequestsPerAnswer && !strm.done(); ++i)
    if (!answer_one(strm, false)) break;
  return out;
}

}  // namespace mw
