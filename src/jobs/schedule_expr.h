// Schedule expressions as Amazon EventBridge writes them, evaluated in UTC:
//   rate(5 minutes), rate(1 hour), rate(7 days)
//   cron(Minutes Hours Day-of-month Month Day-of-week Year), e.g. cron(0 18 ? * MON-FRI *)
// Cron fields take , - * / (and ? L W # where EventBridge allows them); day-of-week
// runs 1=SUN..7=SAT; exactly one of day-of-month and day-of-week is '?'.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace mw {

// The cron fields as sets of allowed values (bit v set = value v allowed), plus
// the day forms that depend on the month (L, W, #).
struct CronSpec {
  std::uint64_t minutes = 0;    // bits 0-59
  std::uint32_t hours = 0;      // bits 0-23
  std::uint16_t months = 0;     // bits 1-12
  std::uint64_t years[4] = {};  // bit (year - 1970), years 1970-2199

  // Day-of-month; unused when dom_any ('?').
  bool dom_any = false;
  std::uint32_t days = 0;     // bits 1-31
  bool last_day = false;      // L: the month's last day
  bool last_weekday = false;  // LW: the month's last weekday (MON-FRI)
  int nearest_weekday = 0;    // nW: the weekday nearest day n, within the month

  // Day-of-week; unused when dow_any ('?').
  bool dow_any = false;
  std::uint8_t weekdays = 0;     // bits 1-7, 1 = SUN
  int last_of_weekday = 0;       // nL: the month's last weekday n (e.g. 6L = last Friday)
  int nth_weekday = 0, nth = 0;  // n#k: the k-th weekday n of the month (3#2 = second Tuesday)

  std::string fields[6];  // the field texts as written, upper-cased, for describe()
};

struct Schedule {
  enum class Kind { rate, cron };
  Kind kind = Kind::rate;
  std::string expression;  // as given
  // rate(): the value, its unit ("minute", "hours", ...) and the period in seconds.
  std::int64_t rate_value = 0;
  std::string rate_unit;
  std::int64_t period_s = 0;
  CronSpec cron;
};

// Parses a rate() or cron() expression; throws mw::Error(expr, reason) where the
// reason names the field and the part that is wrong.
Schedule parse_schedule(const std::string& expr);

// The first fire time strictly after `after` and not before `start` (UTC seconds
// since the epoch). rate(): the times start + k * period, k >= 1. cron(): the
// matching minutes; nullopt when none is left (the years run out; the last is 2199).
std::optional<std::int64_t> next_fire(const Schedule& s, std::int64_t after, std::int64_t start);

// Short text: "every 1 hour", "cron: at 10:15 UTC on every day".
std::string describe(const Schedule& s);

// Inverse of format_utc's fields (core/paths.h) (no range checks): seconds since the epoch.
std::int64_t utc_seconds(int year, int month, int day, int hour = 0, int minute = 0, int second = 0);

}  // namespace mw
