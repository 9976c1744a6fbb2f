#include "core/parallel.h"

#include <condition_variable>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

namespace mw {

namespace {

// The most pool threads ever started: more helpers than this share them.
constexpr int kMaxPoolThreads = 64;

struct Job {
  std::function<void()> work;
  std::mutex mutex;
  std::condition_variable done;
  int unstarted = 0, running = 0;
};

class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }

  void post(const std::shared_ptr<Job>& job, int copies) {
    std::lock_guard<std::mutex> lock(mutex_);
    while (static_cast<int>(threads_.size()) < std::min(copies + busy_, kMaxPoolThreads))
      threads_.emplace_back([this] { loop(); });
    for (int i = 0; i < copies; ++i) queue_.push_back(job);
    wake_.notify_all();
  }

 private:
  void loop() {
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
        ++busy_;
      }
      run(*job);
      std::lock_guard<std::mutex> lock(mutex_);
      --busy_;
    }
  }

  static void run(Job& job) {
    {
      std::lock_guard<std::mutex> lock(job.mutex);
      if (job.unstarted == 0) return;  // the caller has finished and withdrew this copy
      --job.unstarted, ++job.running;
    }
    job.work();
    std::lock_guard<std::mutex> lock(job.mutex);
    if (--job.running == 0) job.done.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::vector<std::thread> threads_;
  int busy_ = 0;
  bool stopping_ = false;
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

void run_on_pool(int helpers, const std::function<void()>& work) {
  auto job = std::make_shared<Job>();
  job->work = work;
  job->unstarted = helpers;
  pool().post(job, helpers);
  work();
  std::unique_lock<std::mutex> lock(job->mutex);
  job->unstarted = 0;
  job->done.wait(lock, [&] { return job->running == 0; });
}

}  // namespace mw
