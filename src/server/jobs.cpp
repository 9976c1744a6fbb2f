#include "server/jobs.h"

#include "core/paths.h"

namespace mw {

json BenchmarkJobs::start(const BenchmarkOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_) return nullptr;
  if (thread_.joinable()) thread_.join();  // the last run has finished: only its thread is left
  const std::string id = "run-" + std::to_string(next_++);
  json status = {{"id", id}, {"status", "running"}, {"started_at", utc_now_iso()}, {"sizes", options.sizes}};
  runs_[id] = status;
  order_.push_back(id);
  if (order_.size() > kKeptBenchmarkRuns) {
    runs_.erase(order_.front());
    order_.pop_front();
  }
  running_ = true;
  thread_ = std::thread([this, id, options] { run(id, options); });
  return status;
}

void BenchmarkJobs::run(const std::string& id, BenchmarkOptions options) {
  json outcome;
  try {
    outcome = {{"status", "done"}, {"report", benchmark(options)}};
  } catch (const std::exception& e) {
    outcome = {{"status", "failed"}, {"error", e.what()}};
  }
  std::lock_guard<std::mutex> lock(mu_);
  running_ = false;
  auto it = runs_.find(id);
  if (it == runs_.end()) return;
  it->second.update(outcome);
  it->second["finished_at"] = utc_now_iso();
}

json BenchmarkJobs::status(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = runs_.find(id);
  return it == runs_.end() ? json() : it->second;
}

bool BenchmarkJobs::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_;
}

void BenchmarkJobs::wait() {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    t = std::move(thread_);
  }
  if (t.joinable()) t.join();
}

}  // namespace mw
