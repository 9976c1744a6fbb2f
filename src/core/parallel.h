// Runs task(i) for i in [0, count) on up to `threads` threads (the caller's
// among them), each taking the next index. The first exception a task throws
// is rethrown on the caller's thread once every thread has stopped; the
// other threads take no new tasks after it.
//
// The other threads come from one pool that lives as long as the process:
// they are started once, not once per call, so what a thread keeps (the
// engine's buffers, oneDNN's per-thread state) is made once. A task may call
// parallel_for itself; the caller always works too, so nothing waits on a
// thread that is busy elsewhere.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>

namespace mw {

// Runs `work` on the caller's thread and on up to `helpers` pool threads that
// are free to start it before the caller has finished its own run; returns
// once every run that started has ended.
void run_on_pool(int helpers, const std::function<void()>& work);

template <class Task>
void parallel_for(std::int64_t count, int threads, const Task& task) {
  std::atomic<std::int64_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    try {
      for (std::int64_t i; (i = next.fetch_add(1)) < count;) task(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next = count;
    }
  };
  const int n = static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(threads, count)));
  if (n == 1)
    work();
  else
    run_on_pool(n - 1, work);
  if (failure) std::rethrow_exception(failure);
}

}  // namespace mw
