#include "server/server.h"

#include <httplib.h>
#include <openssl/crypto.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <iostream>
#include <optional>
#include <thread>

#include "api/face_labeller.h"
#include "api/faces.h"
#include "core/env.h"
#include "core/hash.h"
#include "core/json_text.h"
#include "core/memory_return.h"
#include "core/paths.h"
#include "core/worker_pool.h"
#include "detect/detector_artifact.h"
#include "model/catalog.h"
#include "results/results_table.h"
#include "server/annotate.h"
#include "server/connections.h"
#include "server/jobs.h"
#include "server/metrics.h"
#include "store/object_store.h"

namespace fs = std::filesystem;

namespace mw {

namespace {

using Clock = std::chrono::steady_clock;

std::size_t body_memory(const ServeOptions& o) {
  return o.max_body_memory ? o.max_body_memory : 2 * std::size_t(std::max(1, o.max_in_flight)) * o.max_body_bytes;
}

std::size_t pixels_in_flight(const ServeOptions& o) {
  return std::size_t(std::max(o.max_pixels_in_flight ? o.max_pixels_in_flight : 2 * o.max_pixels, o.max_pixels));
}
using httplib::Request;
using httplib::Response;

constexpr const char* kWebDirEnv = "MASKWATCH_WEB_DIR";
constexpr const char* kWebShareDir = "share/maskwatch/web";
constexpr const char* kJson = "application/json";
constexpr int kMaxSizeParam = 1'000'000;

thread_local Clock::time_point t_request_start;  // set before routing; a request stays on one thread

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
double ms_since(Clock::time_point t) { return 1000.0 * seconds_since(t); }

void send_json(Response& res, const json& body, int status = 200) {
  res.status = status;
  res.set_content(json_text(body), kJson);
}

void send_error(Response& res, int status, const std::string& code, const std::string& message) {
  send_json(res, error_json({status, code, message}), status);
}

// The media type without parameters, lower-case.
std::string media_type(const std::string& content_type) {
  std::string t = content_type.substr(0, content_type.find(';'));
  t.erase(t.find_last_not_of(" \t") + 1);
  for (char& c : t) c = char(std::tolower(static_cast<unsigned char>(c)));
  return t;
}

// The route a request is counted under: its pattern, "static" for the page, "other" for the rest.
std::string route_of(const Request& req) {
  static const std::vector<std::string> exact = {"/v1/predict", "/v1/models", "/v1/benchmarks",
                                                 "/healthz",    "/readyz",    "/metrics"};
  for (const auto& r : exact)
    if (req.path == r) return r;
  if (req.path.rfind("/v1/benchmarks/runs/", 0) == 0) return "/v1/benchmarks/runs/{id}";
  if (req.path.rfind("/v1/", 0) == 0) return "other";
  return "static";
}

// The methods each route answers ("" for a path no route has): a known path
// asked with another method is answered 405 with these in Allow.
std::string allowed_methods(const std::string& path, bool has_page) {
  if (path == "/v1/predict") return "POST";
  if (path == "/v1/benchmarks") return "GET, HEAD, POST";
  if (path == "/v1/models" || path == "/healthz" || path == "/readyz" || path == "/metrics" ||
      path.rfind("/v1/benchmarks/runs/", 0) == 0)
    return "GET, HEAD";
  if (path.rfind("/v1/", 0) != 0 && has_page) return "GET, HEAD";
  return "";
}

// Whether `method` is one of `allowed` ("GET, HEAD").
bool answers(const std::string& allowed, const std::string& method) {
  return (", " + allowed + ",").find(", " + method + ",") != std::string::npos;
}

// A Content-Length that is a whole number of bytes (httplib would read "-1" as 2^64 - 1).
bool valid_content_length(const std::string& value) {
  return !value.empty() && value.size() <= 19 && value.find_first_not_of("0123456789") == std::string::npos;
}

// A quantity held at once across requests (bytes of bodies, decoded
// pixels), up to a cap.
class Budget {
 public:
  explicit Budget(std::size_t cap) : cap_(cap) {}
  // Takes n if that stays within the cap, waiting until `until` for others
  // to give back; false when it cannot.
  bool take(std::size_t n, Clock::time_point until = Clock::time_point()) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!freed_.wait_until(lock, until, [&] { return held_ + n <= cap_; })) return false;
    held_ += n;
    return true;
  }
  void give(std::size_t n) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      held_ -= n;
    }
    freed_.notify_all();
  }
  std::size_t cap() const { return cap_; }

 private:
  std::size_t cap_, held_ = 0;
  std::mutex mu_;
  std::condition_variable freed_;
};

