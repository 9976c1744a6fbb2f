#include "server/metrics.h"

#include <cstdio>

namespace mw {

namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

void ServerMetrics::record_request(const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{route, status}];
  Histogram& h = latency_[route];
  const auto& bounds = latency_buckets();
  std::size_t i = 0;
  while (i < bounds.size() && seconds > bounds[i]) ++i;
  ++h.counts[i];
  h.sum += seconds;
  ++h.count;
}

void ServerMetrics::record_face(const std::string& label) {
  std::lock_guard<std::mutex> lock(mu_);
  ++faces_[label];
}

void ServerMetrics::set_model_load_seconds(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  model_load_seconds_ = seconds;
}

void ServerMetrics::record_unexpected() {
  std::lock_guard<std::mutex> lock(mu_);
  ++unexpected_;
}

void ServerMetrics::write_requests(std::string& out) const {
  header(out, "maskwatch_http_requests_total", "counter", "HTTP requests answered, by route and status.");
  for (const auto& [key, n] : requests_)
    out += "maskwatch_http_requests_total{route=\"" + key.first + "\",status=\"" + std::to_string(key.second) + "\"} " +
           std::to_string(n) + "\n";
}

void ServerMetrics::write_latency(std::string& out) const {
  header(out, "maskwatch_http_request_duration_seconds", "histogram",
         "Time from a request's headers to its response, by route.");
  const auto& bounds = latency_buckets();
  for (const auto& [route, h] : latency_) {
    const std::string name = "maskwatch_http_request_duration_seconds";
    long cumulative = 0;
    for (std::size_t i = 0; i <= bounds.size(); ++i) {
      cumulative += h.counts[i];
      const std::string le = i < bounds.size() ? number(bounds[i]) : "+Inf";
      out += name + "_bucket{route=\"" + route + "\",le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += name + "_sum{route=\"" + route + "\"} " + number(h.sum) + "\n";
    out += name + "_count{route=\"" + route + "\"} " + std::to_string(h.count) + "\n";
  }
}

void ServerMetrics::write_faces(std::string& out) const {
  header(out, "maskwatch_faces_total", "counter", "Faces predicted, by label.");
  for (const auto& [label, n] : faces_)
    out += "maskwatch_faces_total{label=\"" + label + "\"} " + std::to_string(n) + "\n";
}

std::string ServerMetrics::text() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  write_requests(out);
  write_latency(out);
  write_faces(out);
  header(out, "maskwatch_http_requests_in_flight", "gauge", "Requests being served now.");
  out += "maskwatch_http_requests_in_flight " + std::to_string(in_flight_.load()) + "\n";
  header(out, "maskwatch_unexpected_errors_total", "counter", "Requests that failed unexpectedly (answered 500).");
  out += "maskwatch_unexpected_errors_total " + std::to_string(unexpected_) + "\n";
  header(out, "maskwatch_model_load_seconds", "gauge", "Time the model took to load when the server started.");
  out += "maskwatch_model_load_seconds " + number(model_load_seconds_) + "\n";
  return out;
}

}  // namespace mw
