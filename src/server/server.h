// maskwatch's HTTP server: a thin shell over the request path of
// src/api/faces.h. It loads one model, answers predict requests with faces
// (or an annotated JPEG), shows the models and the benchmark history, runs
// the benchmark job in the background (one at a time), reports health and
// Prometheus metrics, and serves the web page from web/.
//
// Every limit answers at once with its status and {"error": {"code",
// "message"}}: the body (413 too_large), the decoded pixels (413 too_large),
// the type (415 unsupported_type), a malformed photo or boxes (400
// bad_request), requests in flight (503 overloaded with Retry-After: a
// counter, never a queue), the time per request (504 timeout), and the
// bearer token when one is set (401 unauthorized, on every route but
// /healthz and the page's static files).
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "maskwatch.h"

namespace mw {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (bind() says which)
  std::string store = "maskwatch-data";
  std::string model = "latest";
  std::string detector =
      "latest";         // the face detector for photos without boxes (detect/detector_artifact.h open_detector)
  std::string results;  // the benchmark's results table; "" -> default_results_uri(store)
  int threads = 0;      // compute threads of the model (0: all cores)
  std::string token;    // a bearer token every route but /healthz asks for; "" -> none
  std::string web_dir;  // the page's static files; "" -> no page
  std::size_t max_body_bytes = std::size_t(16) << 20;
  long max_pixels = 40'000'000;     // a photo's width x height
  int max_in_flight = 8;            // requests served at once; more get 503
  int timeout_ms = 10'000;          // per request, from its headers to its answer; over it 504
  int receive_timeout_ms = 20'000;  // for a request to arrive whole, headers and body; over it 408
  int max_connections = 256;        // client connections served at once (server/connections.h)
  std::size_t max_body_memory = 0;  // request bodies held at once, bytes; 0: 2 x max_in_flight x max_body_bytes
  long max_pixels_in_flight = 0;    // pixels of the photos decoded at once; 0: 2 x max_pixels (more wait)
  int retry_after_s = 1;            // what a 503 asks the client to wait
  std::vector<int> benchmark_sizes = {100, 200, 400};                      // POST /v1/benchmarks without "sizes"
  enum class AccessLog { None, Text, Json } access_log = AccessLog::Text;  // one line per request, stderr
};

// What a served photo's decoded pixel costs at most, in bytes, from its
// decode to its answer (RGB, the detector's and the annotation's copies;
// measured in docs/measurements.md).
inline constexpr std::size_t kServedBytesPerPixel = 8;
// The most memory requests' buffers hold at once under `o` (bytes of bodies
// plus decoded pixels times kServedBytesPerPixel), and that said in words.
std::size_t request_memory_bound(const ServeOptions& o);
std::string describe_request_memory(const ServeOptions& o);

// The web page's folder, looked up at run time (first match wins):
// $MASKWATCH_WEB_DIR when set (and only it); <executable's folder>/../share/maskwatch/web
// (an installed tree, build/tests/*); <executable's folder>/share/maskwatch/web
// (build/maskwatch: the build copies web/ there). "" when none holds index.html.
std::string find_web_dir();

class Server {
 public:
  // Loads the model (timed, for /metrics); throws mw::Error when it cannot.
  explicit Server(const ServeOptions& options);
  ~Server();  // stops, and waits for what is in flight
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds host:port; returns the port. Throws mw::Error naming the address.
  int bind();
  // Accepts until stop(); returns once every request in flight has been
  // answered and a running benchmark job has finished.
  void serve();
  // Stops accepting (safe from any thread, not from a signal handler).
  void stop();
  // The HTTP requests in `raw` (one, or several as on a kept-alive
  // connection) answered by the same handling a socket's get, without one;
  // the response bytes. For the request fuzz target and tests.
  std::string answer(std::string_view raw);
  const Classifier& classifier() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mw