// What one request holds of a budget, given back when it ends.
class Hold {
 public:
  explicit Hold(Budget& b) : budget_(b) {}
  ~Hold() {
    if (n_) budget_.give(n_);
  }
  Hold(const Hold&) = delete;
  Hold& operator=(const Hold&) = delete;
  bool take(std::size_t n, Clock::time_point until = Clock::time_point()) {
    if (!budget_.take(n, until)) return false;
    n_ += n;
    return true;
  }

 private:
  Budget& budget_;
  std::size_t n_ = 0;
};

// A bearer token against the expected one, in time that does not depend on
// where they differ (both hashed first, so not on the length either).
bool token_matches(const std::string& header, const std::string& expected) {
  const std::string prefix = "Bearer ";
  const std::string given = header.rfind(prefix, 0) == 0 ? header.substr(prefix.size()) : std::string();
  const std::string a = sha256_hex(given), b = sha256_hex(expected);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0 && !given.empty();
}

// Boxes from "XMIN,YMIN,XMAX,YMAX" values (a query's or a form's), several in
// one value separated by ';'.
std::vector<Box> parse_boxes(const std::vector<std::string>& values) {
  std::vector<Box> boxes;
  for (const auto& v : values) {
    std::size_t start = 0;
    while (start <= v.size()) {
      const std::size_t end = std::min(v.find(';', start), v.size());
      if (end > start) boxes.push_back(parse_box(v.substr(start, end - start), "boxes"));
      check_box_count(boxes.size(), "boxes");
      start = end + 1;
    }
  }
  return boxes;
}

// The photo and boxes of a predict request, as read from its body.
struct Upload {
  explicit Upload(Budget& bodies) : share(bodies) {}
  std::string image, type, boxes, min_confidence, field;
  bool has_image = false;
  bool over_limit = false;   // over --max-body-bytes
  bool over_budget = false;  // the server holds as many bodies as it may
  Hold share;
};

struct Outcome {
  int status = 200;
  std::string body, type = kJson;
};

Outcome error_outcome(const RequestError& e) { return {e.status, json_text(error_json(e)), kJson}; }

}  // namespace

std::size_t request_memory_bound(const ServeOptions& o) {
  return body_memory(o) + pixels_in_flight(o) * kServedBytesPerPixel;
}

std::string describe_request_memory(const ServeOptions& o) {
  const auto mib = [](std::size_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; };
  return mib(request_memory_bound(o)) + " at most for requests (bodies " + mib(body_memory(o)) + ", photos of " +
         std::to_string(pixels_in_flight(o) / 1'000'000) + " megapixels decoded at once x " +
         std::to_string(kServedBytesPerPixel) + " bytes)";
}

std::string find_web_dir() {
  const std::string from_env = env_or(kWebDirEnv);
  std::vector<fs::path> candidates;
  if (!from_env.empty()) {
    candidates = {from_env};
  } else {
    const fs::path exe = executable_dir();
    candidates = {(exe.parent_path() / kWebShareDir).lexically_normal(), exe / kWebShareDir};
  }
  for (const auto& dir : candidates)
    if (fs::is_regular_file(dir / "index.html")) return dir.string();
  return "";
}

LabellerParts labeller_parts(const ServeOptions& o) {
  LabellerParts parts{o.store, o.model, o.threads};
  parts.detector = o.detector;
  return parts;
}

