// The benchmark job behind POST /v1/benchmarks: one at a time, on a thread of
// its own; each run's status (running, done with the job's report, failed
// with the error) stays readable by its id.
#pragma once
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "maskwatch.h"

namespace mw {

inline constexpr std::size_t kKeptBenchmarkRuns = 32;  // the oldest status is dropped past it

class BenchmarkJobs {
 public:
  BenchmarkJobs() = default;
  ~BenchmarkJobs() { wait(); }
  BenchmarkJobs(const BenchmarkJobs&) = delete;
  BenchmarkJobs& operator=(const BenchmarkJobs&) = delete;

  // Starts a run; returns its status ({"id", "status": "running", ...}), or
  // null when a run is still going.
  json start(const BenchmarkOptions& options);
  // A run's status: {"id", "status", "started_at", "finished_at", "report" | "error"}; null when unknown.
  json status(const std::string& id) const;
  bool running() const;
  void wait();  // until a running job has finished

 private:
  void run(const std::string& id, BenchmarkOptions options);

  mutable std::mutex mu_;
  std::thread thread_;
  bool running_ = false;
  unsigned long next_ = 1;
  std::map<std::string, json> runs_;
  std::deque<std::string> order_;
};

}  // namespace mw
