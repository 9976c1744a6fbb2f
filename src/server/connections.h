// maskwatch serve's connections: cpp-httplib parses, routes and answers each
// request; this layer owns the connections it runs on.
//   - A deadline for each request to arrive whole, its headers and body
//     (receive_timeout_ms, from its first byte): after it the request is
//     answered 408 and the connection closed. A slow client can hold its
//     connection that long and no longer.
//   - Each connection runs on a thread of a fixed pool (max_connections).
//     A request takes one of the server's workers only once it has arrived
//     whole, so slow clients hold connection threads, never workers. When
//     every thread is taken, the connection that has waited longest for a
//     request (an idle keep-alive one first, then one whose request is still
//     arriving) is closed to make room; when none is waiting, the new
//     connection is answered 503 at once.
//   - Whatever escapes the request handling is answered 500 with a JSON body
//     (when nothing was written yet), reported to on_event, and the
//     connection closed; the server goes on serving.
#pragma once
#include <httplib.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace mw {

class ConnectionPool;
class CountingStream;

struct ConnectionLimits {
  int max_connections = 256;        // connection threads, each serving one client connection at a time
  int receive_timeout_ms = 20'000;  // for a request to arrive whole
};

// What the connection layer answered itself (408, 500, 503), for metrics.
using ConnectionEvent = std::function<void(int status)>;

class HttpConnections : public httplib::Server {
 public:
  HttpConnections(const ConnectionLimits& limits, ConnectionEvent on_event);
  ~HttpConnections() override;

  // Raw request bytes (one request, or several on one kept-alive
  // connection) through the same handling a socket's get; the response
  // bytes out. For the request fuzz target.
  std::string answer(std::string_view raw);

  // The worst case this layer may hold: its connection threads.
  int max_connections() const { return limits_.max_connections; }

 private:
  bool process_and_close_socket(socket_t sock) override;
  bool serve_connection(socket_t sock);
  bool answer_one(CountingStream& strm, bool last);

  ConnectionLimits limits_;
  ConnectionEvent on_event_;
  ConnectionPool* pool_ = nullptr;  // made by listen (new_task_queue), which owns it
};

// On the thread serving a request: its receive deadline passed before it
// arrived whole (the server answers 408).
bool receive_deadline_passed();
// On the thread serving a request: it has arrived whole (its connection is
// no longer a candidate to close for room).
void mark_request_whole();

}  // namespace mw