struct Server::Impl {
  ServeOptions opt;
  FaceLabeller labeller;  // the classifier, and the detector that finds the faces of a photo sent without boxes
  const Classifier& clf;  // labeller's
  ServerMetrics metrics;
  BenchmarkJobs jobs;
  Budget bodies;  // bytes of the bodies being read and served
  Budget pixels;  // pixels of the photos decoded and being served
  HttpConnections http;
  std::mutex log_mu, drain_mu;
  std::condition_variable drained;
  int held = 0;  // slots held (under drain_mu): a request's handler, or its work after a 504
  std::atomic<bool> stopping{false};
  // Threads that run requests' work (a thread keeps its buffers, the
  // detector's tens of megabytes, from one request to the next). Requests in
  // flight are bounded by the slots, so its queue holds at most
  // max_in_flight. Last: stopped (joined) first, before what its work uses.
  WorkerPool workers;

  explicit Impl(const ServeOptions& o, Clock::time_point start)
      : opt(o),
        labeller(open_labeller(labeller_parts(o))),
        clf(labeller.impl().classifier),
        bodies(body_memory(o)),
        pixels(pixels_in_flight(o)),
        http({o.max_connections, o.receive_timeout_ms},
             [this](int status) {
               metrics.record_request("connection", status, 0);
               if (status >= 500 && status != 503) metrics.record_unexpected();
             }),
        workers(std::max(1, o.max_in_flight)) {
    metrics.set_model_load_seconds(seconds_since(start));
  }

  // ---- slots: requests in flight ------------------------------------------
  std::shared_ptr<int> try_slot() {
    std::lock_guard<std::mutex> lock(drain_mu);
    if (held >= opt.max_in_flight) return nullptr;
    ++held;
    ++metrics.in_flight();
    return std::shared_ptr<int>(new int(0), [this](int* p) {
      delete p;
      std::lock_guard<std::mutex> lock(drain_mu);
      --held;
      --metrics.in_flight();
      drained.notify_all();
    });
  }
  void wait_drained() {
    std::unique_lock<std::mutex> lock(drain_mu);
    drained.wait(lock, [this] { return held == 0; });
  }
  void refuse_busy(Response& res) {
    res.set_header("Retry-After", std::to_string(opt.retry_after_s));
    send_error(res, 503, "overloaded",
               std::to_string(opt.max_in_flight) + " requests in flight already (--max-in-flight); retry later");
  }
  // Runs `handler` holding a slot; 503 at once when none is free.
  httplib::Server::Handler limited(std::function<void(const Request&, Response&)> handler) {
    return [this, handler](const Request& req, Response& res) {
      mark_request_whole();
      auto slot = try_slot();
      if (!slot) return refuse_busy(res);
      handler(req, res);
    };
  }

  // ---- predict ---------------------------------------------------------------
  bool read_upload(const Request& req, const httplib::ContentReader& reader, Upload& up) {
    auto keep = [&](std::string& into, const char* data, std::size_t n) {
      if (into.size() + n > opt.max_body_bytes) return !(up.over_limit = true);
      if (!up.share.take(n)) return !(up.over_budget = true);
      into.append(data, n);
      return true;
    };
    if (req.is_multipart_form_data())
      return reader(
          [&](const httplib::MultipartFormData& f) {
            up.field = f.name;
            if (f.name == "image") up.type = media_type(f.content_type), up.has_image = true;
            return true;
          },
          [&](const char* data, std::size_t n) {
            if (up.field == "image") return keep(up.image, data, n);
            if (up.field == "boxes") return keep(up.boxes, data, n);
            if (up.field == "min_confidence") return keep(up.min_confidence, data, n);
            return true;
          });
    up.type = media_type(req.get_header_value("Content-Type"));
    up.has_image = true;
    return reader([&](const char* data, std::size_t n) { return keep(up.image, data, n); });
  }

