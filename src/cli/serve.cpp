// maskwatch serve: the HTTP API and the web page over one loaded model.
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include "cli/cli.h"
#include "core/signals.h"
#include "lambda/handler.h"
#include "server/server.h"

namespace mw::cli {

namespace {

constexpr auto kStopPoll = std::chrono::milliseconds(50);

volatile std::sig_atomic_t g_stop_signal = 0;  // the signal that asked to stop, 0 for none

extern "C" void on_serve_stop_signal(int sig) { g_stop_signal = sig; }

struct ServeArgs {
  ServeOptions options;
  std::string web, sizes = "100,200,400";
  bool no_web = false;
};

void add_limit_options(CLI::App& c, ServeOptions& o) {
  c.add_option("--max-body-bytes", o.max_body_bytes, "largest request body; over it 413")->capture_default_str();
  c.add_option("--max-pixels", o.max_pixels, "largest photo, width x height; over it 413")->capture_default_str();
  c.add_option("--max-pixels-in-flight", o.max_pixels_in_flight,
               "pixels of the photos decoded at once (0: twice --max-pixels); more wait for room")
      ->capture_default_str();
  c.add_option("--max-body-memory", o.max_body_memory,
               "bytes of request bodies held at once (0: twice --max-in-flight x --max-body-bytes); more get 503")
      ->capture_default_str();
  c.add_option("--max-in-flight", o.max_in_flight, "requests served at once; more get 503 with Retry-After")
      ->capture_default_str();
  c.add_option("--timeout-ms", o.timeout_ms, "time per request; over it 504")->capture_default_str();
  c.add_option("--receive-timeout-ms", o.receive_timeout_ms,
               "time for a request to arrive whole (headers and body); over it 408")
      ->capture_default_str();
  c.add_option("--max-connections", o.max_connections,
               "client connections served at once; when all are busy the longest-waiting is closed")
      ->capture_default_str();
  c.add_option("--retry-after", o.retry_after_s, "seconds a 503 asks the client to wait")->capture_default_str();
}

// Serves until SIGTERM or SIGINT: then stops accepting and finishes what is in flight.
void serve_until_signal(Server& server, bool quiet) {
  g_stop_signal = 0;
  ScopedSignalHandler handlers({SIGTERM, SIGINT}, on_serve_stop_signal);
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done && !g_stop_signal) std::this_thread::sleep_for(kStopPoll);
    if (!done && !quiet)
      std::cerr << "stopping on " << (g_stop_signal == SIGTERM ? "SIGTERM" : "SIGINT")
                << ": finishing the requests in flight\n";
    while (!done) {  // again until serve() returns: a stop before it listens would be lost
      server.stop();
      std::this_thread::sleep_for(kStopPoll);
    }
  });
  server.serve();
  done = true;
  watcher.join();
}

}  // namespace

Run add_serve(CLI::App& app, const Globals& g) {
  auto* c = app.add_subcommand("serve", "the HTTP API and the web page over a model");
  auto a = std::make_shared<ServeArgs>();
  ServeOptions& o = a->options;
  c->add_option("--host", o.host, "address to listen on")->capture_default_str();
  c->add_option("--port", o.port, "port to listen on (0: any free port, printed)")->capture_default_str();
  c->add_option("--model", o.model, "model id or 'latest'")->capture_default_str();
  add_detector_option(*c, o.detector);
  c->add_option("--token", o.token, "bearer token every route but /healthz asks for")->envname("MASKWATCH_TOKEN");
  add_results_option(*c, o.results);
  c->add_option("--benchmark-sizes", a->sizes, "set sizes of POST /v1/benchmarks without \"sizes\"")
      ->capture_default_str();
  c->add_option("--web", a->web, "the web page's folder (default: found beside the program, or $MASKWATCH_WEB_DIR)");
  c->add_flag("--no-web", a->no_web, "serve the API only");
  add_limit_options(*c, o);
  return [&g, a] {
    require_store(g.store);
    ServeOptions o = a->options;
    o.store = g.store;
    o.threads = g.threads;
    o.benchmark_sizes = parse_sizes(a->sizes, "--benchmark-sizes");
    o.web_dir = a->no_web ? "" : (a->web.empty() ? find_web_dir() : a->web);
    o.access_log = g.quiet ? ServeOptions::AccessLog::None
                           : (g.json ? ServeOptions::AccessLog::Json : ServeOptions::AccessLog::Text);
    Server server(o);
    const int port = server.bind();
    if (!g.quiet) {
      std::cerr << "serving model " << server.classifier().metadata().value("id", "") << " on http://" << o.host << ":"
                << port << "/" << (o.web_dir.empty() ? " (API only: no web page found)" : "") << "\n";
      std::cerr << "memory: " << describe_request_memory(o) << "\n";
    }
    serve_until_signal(server, g.quiet);
    return 0;
  };
}

}  // namespace mw::cli
