#include "jobs/schedule_expr.h"

#include <cctype>
#include <cstdio>
#include <vector>

#include "maskwatch.h"

namespace mw {
namespace {

constexpr int kMinYear = 1970, kMaxYear = 2199;

// ---- calendar (proleptic Gregorian, days since 1970-01-01) ------------------
std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = floor_div(z, 146097);
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = yoe + era * 400 + (m <= 2);
}

bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(std::int64_t y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// 1 = Sunday .. 7 = Saturday, as EventBridge numbers them.
int weekday(std::int64_t y, int m, int d) {
  const std::int64_t z = days_from_civil(y, m, d);
  return static_cast<int>(((z + 4) % 7 + 7) % 7) + 1;  // 1970-01-01 was a Thursday
}

// ---- parsing --------------------------------------------------------------
const char* const kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char* const kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct Field {
  const char* name;
  int lo, hi;
  const char* const* names;  // names[i] is the value lo + i, or null
  const char* wildcards;     // the wildcards EventBridge allows here
  const char* range_text;    // for messages
  bool cyclic;               // a range may wrap around the end (FRI-MON, 22-2)
};

const Field kFields[6] = {
    {"minutes", 0, 59, nullptr, ", - * /", "0-59", true},
    {"hours", 0, 23, nullptr, ", - * /", "0-23", true},
    {"day-of-month", 1, 31, nullptr, ", - * ? / L W", "1-31", true},
    {"month", 1, 12, kMonthNames, ", - * /", "1-12 or JAN-DEC", true},
    {"day-of-week", 1, 7, kDayNames, ", - * ? L #", "1-7 or SUN-SAT", true},
    {"year", kMinYear, kMaxYear, nullptr, ", - * /", "1970-2199", false},
};
enum { kMinutes, kHours, kDom, kMonth, kDow, kYear };

class CronParser {
 public:
  explicit CronParser(const std::string& expr) : expr_(expr) {}

  [[noreturn]] void fail(const Field& f, const std::string& why) const {
    throw Error(expr_, std::string(f.name) + ": " + why);
  }

  bool all_digits(const std::string& s) const {
    if (s.empty()) return false;
    for (char c : s)
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
  }

  // A single value: a number or (month, day-of-week) a name.
  int value(const Field& f, const std::string& tok) const {
    if (tok.empty()) fail(f, "a value is missing");
    if (all_digits(tok)) {
      if (tok.size() > 6) fail(f, "'" + tok + "' is out of range " + f.range_text);
      int v = std::stoi(tok);
      if (v < f.lo || v > f.hi) fail(f, "'" + tok + "' is out of range " + f.range_text);
      return v;
    }
    if (f.names)
      for (int i = 0; i <= f.hi - f.lo; ++i)
        if (tok == f.names[i]) return f.lo + i;
    if (tok == "?") fail(f, "'?' must stand alone, in day-of-month or day-of-week only");
    fail(f, "'" + tok + "' is not " + (f.names ? "a number or a name" : "a number") + " (" + f.range_text + ")");
  }

  // A list of items: *, v, a-b, */s, v/s, a-b/s. Returns bit v for each allowed v.
  std::vector<bool> list(const Field& f, const std::string& text) const {
    for (char c : text) {
      const std::string wc(1, c);
      if (std::string(",-*/?#").find(c) != std::string::npos && std::string(f.wildcards).find(c) == std::string::npos)
        fail(f, "'" + wc + "' is not allowed here (allowed: " + f.wildcards + ")");
    }
    std::vector<bool> bits(static_cast<std::size_t>(f.hi) + 1, false);
    std::size_t pos = 0;
    while (true) {
      std::size_t comma = text.find(',', pos);
      std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (item.empty()) fail(f, "empty item in '" + text + "'");
      add_item(f, item, bits);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    return bits;
  }

  void add_item(const Field& f, const std::string& item, std::vector<bool>& bits) const {
    std::string base = item;
    int step = 1;
    bool stepped = false;
    if (auto slash = item.find('/'); slash != std::string::npos) {
      base = item.substr(0, slash);
      std::string s = item.substr(slash + 1);
      const int span = f.hi - f.lo + 1;
      if (!all_digits(s) || s.size() > 6 || std::stoi(s) < 1 || std::stoi(s) > span)
        fail(f, "increment '" + s + "' in '" + item + "' must be a number from 1 to " + std::to_string(span));
      step = std::stoi(s);
      stepped = true;
    }
    int from, to;
    if (base == "*") {
      from = f.lo, to = f.hi;
    } else if (auto dash = base.find('-'); dash != std::string::npos) {
      from = value(f, base.substr(0, dash));
      to = value(f, base.substr(dash + 1));
    } else {
      from = value(f, base);
      to = stepped ? f.hi : from;  // v/s runs from v to the end of the range
    }
    if (from > to && !f.cyclic) fail(f, "range '" + base + "' runs backwards");
    const int span = f.hi - f.lo + 1;
    const int count = (to - from + span) % span + 1;
    for (int i = 0; i < count; i += step) bits[static_cast<std::size_t>(f.lo + (from - f.lo + i) % span)] = true;
  }

  void day_of_month(const std::string& text, CronSpec& c) const {
    const Field& f = kFields[kDom];
    if (text == "?") {
      c.dom_any = true;
    } else if (text == "L") {
      c.last_day = true;
    } else if (text == "LW") {
      c.last_weekday = true;
    } else if (text.find_first_of("LW") != std::string::npos) {
      if (text.size() < 2 || text.back() != 'W' || !all_digits(text.substr(0, text.size() - 1)))
        fail(f, "'" + text + "': L and W stand alone, as L, LW or nW (e.g. 15W)");
      c.nearest_weekday = value(f, text.substr(0, text.size() - 1));
    } else {
      auto bits = list(f, text);
      for (int d = 1; d <= 31; ++d)
        if (bits[static_cast<std::size_t>(d)]) c.days |= 1u << d;
    }
  }

  void day_of_week(const std::string& text, CronSpec& c) const {
    const Field& f = kFields[kDow];
    if (text == "?") {
      c.dow_any = true;
    } else if (text == "L") {
      c.weekdays = 1u << 7;  // the last day of the week: Saturday
    } else if (auto hash = text.find('#'); hash != std::string::npos) {
      if (text.find_first_of(",-*/L") != std::string::npos || text.find('#', hash + 1) != std::string::npos)
        fail(f, "'" + text + "': with '#' the field holds one n#k expression only (e.g. 3#2)");
      c.nth_weekday = value(f, text.substr(0, hash));
      std::string k = text.substr(hash + 1);
      if (!all_digits(k) || k.size() > 1 || k[0] < '1' || k[0] > '5')
        fail(f, "'" + text + "': the week number after '#' must be 1-5");
      c.nth = k[0] - '0';
    } else if (text.find('L') != std::string::npos) {
      if (text.size() < 2 || text.back() != 'L' || text.find_first_of(",-*/") != std::string::npos)
        fail(f, "'" + text + "': L stands alone, as L or nL (e.g. 6L, the last Friday)");
      c.last_of_weekday = value(f, text.substr(0, text.size() - 1));
    } else {
      auto bits = list(f, text);
      for (int d = 1; d <= 7; ++d)
        if (bits[static_cast<std::size_t>(d)]) c.weekdays = static_cast<std::uint8_t>(c.weekdays | (1u << d));
    }
  }

  CronSpec parse(const std::vector<std::string>& fields) const {
    CronSpec c;
    for (int i = 0; i < 6; ++i) {
      if (fields[i] == "?" && i != kDom && i != kDow)
        fail(kFields[i], "'?' is only allowed in day-of-month or day-of-week");
    }
    auto minutes = list(kFields[kMinutes], fields[kMinutes]);
    for (int v = 0; v <= 59; ++v)
      if (minutes[static_cast<std::size_t>(v)]) c.minutes |= std::uint64_t(1) << v;
    auto hours = list(kFields[kHours], fields[kHours]);
    for (int v = 0; v <= 23; ++v)
      if (hours[static_cast<std::size_t>(v)]) c.hours |= 1u << v;
    day_of_month(fields[kDom], c);
    auto months = list(kFields[kMonth], fields[kMonth]);
    for (int v = 1; v <= 12; ++v)
      if (months[static_cast<std::size_t>(v)]) c.months = static_cast<std::uint16_t>(c.months | (1u << v));
    day_of_week(fields[kDow], c);
    auto years = list(kFields[kYear], fields[kYear]);
    for (int v = kMinYear; v <= kMaxYear; ++v)
      if (years[static_cast<std::size_t>(v)]) c.years[(v - kMinYear) / 64] |= std::uint64_t(1) << ((v - kMinYear) % 64);

    if (c.dom_any && c.dow_any)
      throw Error(expr_,
                  "day-of-month and day-of-week are both '?'; give one of them a value and leave '?' in the other");
    if (!c.dom_any && !c.dow_any)
      throw Error(expr_, "day-of-month '" + fields[kDom] + "' and day-of-week '" + fields[kDow] +
                             "' are both given; one of them must be '?'");
    for (int i = 0; i < 6; ++i) c.fields[i] = fields[i];
    return c;
  }

 private:
  const std::string& expr_;
};

std::vector<std::string> split_ws(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool body_of(const std::string& expr, const std::string& head, std::string& body) {
  if (expr.size() < head.size() + 2 || expr.compare(0, head.size(), head) != 0 || expr[head.size()] != '(' ||
      expr.back() != ')')
    return false;
  body = expr.substr(head.size() + 1, expr.size() - head.size() - 2);
  return true;
}

Schedule parse_rate(const std::string& expr, const std::string& body) {
  auto parts = split_ws(body);
  if (parts.size() != 2)
    throw Error(
        expr, "rate needs two fields, a value and a unit, as in rate(5 minutes); got " + std::to_string(parts.size()));
  const std::string& v = parts[0];
  for (char ch : v)
    if (!std::isdigit(static_cast<unsigned char>(ch)))
      throw Error(expr, "rate value '" + v + "' is not a positive whole number");
  if (v.size() > 9) throw Error(expr, "rate value '" + v + "' is too large");
  Schedule s;
  s.kind = Schedule::Kind::rate;
  s.expression = expr;
  s.rate_value = std::stoll(v);
  if (s.rate_value < 1) throw Error(expr, "rate value must be a positive whole number, got " + v);
  std::string unit = parts[1];
  std::int64_t unit_s = 0;
  std::string singular;
  if (unit == "minute" || unit == "minutes") unit_s = 60, singular = "minute";
  if (unit == "hour" || unit == "hours") unit_s = 3600, singular = "hour";
  if (unit == "day" || unit == "days") unit_s = 86400, singular = "day";
  if (!unit_s) throw Error(expr, "rate unit '" + unit + "' is not one of minute, minutes, hour, hours, day, days");
  const bool plural = unit != singular;
  if (s.rate_value == 1 && plural)
    throw Error(expr, "rate unit: a value of 1 takes the singular '" + singular + "', not '" + unit + "'");
  if (s.rate_value > 1 && !plural)
    throw Error(expr, "rate unit: a value above 1 takes the plural '" + singular + "s', not '" + unit + "'");
  s.rate_unit = unit;
  s.period_s = s.rate_value * unit_s;
  return s;
}

Schedule parse_cron(const std::string& expr, const std::string& body) {
  std::string upper = body;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  auto fields = split_ws(upper);
  if (fields.size() != 6)
    throw Error(expr, "cron needs 6 fields (minutes hours day-of-month month day-of-week year), got " +
                          std::to_string(fields.size()));
  Schedule s;
  s.kind = Schedule::Kind::cron;
  s.expression = expr;
  s.cron = CronParser(expr).parse(fields);
  return s;
}

// ---- cron evaluation ------------------------------------------------------
bool year_ok(const CronSpec& c, std::int64_t y) {
  if (y < kMinYear || y > kMaxYear) return false;
  const auto i = static_cast<int>(y - kMinYear);
  return (c.years[i / 64] >> (i % 64)) & 1;
}

int last_weekday_of_month(std::int64_t y, int m) {
  const int dim = days_in_month(y, m);
  const int wd = weekday(y, m, dim);
  return wd == 7 ? dim - 1 : wd == 1 ? dim - 2 : dim;
}

// The weekday (MON-FRI) nearest day n, staying inside the month; 0 when n is past its end.
int nearest_weekday_to(std::int64_t y, int m, int n) {
  const int dim = days_in_month(y, m);
  if (n > dim) return 0;
  const int wd = weekday(y, m, n);
  if (wd == 7) return n == 1 ? 3 : n - 1;        // Saturday: Friday before, or Monday the 3rd
  if (wd == 1) return n == dim ? n - 2 : n + 1;  // Sunday: Monday after, or Friday before at the month's end
  return n;
}

bool day_ok(const CronSpec& c, std::int64_t y, int m, int d) {
  const int dim = days_in_month(y, m);
  if (!c.dom_any) {
    if (c.last_day) return d == dim;
    if (c.last_weekday) return d == last_weekday_of_month(y, m);
    if (c.nearest_weekday) return d == nearest_weekday_to(y, m, c.nearest_weekday);
    return (c.days >> d) & 1;
  }
  const int wd = weekday(y, m, d);
  if (c.last_of_weekday) return wd == c.last_of_weekday && d + 7 > dim;
  if (c.nth) return wd == c.nth_weekday && (d - 1) / 7 + 1 == c.nth;
  return (c.weekdays >> wd) & 1;
}

std::optional<std::int64_t> next_cron(const CronSpec& c, std::int64_t after) {
  std::int64_t t = floor_div(after, 60) * 60 + 60;
  const std::int64_t lo = days_from_civil(kMinYear, 1, 1) * 86400;
  if (t < lo) t = lo;
  const std::int64_t z = floor_div(t, 86400);
  std::int64_t y;
  int m, d;
  civil_from_days(z, y, m, d);
  int h = static_cast<int>((t - z * 86400) / 3600), mi = static_cast<int>((t - z * 86400) % 3600 / 60);

  auto next_month = [&] {
    d = 1, h = 0, mi = 0;
    if (++m > 12) m = 1, ++y;
  };
  auto next_day = [&] {
    h = 0, mi = 0;
    if (++d > days_in_month(y, m)) next_month();
  };
  // Each pass that does not return moves on to the next hour, day, month or year
  // that can match, so a search takes a few passes per month it crosses.
  for (int guard = 0; guard < 4000000; ++guard) {
    if (y > kMaxYear) return std::nullopt;
    if (!year_ok(c, y)) {
      ++y, m = 1, d = 1, h = 0, mi = 0;
      continue;
    }
    if (!((c.months >> m) & 1)) {
      next_month();
      continue;
    }
    const int dim = days_in_month(y, m);
    int dd = d;
    while (dd <= dim && !day_ok(c, y, m, dd)) ++dd;
    if (dd > dim) {
      next_month();
      continue;
    }
    if (dd != d) d = dd, h = 0, mi = 0;
    int hh = h;
    while (hh <= 23 && !((c.hours >> hh) & 1)) ++hh;
    if (hh > 23) {
      next_day();
      continue;
    }
    if (hh != h) h = hh, mi = 0;
    int mm = mi;
    while (mm <= 59 && !((c.minutes >> mm) & 1)) ++mm;
    if (mm > 59) {
      mi = 0;
      if (++h > 23) next_day();
      continue;
    }
    return days_from_civil(y, m, d) * 86400 + h * 3600 + mm * 60;
  }
  return std::nullopt;
}

bool is_number(const std::string& s) {
  if (s.empty() || s.size() > 2) return false;
  for (char ch : s)
    if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
  return true;
}

}  // namespace

Schedule parse_schedule(const std::string& expr) {
  std::string body;
  if (body_of(expr, "rate", body)) return parse_rate(expr, body);
  if (body_of(expr, "cron", body)) return parse_cron(expr, body);
  throw Error(expr, "not a schedule expression; expected rate(value unit) or cron(fields)");
}

std::optional<std::int64_t> next_fire(const Schedule& s, std::int64_t after, std::int64_t start) {
  if (s.kind == Schedule::Kind::rate) {
    if (s.period_s <= 0) return std::nullopt;
    std::int64_t k = after < start ? 1 : floor_div(after - start, s.period_s) + 1;
    return start + k * s.period_s;
  }
  return next_cron(s.cron, after < start ? start - 1 : after);
}

std::string describe(const Schedule& s) {
  if (s.kind == Schedule::Kind::rate) return "every " + std::to_string(s.rate_value) + " " + s.rate_unit;
  const auto& f = s.cron.fields;
  std::string out = "cron: ";
  if (is_number(f[kMinutes]) && is_number(f[kHours])) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d:%02d", std::stoi(f[kHours]), std::stoi(f[kMinutes]));
    out += std::string("at ") + buf + " UTC";
  } else {
    out += (f[kMinutes] == "*" ? std::string("every minute") : "minute " + f[kMinutes]) + " of " +
           (f[kHours] == "*" ? std::string("every hour") : "hour " + f[kHours]) + " UTC";
  }
  out += " on ";
  const CronSpec& c = s.cron;
  if (!c.dom_any) {
    if (f[kDom] == "*")
      out += "every day";
    else if (c.last_day)
      out += "the last day of the month";
    else if (c.last_weekday)
      out += "the last weekday of the month";
    else if (c.nearest_weekday)
      out += "the weekday nearest day " + std::to_string(c.nearest_weekday);
    else
      out += "day-of-month " + f[kDom];
  } else {
    static const char* const kOrdinal[] = {"", "first", "second", "third", "fourth", "fifth"};
    if (f[kDow] == "*")
      out += "every day";
    else if (c.nth)
      out += std::string("the ") + kOrdinal[c.nth] + " " + kDayNames[c.nth_weekday - 1] + " of the month";
    else if (f[kDow] == "L")
      out += "SAT";
    else if (c.last_of_weekday)
      out += std::string("the last ") + kDayNames[c.last_of_weekday - 1] + " of the month";
    else
      out += f[kDow];
  }
  if (f[kMonth] != "*") out += ", month " + f[kMonth];
  if (f[kYear] != "*") out += ", year " + f[kYear];
  return out;
}

std::int64_t utc_seconds(int year, int month, int day, int hour, int minute, int second) {
  return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

}  // namespace mw
