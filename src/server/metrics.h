// The server's counters, written in Prometheus' text exposition format
// (version 0.0.4): requests by route and status, a latency histogram by
// route, faces predicted by label, requests in flight and the model's load time.
#pragma once
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace mw {

// The latency histogram's upper bounds, in seconds (+Inf is implied).
inline const std::vector<double>& latency_buckets() {
  static const std::vector<double> b = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return b;
}

class ServerMetrics {
 public:
  void record_request(const std::string& route, int status, double seconds);
  void record_face(const std::string& label);
  void set_model_load_seconds(double seconds);
  // A failure nobody foresaw (answered 500): counted apart, so that an alert can watch it.
  void record_unexpected();
  std::atomic<int>& in_flight() { return in_flight_; }
  std::string text() const;

 private:
  struct Histogram {
    std::vector<long> counts = std::vector<long>(latency_buckets().size() + 1);  // the last: over every bound
    double sum = 0;
    long count = 0;
  };
  void write_requests(std::string& out) const;
  void write_latency(std::string& out) const;
  void write_faces(std::string& out) const;

  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, long> requests_;
  std::map<std::string, Histogram> latency_;
  std::map<std::string, long> faces_;
  double model_load_seconds_ = 0;
  long unexpected_ = 0;
  std::atomic<int> in_flight_{0};
};

}  // namespace mw
