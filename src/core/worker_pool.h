// Threads started once that run posted tasks in the order they came. A
// thread keeps what it made (buffers, per-thread library state) from one
// task to the next. Destroying the pool (or shutdown()) runs what is queued
// still, then joins the threads.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mw {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void post(std::function<void()> task);
  void shutdown();
  std::size_t threads() const { return threads_.size(); }

 private:
  void loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  bool stop_ = false;
};

}  // namespace mw