  // The request from what was read; throws what request_error maps.
  FacesRequest faces_request(const Request& req, const Upload& up) {
    const bool typed = !up.type.empty() && up.type != "application/octet-stream";
    if (typed && !is_supported_image_type(up.type))
      throw UnsupportedImageType("Content-Type " + up.type, "send image/jpeg or image/png");
    if (!up.has_image) throw Error("image", "no 'image' field in the form");
    std::vector<std::string> box_values;
    for (std::size_t i = 0; i < req.get_param_value_count("boxes"); ++i)
      box_values.push_back(req.get_param_value("boxes", i));
    if (!up.boxes.empty()) box_values.push_back(up.boxes);
    FacesRequest fr;
    fr.image = up.image;
    fr.max_pixels = opt.max_pixels;
    fr.boxes = parse_boxes(box_values);
    const std::string whole = req.get_param_value("whole_image");
    if (!whole.empty() && whole != "0" && whole != "1")
      throw Error("whole_image", "expected 0 or 1, got '" + whole + "'");
    fr.whole_image = whole == "1";
    if (req.has_param("whole_image_rule"))
      fr.whole_image_rule = check_whole_image_rule(req.get_param_value("whole_image_rule"), "whole_image_rule");
    if (fr.whole_image && !box_values.empty()) throw Error("whole_image", "give boxes or whole_image=1, not both");
    fr.detect = box_values.empty() && !fr.whole_image;
    if (req.has_param("min_confidence"))
      fr.min_confidence = parse_min_confidence(req.get_param_value("min_confidence"), "min_confidence");
    else if (!up.min_confidence.empty())
      fr.min_confidence = parse_min_confidence(up.min_confidence, "min_confidence");
    return fr;
  }

  // The photo's pixels are admitted from its header (the pixels budget),
  // waiting for room until the request's time is up.
  Outcome predict_outcome(FacesRequest fr, bool annotate, Clock::time_point start) {
    Hold held(pixels);
    fr.admit = [&](long n) {
      if (!held.take(std::size_t(n), start + std::chrono::milliseconds(opt.timeout_ms)))
        throw Overloaded(fr.source, "photos of " + std::to_string(pixels.cap()) +
                                        " pixels in all are being served (--max-pixels-in-flight); retry later");
    };
    try {
      const auto t0 = Clock::now();
      const cv::Mat rgb = decode_request_image(fr);
      const double decode_ms = ms_since(t0);
      const auto t1 = Clock::now();
      const auto faces = run_faces_request(labeller, fr, rgb);
      const double classify_ms = ms_since(t1);
      for (const auto& p : faces) metrics.record_face(answer_label(p, clf.labels()));
      if (annotate) return {200, annotated_jpeg(rgb, faces, clf.labels()), "image/jpeg"};
      json body = {{"model", clf.metadata().value("id", "")},
                   {"image", {{"width", rgb.cols}, {"height", rgb.rows}}},
                   {"whole_image", fr.whole_image},
                   {"detected", fr.detect},
                   {"faces", faces_json(faces, clf.labels())},
                   {"timings_ms", {{"decode", decode_ms}, {"classify", classify_ms}, {"total", ms_since(start)}}}};
      return {200, json_text(body), kJson};
    } catch (...) {
      return error_outcome(request_error(std::current_exception()));
    }
  }

  // Runs the work on a worker thread, holding the slot until it ends;
  // answers 504 when the request's time is up first.
  Outcome run_with_deadline(std::function<Outcome()> work, std::shared_ptr<int> slot, Clock::time_point start) {
    auto promise = std::make_shared<std::promise<Outcome>>();
    auto result = promise->get_future();
    // The slot is given back before the answer is: a client that sends its
    // next request as soon as it has this one's answer finds it free.
    workers.post([work = std::move(work), promise, slot]() mutable {
      try {
        Outcome out = work();
        slot.reset();
        promise->set_value(std::move(out));
      } catch (...) {
        slot.reset();
        promise->set_exception(std::current_exception());
      }
    });
    if (result.wait_until(start + std::chrono::milliseconds(opt.timeout_ms)) == std::future_status::ready)
      return result.get();
    return error_outcome(
        {504, "timeout",
         "the request took over " + std::to_string(opt.timeout_ms) + " ms (--timeout-ms); its work is abandoned"});
  }

  void refuse_slow(Response& res) {
    res.set_header("Connection", "close");
    send_error(res, 408, "timeout",
               "the request did not arrive whole within " + std::to_string(opt.receive_timeout_ms) +
                   " ms (--receive-timeout-ms)");
  }

  void refuse_body(Response& res) {
    send_error(res, 413, "too_large",
               "the body is over " + std::to_string(opt.max_body_bytes) + " bytes (--max-body-bytes)");
  }

