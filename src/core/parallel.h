// Runs task(i) for i in [0, count) on up to `threads` threads (the caller's
// among them), each taking the next index. The first exception a task throws
// is rethrown on the caller's thread once every thread has stopped; the
// other threads take no new tasks after it.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace mw {

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
  std::vector<std::thread> pool;
  try {
    for (int i = 1; i < n; ++i) pool.emplace_back(work);
  } catch (...) {  // no more threads to be had: the ones started and this one do the work
  }
  work();
  for (auto& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace mw
