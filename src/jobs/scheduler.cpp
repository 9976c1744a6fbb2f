#include "jobs/scheduler.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>

#include "core/paths.h"
#include "core/signals.h"
#include "jobs/schedule_expr.h"
#include "maskwatch.h"

namespace mw {
namespace {

// The running loop's wake-up pipe, written by the signal handler and request_stop().
std::atomic<int> g_wake_fd{-1};
std::atomic<int> g_signal{0};  // the signal that asked to stop, 0 for none
std::atomic<bool> g_stop{false};
std::mutex g_mutex;  // guards g_running and the pipe's lifetime against request_stop()
bool g_running = false;

void wake() {
  const int fd = g_wake_fd.load();
  const char byte = 1;
  if (fd >= 0 && ::write(fd, &byte, 1) < 0) {
    // The pipe is full, so a wake-up is already pending.
  }
}

extern "C" void on_stop_signal(int sig) {
  const int saved = errno;
  g_signal.store(sig);
  g_stop.store(true);
  wake();
  errno = saved;
}

std::string errno_text() { return std::strerror(errno); }

// An exclusive flock() on a file that holds the owner's pid; kept until destroyed.
class LockFile {
 public:
  explicit LockFile(const std::string& path) : path_(path) {
    if (path.empty()) return;
    // Not through a symbolic link: the pid written below would truncate whatever it points at.
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd_ < 0 && errno == ELOOP)
      throw Error(path, "cannot open the scheduler lock file: it is a symbolic link, which is not followed");
    if (fd_ < 0) throw Error(path, "cannot open the scheduler lock file: " + errno_text());
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      std::string owner;
      char buf[32] = {};
      if (::pread(fd_, buf, sizeof buf - 1, 0) > 0) owner = buf;
      while (!owner.empty() && (owner.back() == '\n' || owner.back() == ' ')) owner.pop_back();
      ::close(fd_);
      fd_ = -1;
      if (err == EWOULDBLOCK)
        throw Error(path, "another scheduler holds this lock" + (owner.empty() ? "" : " (pid " + owner + ")") +
                              "; not starting a second one");
      throw Error(path, std::string("cannot lock: ") + std::strerror(err));
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
      // The pid is only for the message above; the lock itself holds.
    }
  }
  ~LockFile() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock; the file stays for the next run
  }
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

// Marks the process's one scheduler as running, with its wake-up pipe and the
// SIGTERM/SIGINT handlers; undoes all of it when destroyed.
class StopSignals {
 public:
  StopSignals() {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_running) throw Error("scheduler", "a scheduler already runs in this process");
    if (::pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) throw Error("scheduler", "cannot create a pipe: " + errno_text());
    g_stop.store(false);
    g_signal.store(0);
    g_wake_fd.store(fds_[1]);
    handlers_.emplace({SIGTERM, SIGINT}, on_stop_signal);
    g_running = true;
  }
  ~StopSignals() {
    handlers_.reset();
    std::lock_guard<std::mutex> lock(g_mutex);
    g_wake_fd.store(-1);
    ::close(fds_[0]);
    ::close(fds_[1]);
    g_running = false;
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Sleeps up to `ms` milliseconds or until a stop request; empties the pipe.
  void sleep_ms(int ms) const {
    pollfd p{fds_[0], POLLIN, 0};
    if (::poll(&p, 1, ms) > 0) {
      char buf[64];
      while (::read(fds_[0], buf, sizeof buf) > 0) {
      }
    }
  }

 private:
  int fds_[2] = {-1, -1};
  std::optional<ScopedSignalHandler> handlers_;
};

// Schedule time in UTC seconds: the system clock, or a sped-up one for tests.
class Clock {
 public:
  explicit Clock(double speed) : speed_(speed > 0 ? speed : 1.0), origin_(system_now()), t0_(Steady::now()) {}
  double now() const {
    if (speed_ == 1.0) return system_now();
    return origin_ + std::chrono::duration<double>(Steady::now() - t0_).count() * speed_;
  }
  double speed() const { return speed_; }

 private:
  using Steady = std::chrono::steady_clock;
  static double system_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  double speed_, origin_;
  Steady::time_point t0_;
};

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", s);
  return buf;
}

}  // namespace

void request_stop() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_running) return;
  g_stop.store(true);
  wake();
}

int run_scheduler(const SchedulerOptions& opt, const std::function<void(int)>& job,
                  const std::function<void(const std::string&)>& log) {
  const Schedule schedule = parse_schedule(opt.expression);
  LockFile lock(opt.lock_path);
  StopSignals signals;
  const Clock clock(opt.clock_speed);
  auto say = [&](const std::string& line) {
    if (log) log("schedule: " + line);
  };

  const auto start = static_cast<std::int64_t>(std::floor(clock.now()));
  say(opt.expression + " (" + describe(schedule) + ")");
  int runs = 0;
  auto limit_reached = [&] { return opt.max_runs >= 0 && runs >= opt.max_runs; };
  auto run_once = [&] {
    const int n = ++runs;
    say("run " + std::to_string(n) + " started");
    const auto t0 = std::chrono::steady_clock::now();
    auto took = [&] {
      return seconds_text(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    };
    try {
      job(n);
      say("run " + std::to_string(n) + " finished in " + took() + " s");
    } catch (const std::exception& e) {
      say("run " + std::to_string(n) + " failed: " + e.what() + " (after " + took() + " s)");
    } catch (...) {
      say("run " + std::to_string(n) + " failed: unknown error (after " + took() + " s)");
    }
  };

  // Fire times up to `last` are accounted for: run, or skipped.
  std::int64_t last = start;
  if (opt.run_now && !limit_reached()) run_once();
  while (!g_stop.load() && !limit_reached()) {
    const auto now = static_cast<std::int64_t>(std::floor(clock.now()));
    auto next = next_fire(schedule, last, start);
    if (next && *next <= now) {  // the last run overran these
      long long skipped = 0;
      if (schedule.kind == Schedule::Kind::rate) {
        auto after = next_fire(schedule, now, start);
        skipped = (*after - *next) / schedule.period_s;
        next = after;
      } else {
        while (next && *next <= now && skipped < 1000000) ++skipped, next = next_fire(schedule, *next, start);
        if (next && *next <= now) next = next_fire(schedule, now, start);
      }
      say("skipped " + std::to_string(skipped) + " missed time" + (skipped == 1 ? "" : "s"));
    }
    if (!next) {
      say("no fire times left; stopping");
      break;
    }
    say("next run at " + format_utc(*next));
    // Wait in slices of at most a minute of real time, so clock changes are noticed.
    while (!g_stop.load()) {
      const double left = (static_cast<double>(*next) - clock.now()) / clock.speed();
      if (left <= 0) break;
      signals.sleep_ms(static_cast<int>(std::ceil(std::min(left, 60.0) * 1000)));
    }
    if (g_stop.load()) break;
    last = *next;
    run_once();
  }
  if (g_stop.load()) {
    const int sig = g_signal.load();
    say(sig == SIGTERM ? "stopping on SIGTERM" : sig == SIGINT ? "stopping on SIGINT" : "stopping on request");
  }
  return runs;
}

}  // namespace mw