  // The body is read before a slot is taken: a client sending slowly holds
  // its connection, not one of the requests in flight.
  void predict(const Request& req, Response& res, const httplib::ContentReader& reader) {
    const auto start = t_request_start;
    if (req.get_header_value<std::uint64_t>("Content-Length") > opt.max_body_bytes) return refuse_body(res);
    Upload up(bodies);
    const bool read = read_upload(req, reader, up);
    if (up.over_limit) return refuse_body(res);
    if (up.over_budget) return refuse_busy(res);
    if (receive_deadline_passed()) return refuse_slow(res);
    if (!read) return send_error(res, 400, "bad_request", "the body could not be read (a malformed form?)");
    mark_request_whole();
    auto slot = try_slot();
    if (!slot) return refuse_busy(res);
    FacesRequest fr;
    try {
      fr = faces_request(req, up);
    } catch (...) {
      const auto e = request_error(std::current_exception());
      return send_error(res, e.status, e.code, e.message);
    }
    const bool annotate = req.get_param_value("annotate") == "1";
    auto work = [this, fr = std::move(fr), annotate, start] { return predict_outcome(fr, annotate, start); };
    const Outcome out = run_with_deadline(std::move(work), slot, start);
    res.status = out.status;
    res.set_content(out.body, out.type.c_str());
  }

  // ---- models and benchmarks ------------------------------------------------
  void models(const Request&, Response& res) {
    auto store = open_store(opt.store);
    const std::string id = clf.metadata().value("id", "");
    send_json(res, {{"loaded", show_model(*store, id)},
                    {"engine", clf.engine()},
                    {"detector", labeller.detector_id()},
                    {"models", list_models(*store)}});
  }

  std::string results_uri() const { return opt.results.empty() ? default_results_uri(opt.store) : opt.results; }

  void benchmarks(const Request& req, Response& res) {
    std::optional<int> size;
    if (req.has_param("size")) {
      const std::string v = req.get_param_value("size");
      if (v.empty() || v.size() > 7 || v.find_first_not_of("0123456789") != std::string::npos || std::stoi(v) <= 0 ||
          std::stoi(v) > kMaxSizeParam)
        return send_error(res, 400, "bad_request", "size " + v + ": expected a whole number of images above 0");
      size = std::stoi(v);
    }
    const std::string uri = results_uri();
    const std::string sqlite = "sqlite://";
    json records = json::array();
    if (uri.rfind(sqlite, 0) != 0 || fs::exists(uri.substr(sqlite.size())))  // reading never creates a table
      for (const auto& r : open_results(uri)->history(size)) records.push_back(to_json(r));
    send_json(res, {{"results", uri}, {"records", records}});
  }

  BenchmarkOptions benchmark_options(const std::string& body) const {
    BenchmarkOptions bo;
    bo.store = opt.store;
    bo.model = clf.metadata().value("id", opt.model);
    bo.results = opt.results;
    bo.threads = opt.threads;
    bo.sizes = opt.benchmark_sizes;
    const json j = body.empty() ? json::object() : json::parse(body);
    if (!j.is_object())
      throw Error("body", "expected a JSON object {\"sizes\": [...], \"seed\": N, \"detect\": false}");
    if (j.contains("sizes")) {
      bo.sizes.clear();
      if (!j["sizes"].is_array() || j["sizes"].empty()) throw Error("sizes", "expected an array of set sizes");
      for (const auto& s : j["sizes"]) {
        if (!s.is_number_integer() || s.get<long>() <= 0 || s.get<long>() > kMaxSizeParam)
          throw Error("sizes", "expected whole numbers of images above 0");
        bo.sizes.push_back(s.get<int>());
      }
    }
    if (j.contains("seed")) {
      if (!j["seed"].is_number_unsigned()) throw Error("seed", "expected a whole number");
      bo.seed = j["seed"].get<std::uint64_t>();
    }
    if (j.contains("detect")) {
      if (!j["detect"].is_boolean()) throw Error("detect", "expected true or false");
      bo.detect = j["detect"].get<bool>();
      bo.detector = opt.detector;
    }
    return bo;
  }

