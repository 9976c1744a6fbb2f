// A loop that runs a job on a rate() or cron() schedule (see schedule_expr.h).
// Runs are sequential, and a lock file keeps a second scheduler off the same job.
#pragma once
#include <functional>
#include <string>

namespace mw {

struct SchedulerOptions {
  std::string expression;  // rate(...) or cron(...), UTC
  bool run_now = false;    // run once at start, then follow the schedule
  int max_runs = -1;       // stop after this many runs; -1: no limit
  std::string lock_path;   // flock()ed for the loop's lifetime; empty: no lock
  // Schedule time runs this many times faster than real time, from the real time at
  // start (tests: at 600, rate(1 minute) fires every 0.1 s). 1 in production.
  double clock_speed = 1.0;
};

// Runs job(run_number), run numbers from 1, at each fire time until max_runs runs,
// request_stop(), SIGTERM or SIGINT; returns the number of runs (failed ones too).
// - A job's exception is logged ("run 3 failed: ...") and the loop goes on.
// - Fire times that pass while a run is going are skipped and logged, not queued.
// - SIGTERM/SIGINT while waiting returns at once; during a run, after that run.
//   The handlers are installed for the loop and the previous ones restored after.
// - Throws mw::Error for a bad expression, when another scheduler holds lock_path
//   (in this process or another), or when a scheduler already runs in this process.
int run_scheduler(const SchedulerOptions& opt, const std::function<void(int)>& job,
                  const std::function<void(const std::string&)>& log);

// Asks the running scheduler (from any thread) to stop as SIGTERM would; no
// effect when none runs.
void request_stop();

}  // namespace mw
