#include "budget/period.h"

#include "common/strings.h"

namespace skyrun {

namespace {

constexpr int64_t kSecondsPerDay = 24 * 3600;
constexpr Micros kMicrosPerDay = kSecondsPerDay * kMicrosPerSecond;
constexpr int64_t kLongestRollingSeconds = 400 * kSecondsPerDay;

struct CivilDay {
  int64_t year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

// Days since 1970-01-01 of a proleptic Gregorian date, and back (the
// well-known era arithmetic: 400-year eras of 146097 days).
int64_t DaysFromCivil(CivilDay c) {
  const int64_t y = c.year - (c.month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t mp = (c.month + 9) % 12;
  const int64_t doy = (153 * mp + 2) / 5 + c.day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDay CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  CivilDay c;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2 ? 1 : 0);
  return c;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

const char* kMonthNames[] = {"January", "February", "March",     "April",   "May",      "June",
                             "July",    "August",   "September", "October", "November", "December"};

}  // namespace

Result<BudgetPeriod> ParseBudgetPeriod(const std::string& text) {
  BudgetPeriod p;
  if (text == "month") {
    p.kind = PeriodKind::kMonth;
    return p;
  }
  if (text == "week") {
    p.kind = PeriodKind::kWeek;
    return p;
  }
  auto seconds = ParseDurationSeconds(text);
  if (!seconds.ok() || *seconds <= 0 || *seconds > kLongestRollingSeconds) {
    return InvalidArgument(
        "a budget period is a rolling window such as 30d, 7d or 12h (at most 400d), or "
        "month or week (calendar, UTC), not '" +
        text.substr(0, 64) + "'");
  }
  p.kind = PeriodKind::kRolling;
  p.rolling_seconds = *seconds;
  return p;
}

std::string BudgetPeriodName(const BudgetPeriod& period) {
  switch (period.kind) {
    case PeriodKind::kMonth: return "month";
    case PeriodKind::kWeek: return "week";
    case PeriodKind::kRolling: break;
  }
  if (period.rolling_seconds % kSecondsPerDay == 0)
    return std::to_string(period.rolling_seconds / kSecondsPerDay) + "d";
  if (period.rolling_seconds % 3600 == 0) return std::to_string(period.rolling_seconds / 3600) + "h";
  return std::to_string(period.rolling_seconds) + "s";
}

PeriodWindow WindowAt(const BudgetPeriod& period, Micros now) {
  PeriodWindow w;
  w.to = now;
  const int64_t day = FloorDiv(now, kMicrosPerDay);
  switch (period.kind) {
    case PeriodKind::kRolling: w.from = now - period.rolling_seconds * kMicrosPerSecond; break;
    case PeriodKind::kMonth: {
      CivilDay c = CivilFromDays(day);
      c.day = 1;
      w.from = DaysFromCivil(c) * kMicrosPerDay;
      CivilDay next = c;
      if (++next.month > 12) {
        next.month = 1;
        ++next.year;
      }
      w.resets = DaysFromCivil(next) * kMicrosPerDay;
      break;
    }
    case PeriodKind::kWeek: {
      // 1970-01-01 was a Thursday: Monday-based weekday = (day + 3) mod 7.
      const int64_t monday = day - ((day % 7 + 7 + 3) % 7);
      w.from = monday * kMicrosPerDay;
      w.resets = (monday + 7) * kMicrosPerDay;
      break;
    }
  }
  return w;
}

std::string DescribeWindow(const BudgetPeriod& period, const PeriodWindow& window) {
  switch (period.kind) {
    case PeriodKind::kRolling: {
      std::string span = BudgetPeriodName(period);
      if (span.back() == 'd')
        span = span.substr(0, span.size() - 1) + " days";
      else if (span.back() == 'h')
        span = span.substr(0, span.size() - 1) + " hours";
      else
        span = span.substr(0, span.size() - 1) + " seconds";
      return "the " + span + " to " + FormatTimestamp(window.to);
    }
    case PeriodKind::kMonth: {
      CivilDay c = CivilFromDays(FloorDiv(window.from, kMicrosPerDay));
      return std::string(kMonthNames[c.month - 1]) + " " + std::to_string(c.year) + " (until " +
             FormatTimestamp(window.resets.value_or(window.to)) + ")";
    }
    case PeriodKind::kWeek:
      return "the week from " + FormatTimestamp(window.from).substr(0, 10) + " (until " +
             FormatTimestamp(window.resets.value_or(window.to)) + ")";
  }
  return "";
}

}  // namespace skyrun