  void start_benchmark(const Request& req, Response& res) {
    BenchmarkOptions bo;
    try {
      bo = benchmark_options(req.body);
    } catch (...) {
      const auto e = request_error(std::current_exception());
      return send_error(res, e.status, e.code, e.message);
    }
    if (stopping) return send_error(res, 503, "stopping", "the server is stopping");
    json status = jobs.start(bo);
    if (status.is_null()) return send_error(res, 409, "conflict", "a benchmark is running; one at a time");
    res.set_header("Location", "/v1/benchmarks/runs/" + status["id"].get<std::string>());
    send_json(res, status, 202);
  }

  void benchmark_run(const Request& req, Response& res) {
    const json status = jobs.status(req.matches[1]);
    if (status.is_null()) return send_error(res, 404, "not_found", "no benchmark run " + std::string(req.matches[1]));
    send_json(res, status);
  }

  // ---- the rest --------------------------------------------------------------
  httplib::Server::HandlerResponse before_routing(const Request& req, Response& res) {
    t_request_start = Clock::now();
    const std::string route = route_of(req);
    if (refuse_framing(req, res)) return httplib::Server::HandlerResponse::Handled;
    if (opt.token.empty() || route == "/healthz" || route == "static")
      return httplib::Server::HandlerResponse::Unhandled;
    if (token_matches(req.get_header_value("Authorization"), opt.token))
      return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, 401, "unauthorized", "send the server's token as 'Authorization: Bearer <token>'");
    return httplib::Server::HandlerResponse::Handled;
  }

  // Requests answered before their body is read, the connection then closed
  // (where the body ends is not known, or it is not wanted): a Content-Length
  // that is no number (400), a method the route does not answer (405 with
  // Allow), a body of no stated length (411: httplib would read it until the
  // client closes).
  bool refuse_framing(const Request& req, Response& res) {
    const bool has_length = req.has_header("Content-Length");
    const std::string allowed = allowed_methods(req.path, !opt.web_dir.empty());
    if (has_length && !valid_content_length(req.get_header_value("Content-Length"))) {
      send_error(res, 400, "bad_request",
                 "Content-Length " + quote_text(req.get_header_value("Content-Length")) +
                     ": expected a whole number of bytes");
    } else if (!allowed.empty() && !answers(allowed, req.method)) {
      res.set_header("Allow", allowed);
      send_error(res, 405, "method_not_allowed",
                 req.method + " " + quote_text(req.path) + ": this route answers " + allowed);
    } else if (req.method != "GET" && req.method != "HEAD" && !has_length && !req.has_header("Transfer-Encoding")) {
      send_error(res, 411, "length_required", req.method + " needs a Content-Length (or a chunked body)");
    } else {
      return false;
    }
    res.set_header("Connection", "close");
    return true;
  }

  // An error httplib answers itself (no route, a body over the limit, a
  // malformed request) gets the same JSON body as the others.
  void fill_error(const Request& req, Response& res) {
    if (!res.body.empty()) return;
    if (receive_deadline_passed()) return refuse_slow(res);
    switch (res.status) {
      case 404:
        return send_error(res, 404, "not_found", "no route " + req.method + " " + quote_text(req.path));
      case 413:
        return refuse_body(res);
      default:
        return send_error(res, res.status, res.status < 500 ? "bad_request" : "internal",
                          "the request could not be served (HTTP " + std::to_string(res.status) + ")");
    }
  }

  void log_request(const Request& req, const Response& res) {
    const double seconds = t_request_start == Clock::time_point() ? 0 : seconds_since(t_request_start);
    t_request_start = Clock::time_point();
    metrics.record_request(route_of(req), res.status, seconds);
    if (opt.access_log == ServeOptions::AccessLog::None) return;
    std::string line;
    if (opt.access_log == ServeOptions::AccessLog::Json) {
      line = json_text({{"time", utc_now_iso()},
                        {"remote", req.remote_addr},
                        {"method", req.method},
                        {"path", req.path},
                        {"status", res.status},
                        {"ms", 1000 * seconds},
                        {"bytes", res.body.size()}});
    } else {
      char ms[32];
      std::snprintf(ms, sizeof ms, "%.1f", 1000 * seconds);
      line = utc_now_iso() + " " + req.remote_addr + " " + req.method + " " + escape_text(req.path) + " " +
             std::to_string(res.status) + " " + ms + " ms " + std::to_string(res.body.size()) + " B";
    }
    std::lock_guard<std::mutex> lock(log_mu);
    std::cerr << line << "\n";
  }

  void add_routes() {
    using namespace std::placeholders;
    http.Post("/v1/predict", [this](const Request& req, Response& res, const httplib::ContentReader& reader) {
      predict(req, res, reader);
    });
    http.Get("/v1/models", limited(std::bind(&Impl::models, this, _1, _2)));
    http.Get("/v1/benchmarks", limited(std::bind(&Impl::benchmarks, this, _1, _2)));
    http.Post("/v1/benchmarks", limited(std::bind(&Impl::start_benchmark, this, _1, _2)));
    http.Get(R"(/v1/benchmarks/runs/([A-Za-z0-9-]+))", limited(std::bind(&Impl::benchmark_run, this, _1, _2)));
    http.Get("/healthz", [](const Request&, Response& res) { send_json(res, {{"status", "ok"}}); });
    http.Get("/readyz", [this](const Request&, Response& res) {
      if (stopping) return send_error(res, 503, "stopping", "the server is stopping");
      send_json(res, {{"status", "ready"}, {"model", clf.metadata().value("id", "")}});
    });
    http.Get("/metrics", [this](const Request&, Response& res) {
      res.set_content(metrics.text(), "text/plain; version=0.0.4; charset=utf-8");
    });
  }

  void configure() {
    http.set_payload_max_length(opt.max_body_bytes);
    // A response is written in pieces (headers, then body): without this,
    // Nagle's algorithm holds the last piece for the client's delayed ACK
    // (about 40 ms a request on Linux).
    http.set_tcp_nodelay(true);
    http.set_pre_routing_handler([this](const Request& req, Response& res) { return before_routing(req, res); });
    http.set_error_handler([this](const Request& req, Response& res) { fill_error(req, res); });
    http.set_exception_handler([this](const Request&, Response& res, std::exception_ptr e) {
      const auto err = request_error(e);
      if (err.status >= 500) metrics.record_unexpected();
      send_error(res, err.status, err.code, err.message);
    });
    http.set_logger([this](const Request& req, const Response& res) { log_request(req, res); });
    if (!opt.web_dir.empty() && !http.set_mount_point("/", opt.web_dir))
      throw Error(opt.web_dir, "the web page's folder cannot be served");
    add_routes();
  }
};

