#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "core/paths.h"
#include "fixture.h"
#include "jobs/schedule_expr.h"
#include "jobs/scheduler.h"
#include "maskwatch.h"

using namespace mw;
namespace fs = std::filesystem;

namespace {

std::int64_t at(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) { return utc_seconds(y, mo, d, h, mi, s); }

// The next fire time after `after` as text, or "none".
std::string next_after(const std::string& expr, std::int64_t after) {
  fixture::save_fuzz_seed("fuzz_schedule", expr, expr);
  auto t = next_fire(parse_schedule(expr), after, 0);
  return t ? format_utc(*t) : "none";
}

// The reason parse_schedule gives for a bad expression, or "" when it parses.
std::string reason(const std::string& expr) {
  fixture::save_fuzz_seed("fuzz_schedule", expr, expr);
  try {
    parse_schedule(expr);
  } catch (const Error& e) {
    EXPECT_EQ(e.where(), expr);
    return e.reason();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Collects log lines from any thread.
struct Log {
  std::mutex m;
  std::vector<std::string> lines;
  std::function<void(const std::string&)> fn() {
    return [this](const std::string& l) {
      std::lock_guard<std::mutex> g(m);
      lines.push_back(l);
    };
  }
  bool has(const std::string& part) {
    std::lock_guard<std::mutex> g(m);
    for (auto& l : lines)
      if (contains(l, part)) return true;
    return false;
  }
  // Waits (up to 5 s) for a line containing `part`.
  bool wait_for(const std::string& part) {
    for (int i = 0; i < 1000; ++i) {
      if (has(part)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
  std::string all() {
    std::lock_guard<std::mutex> g(m);
    std::string out;
    for (auto& l : lines) out += l + "\n";
    return out;
  }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

fs::path temp_lock(const std::string& name) {
  return fs::temp_directory_path() / ("maskwatch_sched_" + std::to_string(::getpid()) + "_" + name + ".lock");
}

}  // namespace

// ---- rate() ---------------------------------------------------------------
TEST(ScheduleRate, ParsesEventBridgeForms) {
  EXPECT_EQ(parse_schedule("rate(1 minute)").period_s, 60);
  EXPECT_EQ(parse_schedule("rate(5 minutes)").period_s, 300);
  EXPECT_EQ(parse_schedule("rate(1 hour)").period_s, 3600);
  EXPECT_EQ(parse_schedule("rate(12 hours)").period_s, 12 * 3600);
  EXPECT_EQ(parse_schedule("rate(1 day)").period_s, 86400);
  EXPECT_EQ(parse_schedule("rate(7 days)").period_s, 7 * 86400);
  EXPECT_EQ(describe(parse_schedule("rate(1 hour)")), "every 1 hour");
  EXPECT_EQ(describe(parse_schedule("rate(5 minutes)")), "every 5 minutes");
}

TEST(ScheduleRate, RejectsWhatEventBridgeRejects) {
  EXPECT_TRUE(contains(reason("rate(0 minutes)"), "positive"));
  EXPECT_TRUE(contains(reason("rate(1 minutes)"), "singular 'minute'"));  // value 1: singular unit
  EXPECT_TRUE(contains(reason("rate(1 hours)"), "singular 'hour'"));
  EXPECT_TRUE(contains(reason("rate(5 hour)"), "plural 'hours'"));  // value above 1: plural unit
  EXPECT_TRUE(contains(reason("rate(-5 minutes)"), "positive whole number"));
  EXPECT_TRUE(contains(reason("rate(1.5 hours)"), "positive whole number"));
  EXPECT_TRUE(contains(reason("rate(5 weeks)"), "unit 'weeks'"));
  EXPECT_TRUE(contains(reason("rate(5)"), "two fields"));
  EXPECT_TRUE(contains(reason("rate(5 minutes now)"), "two fields"));
  EXPECT_TRUE(contains(reason("rate(99999999999 days)"), "too large"));
  EXPECT_TRUE(contains(reason("every 5 minutes"), "expected rate(value unit) or cron(fields)"));
  EXPECT_TRUE(contains(reason("rate 5 minutes"), "expected"));
  EXPECT_TRUE(contains(reason(""), "expected"));
  EXPECT_TRUE(contains(reason("RATE(5 minutes)"), "expected"));
}

TEST(ScheduleRate, FiresEveryPeriodFromStart) {
  auto s = parse_schedule("rate(1 hour)");
  const std::int64_t start = at(2026, 11, 24, 20, 0, 17);
  EXPECT_EQ(next_fire(s, start, start), start + 3600);
  EXPECT_EQ(next_fire(s, start - 500, start), start + 3600);  // never before the first period is up
  EXPECT_EQ(next_fire(s, start + 3599, start), start + 3600);
  EXPECT_EQ(next_fire(s, start + 3600, start), start + 7200);  // strictly after
  EXPECT_EQ(next_fire(s, start + 10 * 3600 + 1, start), start + 11 * 3600);
}

// ---- cron() parsing -------------------------------------------------------
TEST(ScheduleCron, ParsesTheDocumentedExamples) {
  for (const char* e : {"cron(0 10 * * ? *)", "cron(15 12 * * ? *)", "cron(0 18 ? * MON-FRI *)", "cron(0 8 1 * ? *)",
                        "cron(0/15 * * * ? *)", "cron(0/10 * ? * MON-FRI *)", "cron(0/5 8-17 ? * MON-FRI *)",
                        "cron(0/30 20-23 ? * MON-FRI *)", "cron(0 0-2 ? * MON-FRI *)", "cron(0 9 ? * 2#1 *)",
                        "cron(15 10 ? * 6L 2025-2030)", "cron(0 0 L * ? *)", "cron(0 0 3W * ? *)", "cron(0 0 LW * ? *)",
                        "cron(0 0 1 JAN,FEB,MAR ? *)", "cron(1/10 * * * ? *)", "cron(0 12 ? * sun,sat 2030/2)",
                        "cron(5,35 */6 1-15 * ? *)"})
    EXPECT_EQ(reason(e), "") << e;
  EXPECT_EQ(describe(parse_schedule("cron(15 10 * * ? *)")), "cron: at 10:15 UTC on every day");
  EXPECT_EQ(describe(parse_schedule("cron(0 9 ? * 2#1 *)")), "cron: at 09:00 UTC on the first MON of the month");
  EXPECT_EQ(describe(parse_schedule("cron(15 10 ? * 6L 2025-2030)")),
            "cron: at 10:15 UTC on the last FRI of the month, year 2025-2030");
  EXPECT_EQ(describe(parse_schedule("cron(0/5 8-17 ? * MON-FRI *)")), "cron: minute 0/5 of hour 8-17 UTC on MON-FRI");
}

TEST(ScheduleCron, RejectsBadExpressionsNamingTheField) {
  EXPECT_TRUE(contains(reason("cron(0 10 ? * ? *)"), "both '?'"));
  EXPECT_TRUE(contains(reason("cron(0 10 * * * *)"), "one of them must be '?'"));
  EXPECT_TRUE(contains(reason("cron(0 10 1 * MON *)"), "one of them must be '?'"));
  EXPECT_TRUE(contains(reason("cron(0 10 * * ?)"), "6 fields"));
  EXPECT_TRUE(contains(reason("cron(0 10 * * ? * *)"), "6 fields"));
  EXPECT_TRUE(contains(reason("cron(60 10 * * ? *)"), "minutes: '60' is out of range 0-59"));
  EXPECT_TRUE(contains(reason("cron(0 24 * * ? *)"), "hours: '24' is out of range 0-23"));
  EXPECT_TRUE(contains(reason("cron(0 0 32 * ? *)"), "day-of-month: '32' is out of range"));
  EXPECT_TRUE(contains(reason("cron(0 0 0 * ? *)"), "day-of-month: '0' is out of range"));
  EXPECT_TRUE(contains(reason("cron(0 0 1 13 ? *)"), "month: '13' is out of range"));
  EXPECT_TRUE(contains(reason("cron(0 0 ? * 8 *)"), "day-of-week: '8' is out of range 1-7"));
  EXPECT_TRUE(contains(reason("cron(0 0 ? * 0 *)"), "day-of-week: '0' is out of range"));
  EXPECT_TRUE(contains(reason("cron(0 0 1 * ? 1969)"), "year: '1969' is out of range 1970-2199"));
  EXPECT_TRUE(contains(reason("cron(0 0 1 * ? 2200)"), "year: '2200'"));
  EXPECT_TRUE(contains(reason("cron(0 0 1 JANUARY ? *)"), "month: 'JANUARY' is not a number or a name"));
  EXPECT_TRUE(contains(reason("cron(0 0 ? * MONDAY *)"), "day-of-week: 'MONDAY'"));
  EXPECT_TRUE(contains(reason("cron(0 0 ? * FUN *)"), "day-of-week: 'FUN'"));
  EXPECT_TRUE(contains(reason("cron(0 0 MON * ? *)"), "day-of-month: 'MON' is not a number"));
  EXPECT_TRUE(contains(reason("cron(? 0 1 * ? *)"), "minutes: '?' is only allowed"));
  EXPECT_TRUE(contains(reason("cron(0 0 1 * ? 2030-2025)"), "year: range '2030-2025' runs backwards"));
  EXPECT_TRUE(contains(reason("cron(0/0 * * * ? *)"), "minutes: increment '0'"));
  EXPECT_TRUE(contains(reason("cron(0/61 * * * ? *)"), "minutes: increment '61'"));
  EXPECT_TRUE(contains(reason("cron(1,,2 * * * ? *)"), "minutes: empty item"));
  EXPECT_TRUE(contains(reason("cron(0 0 ? * 2/2 *)"), "day-of-week: '/' is not allowed"));  // not in AWS's list
  EXPECT_TRUE(contains(reason("cron(0 0 1#2 * ? *)"), "day-of-month: '#' is not allowed"));
  EXPECT_TRUE(contains(reason("cron(0 0 ? * 3#1,6#3 *)"), "day-of-week: '3#1,6#3': with '#'"));
  EXPECT_TRUE(contains(reason("cron(0 0 ? * 3#6 *)"), "day-of-week: '3#6': the week number"));
  EXPECT_TRUE(contains(reason("cron(0 0 1,L * ? *)"), "day-of-month: '1,L': L and W stand alone"));
  EXPECT_TRUE(contains(reason("cron(0 0 32W * ? *)"), "day-of-month: '32' is out of range"));
  EXPECT_TRUE(contains(reason("cron(0 0 ? * 6L,2 *)"), "day-of-week: '6L,2': L stands alone"));
  EXPECT_TRUE(contains(reason("cron(0 L * * ? *)"), "hours: 'L' is not a number"));
}

// ---- cron() fire times: the EventBridge guide's examples, worked by hand --------
// 2026-11-24 is a Tuesday.
TEST(ScheduleCronNext, DailyAndMonthly) {
  EXPECT_EQ(next_after("cron(0 10 * * ? *)", at(2026, 11, 24, 9, 59, 59)), "2026-11-24T10:00:00Z");
  EXPECT_EQ(next_after("cron(0 10 * * ? *)", at(2026, 11, 24, 10)), "2026-11-25T10:00:00Z");  // strictly after
  EXPECT_EQ(next_after("cron(15 12 * * ? *)", at(2026, 12, 31, 12, 15)), "2027-01-01T12:15:00Z");
  EXPECT_EQ(next_after("cron(0 8 1 * ? *)", at(2026, 1, 1, 8)), "2026-02-01T08:00:00Z");
  EXPECT_EQ(next_after("cron(0 8 1 * ? *)", at(2026, 12, 5)), "2027-01-01T08:00:00Z");
  EXPECT_EQ(next_after("cron(0 0 1 JAN,JUL ? *)", at(2026, 2, 1)), "2026-07-01T00:00:00Z");
}

TEST(ScheduleCronNext, Weekdays) {
  // 2026-11-27 is a Friday, 2026-11-30 a Monday.
  EXPECT_EQ(next_after("cron(0 18 ? * MON-FRI *)", at(2026, 11, 27, 18)), "2026-11-30T18:00:00Z");
  EXPECT_EQ(next_after("cron(0 18 ? * MON-FRI *)", at(2026, 11, 24, 12)), "2026-11-24T18:00:00Z");
  EXPECT_EQ(next_after("cron(0 18 ? * 2-6 *)", at(2026, 11, 27, 18)), "2026-11-30T18:00:00Z");  // 2-6 = MON-FRI
  EXPECT_EQ(next_after("cron(0/10 * ? * MON-FRI *)", at(2026, 11, 27, 23, 55)), "2026-11-30T00:00:00Z");
  EXPECT_EQ(next_after("cron(0/10 * ? * MON-FRI *)", at(2026, 11, 24, 13, 31, 5)), "2026-11-24T13:40:00Z");
  EXPECT_EQ(next_after("cron(0/5 8-17 ? * MON-FRI *)", at(2026, 11, 24, 12, 1)), "2026-11-24T12:05:00Z");
  EXPECT_EQ(next_after("cron(0/5 8-17 ? * MON-FRI *)", at(2026, 11, 24, 17, 55)), "2026-11-25T08:00:00Z");
  EXPECT_EQ(next_after("cron(0/5 8-17 ? * MON-FRI *)", at(2026, 11, 27, 17, 56)), "2026-11-30T08:00:00Z");
  EXPECT_EQ(next_after("cron(0/30 20-23 ? * MON-FRI *)", at(2026, 11, 24, 23, 30)), "2026-11-25T20:00:00Z");
  EXPECT_EQ(next_after("cron(0 0-2 ? * MON-FRI *)", at(2026, 11, 24, 1, 0)), "2026-11-24T02:00:00Z");
  // A range that wraps around the week, and L alone (the week's last day, Saturday).
  EXPECT_EQ(next_after("cron(0 0 ? * FRI-MON *)", at(2026, 11, 24)), "2026-11-27T00:00:00Z");
  EXPECT_EQ(next_after("cron(0 0 ? * FRI-MON *)", at(2026, 11, 30)), "2026-12-04T00:00:00Z");
  EXPECT_EQ(next_after("cron(0 12 ? * L *)", at(2026, 11, 24)), "2026-11-28T12:00:00Z");
}

TEST(ScheduleCronNext, EveryQuarterHourIsRegular) {
  EXPECT_EQ(next_after("cron(0/15 * * * ? *)", at(2026, 11, 24, 10, 7)), "2026-11-24T10:15:00Z");
  EXPECT_EQ(next_after("cron(0/15 * * * ? *)", at(2026, 12, 31, 23, 45)), "2027-01-01T00:00:00Z");
  EXPECT_EQ(next_after("cron(1/10 * * * ? *)", at(2026, 11, 24, 10, 51)), "2026-11-24T11:01:00Z");
  auto s = parse_schedule("cron(0/15 * * * ? *)");
  std::int64_t t = at(2026, 1, 1) - 1;
  for (int i = 0; i < 2000; ++i) {
    auto n = next_fire(s, t, 0);
    ASSERT_TRUE(n);
    if (i) {
      ASSERT_EQ(*n - t, 900);
    }
    t = *n;
  }
}

TEST(ScheduleCronNext, NthAndLastWeekdayOfMonth) {
  // 2026-12-01 is a Tuesday, so the first Monday is the 7th; November's (the 2nd) is past.
  EXPECT_EQ(next_after("cron(0 9 ? * 2#1 *)", at(2026, 11, 24)), "2026-12-07T09:00:00Z");
  EXPECT_EQ(next_after("cron(0 9 ? * MON#1 *)", at(2026, 11, 24)), "2026-12-07T09:00:00Z");
  // Fifth Tuesdays: 2026-03-31, then none in April or May, then 2026-06-30.
  EXPECT_EQ(next_after("cron(0 0 ? * 3#5 *)", at(2026, 3, 1)), "2026-03-31T00:00:00Z");
  EXPECT_EQ(next_after("cron(0 0 ? * 3#5 *)", at(2026, 4, 1)), "2026-06-30T00:00:00Z");
  // Last Friday: 2025-12-26, 2026-01-30, 2026-02-27; the years stop after 2030-12-27.
  EXPECT_EQ(next_after("cron(15 10 ? * 6L 2025-2030)", at(2025, 12, 1)), "2025-12-26T10:15:00Z");
  EXPECT_EQ(next_after("cron(15 10 ? * 6L 2025-2030)", at(2026, 1, 1)), "2026-01-30T10:15:00Z");
  EXPECT_EQ(next_after("cron(15 10 ? * 6L 2025-2030)", at(2026, 2, 1)), "2026-02-27T10:15:00Z");
  EXPECT_EQ(next_after("cron(15 10 ? * 6L 2025-2030)", at(2030, 12, 1)), "2030-12-27T10:15:00Z");
  EXPECT_EQ(next_after("cron(15 10 ? * 6L 2025-2030)", at(2030, 12, 27, 10, 15)), "none");
}

TEST(ScheduleCronNext, LastDayAndNearestWeekday) {
  EXPECT_EQ(next_after("cron(0 0 L * ? *)", at(2026, 11, 24)), "2026-11-30T00:00:00Z");
  EXPECT_EQ(next_after("cron(0 0 L * ? *)", at(2026, 2, 1)), "2026-02-28T00:00:00Z");
  EXPECT_EQ(next_after("cron(0 0 L * ? *)", at(2024, 2, 1)), "2024-02-29T00:00:00Z");  // leap year
  EXPECT_EQ(next_after("cron(0 0 L 2 ? *)", at(2099, 3, 1)), "2100-02-28T00:00:00Z");  // 2100 is not one
  EXPECT_EQ(next_after("cron(0 0 L 2 ? *)", at(1999, 3, 1)), "2000-02-29T00:00:00Z");  // 2000 is
  // 15W: 2026-08-15 is a Saturday (-> Friday 14th), 2026-11-15 a Sunday (-> Monday 16th).
  EXPECT_EQ(next_after("cron(0 0 15W * ? *)", at(2026, 8, 1)), "2026-08-14T00:00:00Z");
  EXPECT_EQ(next_after("cron(0 0 15W * ? *)", at(2026, 11, 1)), "2026-11-16T00:00:00Z");
  EXPECT_EQ(next_after("cron(0 0 15W * ? *)", at(2026, 11, 24)), "2026-12-15T00:00:00Z");  // a Tuesday
  // Never across the month: 2026-08-01 is a Saturday (-> Monday 3rd), 2026-05-31 a Sunday (-> Friday 29th).
  EXPECT_EQ(next_after("cron(0 0 1W * ? *)", at(2026, 7, 31)), "2026-08-03T00:00:00Z");
  EXPECT_EQ(next_after("cron(0 0 31W * ? *)", at(2026, 5, 1)), "2026-05-29T00:00:00Z");
  // LW: 2026-01-31 is a Saturday (-> 30th), 2026-02-28 too (-> 27th).
  EXPECT_EQ(next_after("cron(0 0 LW * ? *)", at(2026, 1, 1)), "2026-01-30T00:00:00Z");
  EXPECT_EQ(next_after("cron(0 0 LW * ? *)", at(2026, 2, 1)), "2026-02-27T00:00:00Z");
}

TEST(ScheduleCronNext, LeapDaysAndYearBounds) {
  EXPECT_EQ(next_after("cron(0 0 29 FEB ? *)", at(2025, 1, 1)), "2028-02-29T00:00:00Z");
  EXPECT_EQ(next_after("cron(0 0 29 2 ? *)", at(2096, 3, 1)), "2104-02-29T00:00:00Z");  // skips 2100
  EXPECT_EQ(next_after("cron(0 0 29 2 ? 2097-2103)", at(2096, 3, 1)), "none");
  EXPECT_EQ(next_after("cron(0 0 30 2 ? *)", at(1970, 1, 1)), "none");  // never, found without a minute-by-minute scan
  EXPECT_EQ(next_after("cron(* * * * ? *)", -86400 * 365), "1970-01-01T00:00:00Z");
  EXPECT_EQ(next_after("cron(59 23 31 12 ? 2199)", at(2199, 12, 31, 23, 58, 59)), "2199-12-31T23:59:00Z");
  EXPECT_EQ(next_after("cron(59 23 31 12 ? 2199)", at(2199, 12, 31, 23, 59)), "none");
  EXPECT_EQ(next_after("cron(* * * * ? *)", at(2300, 1, 1)), "none");
  EXPECT_EQ(next_after("cron(0 0 1 1 ? 2020)", at(2026, 1, 1)), "none");
  EXPECT_EQ(next_after("cron(0 0 1 1 ? 2030/5)", at(2031, 1, 1)), "2035-01-01T00:00:00Z");
  // A cron fire time is never before `start`.
  auto s = parse_schedule("cron(0 10 * * ? *)");
  EXPECT_EQ(next_fire(s, at(2026, 1, 1), at(2026, 3, 1, 10)), at(2026, 3, 1, 10));
}

TEST(FormatUtc, IsoByDefaultAndOtherFormatsOnRequest) {
  EXPECT_EQ(format_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_utc(at(2026, 11, 24, 21, 5, 9)), "2026-11-24T21:05:09Z");
  EXPECT_EQ(format_utc(at(2199, 12, 31, 23, 59, 59)), "2199-12-31T23:59:59Z");
  EXPECT_EQ(format_utc(at(2015, 8, 30, 12, 36), "%Y%m%dT%H%M%SZ"), "20150830T123600Z");  // SigV4's X-Amz-Date
  EXPECT_THROW(format_utc(0, ""), Error);
}

// ---- the scheduler loop -----------------------------------------------------
TEST(Scheduler, RunsMaxRunsInOrderWithoutOverlap) {
  SchedulerOptions opt;
  opt.expression = "rate(1 minute)";
  opt.clock_speed = 1200;  // a minute every 50 ms
  opt.max_runs = 4;
  std::atomic<int> active{0}, most{0};
  std::vector<int> seen;
  Log log;
  auto t0 = std::chrono::steady_clock::now();
  int runs = run_scheduler(
      opt,
      [&](int n) {
        most = std::max(most.load(), ++active);
        seen.push_back(n);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        --active;
      },
      log.fn());
  EXPECT_EQ(runs, 4);
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(most.load(), 1);
  EXPECT_LT(seconds_since(t0), 2.0);
  EXPECT_TRUE(log.has("schedule: next run at ")) << log.all();
  EXPECT_TRUE(log.has("schedule: run 4 started")) << log.all();
  EXPECT_TRUE(log.has("schedule: run 4 finished in 0.0 s")) << log.all();
}

TEST(Scheduler, FailedRunIsLoggedAndTheLoopGoesOn) {
  SchedulerOptions opt;
  opt.expression = "rate(1 minute)";
  opt.clock_speed = 1200;
  opt.run_now = true;
  opt.max_runs = 3;
  Log log;
  int runs = run_scheduler(
      opt,
      [](int n) {
        if (n == 2) throw Error("model.pt", "disk full");
      },
      log.fn());
  EXPECT_EQ(runs, 3);
  EXPECT_TRUE(log.has("schedule: run 2 failed: model.pt: disk full")) << log.all();
  EXPECT_TRUE(log.has("schedule: run 3 finished")) << log.all();
}

TEST(Scheduler, OverrunFireTimesAreSkippedNotQueued) {
  SchedulerOptions opt;
  opt.expression = "rate(1 minute)";
  opt.clock_speed = 600;  // a minute every 100 ms
  opt.run_now = true;
  opt.max_runs = 2;
  Log log;
  auto t0 = std::chrono::steady_clock::now();
  std::vector<double> started;
  int runs = run_scheduler(
      opt,
      [&](int n) {
        started.push_back(seconds_since(t0));
        if (n == 1) std::this_thread::sleep_for(std::chrono::milliseconds(250));  // overruns 2 fire times
      },
      log.fn());
  EXPECT_EQ(runs, 2);
  EXPECT_TRUE(log.has("missed time")) << log.all();
  ASSERT_EQ(started.size(), 2u);
  // Run 2 waits for the next fire time (0.3 s in) rather than starting at once on a queued one.
  EXPECT_GT(started[1], 0.28) << log.all();
}

TEST(Scheduler, RequestStopFromAnotherThread) {
  SchedulerOptions opt;
  opt.expression = "rate(1 day)";
  Log log;
  std::thread stopper([&] {
    log.wait_for("next run at");  // the loop is waiting
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    request_stop();
  });
  auto t0 = std::chrono::steady_clock::now();
  int runs = run_scheduler(
      opt, [](int) {}, log.fn());
  stopper.join();
  EXPECT_EQ(runs, 0);
  EXPECT_LT(seconds_since(t0), 1.0);
  EXPECT_TRUE(log.has("stopping on request")) << log.all();
}

TEST(Scheduler, SigtermWhileWaitingStopsPromptlyAndRestoresTheHandler) {
  struct sigaction before {};
  sigaction(SIGTERM, nullptr, &before);
  SchedulerOptions opt;
  opt.expression = "cron(0 0 1 1 ? *)";
  Log log;
  std::atomic<double> raised_at{-1};  // seconds from t0
  auto t0 = std::chrono::steady_clock::now();
  std::thread killer([&] {
    log.wait_for("next run at");  // the handlers are in place and the loop is waiting
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    raised_at = seconds_since(t0);
    raise(SIGTERM);
  });
  int runs = run_scheduler(
      opt, [](int) {}, log.fn());
  const double took = seconds_since(t0);
  killer.join();
  EXPECT_EQ(runs, 0);
  EXPECT_LT(took, 1.0);
  EXPECT_LT(took - raised_at, 0.2);  // woken at once, not at the next poll
  EXPECT_TRUE(log.has("schedule: stopping on SIGTERM")) << log.all();
  struct sigaction after {};
  sigaction(SIGTERM, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
}

TEST(Scheduler, SigintDuringARunFinishesThatRunFirst) {
  SchedulerOptions opt;
  opt.expression = "rate(1 minute)";
  opt.run_now = true;
  Log log;
  std::atomic<bool> finished{false};
  std::thread killer([&] {
    log.wait_for("run 1 started");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    raise(SIGINT);
  });
  int runs = run_scheduler(
      opt,
      [&](int) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        finished = true;
      },
      log.fn());
  killer.join();
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(finished);
  EXPECT_TRUE(log.has("schedule: run 1 finished")) << log.all();
  EXPECT_TRUE(log.has("schedule: stopping on SIGINT")) << log.all();
  EXPECT_FALSE(log.has("next run at")) << log.all();
}

TEST(Scheduler, LockFileRefusesASecondScheduler) {
  const fs::path lock = temp_lock("second");
  SchedulerOptions opt;
  opt.expression = "rate(1 hour)";
  opt.lock_path = lock.string();
  Log log1;
  std::thread first([&] {
    run_scheduler(
        opt, [](int) {}, log1.fn());
  });
  if (!log1.wait_for("next run at")) {
    request_stop();
    first.join();
    FAIL() << "the first scheduler did not start: " << log1.all();
  }
  try {
    run_scheduler(
        opt, [](int) { FAIL() << "the second scheduler ran"; }, nullptr);
    ADD_FAILURE() << "the second scheduler started";
  } catch (const Error& e) {
    EXPECT_EQ(e.where(), lock.string());
    EXPECT_TRUE(contains(e.reason(), "another scheduler holds this lock (pid " + std::to_string(::getpid()) + ")"))
        << e.what();
  }
  request_stop();
  first.join();
  // Released on return: the next scheduler gets the lock.
  opt.max_runs = 0;
  EXPECT_EQ(run_scheduler(
                opt, [](int) {}, nullptr),
            0);
  fs::remove(lock);
}

TEST(Scheduler, LockHeldByAnotherProcessRefuses) {
  const fs::path lock = temp_lock("other");
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // holds the lock for a moment, as another scheduler would
    int fd = ::open(lock.c_str(), O_RDWR | O_CREAT, 0644);
    ::flock(fd, LOCK_EX);
    ::sleep(2);
    ::_exit(0);
  }
  for (int i = 0; i < 400; ++i) {  // wait until the child has it
    int fd = ::open(lock.c_str(), O_RDWR);
    bool held = fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) != 0;
    if (fd >= 0) ::close(fd);
    if (held) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  SchedulerOptions opt;
  opt.expression = "rate(1 hour)";
  opt.lock_path = lock.string();
  try {
    run_scheduler(
        opt, [](int) {}, nullptr);
    ADD_FAILURE() << "the scheduler started while another process held the lock";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.reason(), "another scheduler holds this lock")) << e.what();
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  fs::remove(lock);
}

TEST(Scheduler, LockFileThatIsASymlinkIsRefused) {
  const fs::path lock = temp_lock("symlink"), target = temp_lock("symlink-target");
  write_file_atomic(target.string(), "precious\n");
  fs::remove(lock);
  fs::create_symlink(target, lock);
  SchedulerOptions opt;
  opt.expression = "rate(1 hour)";
  opt.lock_path = lock.string();
  try {
    run_scheduler(
        opt, [](int) { FAIL() << "the scheduler ran"; }, nullptr);
    ADD_FAILURE() << "the scheduler followed a symbolic link as its lock file";
  } catch (const Error& e) {
    EXPECT_EQ(e.where(), lock.string());
    EXPECT_TRUE(contains(e.reason(), "cannot open the scheduler lock file")) << e.what();
    EXPECT_TRUE(contains(e.reason(), "symbolic link")) << e.what();
  }
  EXPECT_EQ(read_file(target.string()), "precious\n");  // not truncated, no pid written into it
  fs::remove(lock);
  fs::remove(target);
}

TEST(Scheduler, BadExpressionThrowsBeforeAnything) {
  SchedulerOptions opt;
  opt.expression = "cron(0 10 * * * *)";
  EXPECT_THROW(run_scheduler(
                   opt, [](int) {}, nullptr),
               Error);
}