Server::Server(const ServeOptions& options) {
  if (options.max_in_flight < 1) throw Error("--max-in-flight", "expected at least 1");
  if (options.timeout_ms < 1) throw Error("--timeout-ms", "expected at least 1");
  if (options.receive_timeout_ms < 1) throw Error("--receive-timeout-ms", "expected at least 1");
  if (options.max_connections < 1) throw Error("--max-connections", "expected at least 1");
  return_large_buffers_to_system();
  impl_ = std::make_unique<Impl>(options, Clock::now());
  impl_->configure();
}

Server::~Server() {
  stop();
  impl_->wait_drained();
  impl_->jobs.wait();
}

int Server::bind() {
  const int port = impl_->opt.port == 0
                       ? impl_->http.bind_to_any_port(impl_->opt.host)
                       : (impl_->http.bind_to_port(impl_->opt.host, impl_->opt.port) ? impl_->opt.port : -1);
  if (port < 0)
    throw Error(impl_->opt.host + ":" + std::to_string(impl_->opt.port),
                "cannot listen there (in use, or no such address)");
  return port;
}

void Server::serve() {
  impl_->http.listen_after_bind();  // returns when stopped, its workers done
  impl_->stopping = true;
  impl_->wait_drained();
  impl_->jobs.wait();
}

void Server::stop() {
  impl_->stopping = true;
  impl_->http.stop();
}

std::string Server::answer(std::string_view raw) { return impl_->http.answer(raw); }

const Classifier& Server::classifier() const { return impl_->clf; }

}  // namespace mw
