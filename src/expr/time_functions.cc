// The time functions of ClassAds that pool policies use ("ran less than two
// hours": time() - EnteredCurrentStatus < relTime("2h")). skyrun has no
// absolute-time or relative-time types: a time is seconds since the Unix
// epoch (an integer) and a duration is seconds (an integer, or a real when
// it has a fraction); times are read and written in UTC. The clock is the
// EvalScratch's, so tests can pin it.
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>

#include "expr/function_helpers.h"

namespace skyrun::expr {
namespace {

// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Reads exactly `n` digits at *s.
bool Digits(std::string_view* s, size_t n, int64_t* out) {
  if (s->size() < n) return false;
  int64_t v = 0;
  for (size_t k = 0; k < n; ++k) {
    char c = (*s)[k];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  s->remove_prefix(n);
  *out = v;
  return true;
}

bool Skip(std::string_view* s, char c) {
  if (!s->empty() && s->front() == c) {
    s->remove_prefix(1);
    return true;
  }
  return false;
}

// ISO 8601 as ClassAds' absTime() reads it: 2024-05-01, 2024-05-01T12:30[:45]
// (also "T:12:30:45" and the compact 20240501T123045), then Z or an offset
// +HH[:MM]. No offset means UTC.
bool ParseAbsTime(std::string_view s, int64_t* out) {
  int64_t year, month, day, hour = 0, minute = 0, second = 0, offset = 0;
  if (!Digits(&s, 4, &year)) return false;
  Skip(&s, '-');
  if (!Digits(&s, 2, &month)) return false;
  Skip(&s, '-');
  if (!Digits(&s, 2, &day)) return false;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] || (month == 2 && day == 29 && !leap)) {
    return false;
  }
  if (Skip(&s, 'T') || Skip(&s, ' ')) {
    Skip(&s, ':');
    if (!Digits(&s, 2, &hour)) return false;
    Skip(&s, ':');
    if (!Digits(&s, 2, &minute)) return false;
    if (Skip(&s, ':') || (!s.empty() && std::isdigit(static_cast<unsigned char>(s.front())))) {
      if (!Digits(&s, 2, &second)) return false;
    }
    if (hour > 23 || minute > 59 || second > 60) return false;
  }
  if (Skip(&s, 'Z') || Skip(&s, 'z')) {
  } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    const int64_t sign = s.front() == '-' ? -1 : 1;
    s.remove_prefix(1);
    int64_t oh, om = 0;
    if (!Digits(&s, 2, &oh)) return false;
    Skip(&s, ':');
    if (!s.empty() && !Digits(&s, 2, &om)) return false;
    offset = sign * (oh * 3600 + om * 60);
  }
  if (!s.empty()) return false;
  *out = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  return true;
}

// relTime("[-][D+]HH:MM[:SS[.fff]]") or relTime("1d2h3m4.5s"): seconds.
bool ParseRelTime(std::string_view s, double* out) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  double sign = 1;
  if (Skip(&s, '-')) sign = -1;
  if (s.empty()) return false;
  auto number = [&](double* v) {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *v, std::chars_format::fixed);
    if (ec != std::errc() || ptr == s.data()) return false;
    s.remove_prefix(static_cast<size_t>(ptr - s.data()));
    return true;
  };
  double total = 0;
  if (s.find(':') != std::string_view::npos || s.find('+') != std::string_view::npos) {
    double days = 0, first;
    if (!number(&first)) return false;
    if (Skip(&s, '+')) {
      days = first;
      if (!number(&first)) return false;
    }
    double parts[3] = {first, 0, 0};
    int n = 1;
    while (n < 3 && Skip(&s, ':')) {
      if (!number(&parts[n++])) return false;
    }
    if (!s.empty()) return false;
    // HH:MM, HH:MM:SS (a lone number is seconds).
    if (n == 1) {
      total = days * 86400 + parts[0];
    } else if (n == 2) {
      total = days * 86400 + parts[0] * 3600 + parts[1] * 60;
    } else {
      total = days * 86400 + parts[0] * 3600 + parts[1] * 60 + parts[2];
    }
  } else {
    bool any = false;
    while (!s.empty()) {
      double v;
      if (!number(&v)) return false;
      if (s.empty()) {
        total += v;  // a bare number is seconds
        any = true;
        break;
      }
      char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(s.front())));
      s.remove_prefix(1);
      switch (unit) {
        case 'd': total += v * 86400; break;
        case 'h': total += v * 3600; break;
        case 'm': total += v * 60; break;
        case 's': total += v; break;
        default: return false;
      }
      any = true;
    }
    if (!any) return false;
  }
  *out = sign * total;
  return true;
}

Value Seconds(double v) {
  if (v == std::trunc(v) && std::fabs(v) < 9.2e18) return Value::Int(static_cast<int64_t>(v));
  return Value::Real(v);
}

// A time argument as whole seconds since the epoch.
bool EpochSeconds(const Value& v, int64_t* out) {
  Value n = v.IsString() ? Value::Error() : ToReal(v);
  if (!n.IsReal() || !std::isfinite(n.AsReal()) || std::fabs(n.AsReal()) > 1e15) return false;
  *out = static_cast<int64_t>(std::floor(n.AsReal()));
  return true;
}

bool UtcParts(int64_t secs, std::tm* tm) {
  const std::time_t t = static_cast<std::time_t>(secs);
  return gmtime_r(&t, tm) != nullptr;
}

Value AbsTime(std::span<const Value> args, EvalScratch& scratch) {
  if (args.empty()) return Value::Int(scratch.NowSeconds());
  Value ex;
  if (Exceptional(args, &ex)) return ex;
  const Value& v = args[0];
  if (v.IsString()) {
    int64_t secs;
    if (!ParseAbsTime(v.AsString(), &secs)) {
      return Value::Error("absTime() of a string that is not an ISO 8601 time such as 2024-05-01T12:00:00Z");
    }
    return Value::Int(secs);
  }
  if (args.size() > 1 && !args[1].IsNumber()) return Value::Error("absTime() offset must be a number");
  int64_t secs;
  if (!v.IsNumber() || !EpochSeconds(v, &secs))
    return Value::Error("absTime() needs a time string or seconds");
  return Value::Int(secs);  // the offset only chose how the time would print
}

Value RelTime(const Value& v) {
  if (v.IsExceptional() || v.IsNumber()) return v;
  if (!v.IsString()) return Value::Error("relTime() needs a duration string or seconds");
  double secs;
  if (!ParseRelTime(v.AsString(), &secs)) {
    return Value::Error("relTime() of a string that is not a duration such as \"1d2h30m\" or \"2+03:04:05\"");
  }
  return Seconds(secs);
}

Value FormatTime(std::span<const Value> args, EvalScratch& scratch) {
  Value ex;
  if (Exceptional(args, &ex)) return ex;
  int64_t secs = scratch.NowSeconds();
  if (!args.empty() && !EpochSeconds(args[0], &secs)) return Value::Error("formatTime() needs seconds");
  if (args.size() > 1 && !args[1].IsString()) return Value::Error("formatTime() format must be a string");
  std::string format = args.size() > 1 ? std::string(args[1].AsString()) : std::string("%c");
  std::tm tm{};
  if (!UtcParts(secs, &tm)) return Value::Error("formatTime() of a time out of range");
  if (format.empty()) return Value::String("");
  char buf[1024];
  size_t n = std::strftime(buf, sizeof buf, format.c_str(), &tm);
  if (n == 0) return Value::Error("formatTime() output too long");
  return StoreString({buf, n}, scratch);
}

// interval(seconds): "S", "M:SS", "H:MM:SS" or "D+HH:MM:SS".
Value Interval(const Value& arg, EvalScratch& scratch) {
  Value v = ToInt(arg);
  if (v.IsExceptional()) return v;
  int64_t t = v.AsInt();
  int64_t days = t / 86400, hours = t % 86400 / 3600, minutes = t % 3600 / 60, secs = t % 60;
  char buf[64];
  auto a = [](int64_t x) { return static_cast<long long>(x < 0 ? -x : x); };
  if (days != 0) {
    std::snprintf(buf, sizeof buf, "%lld+%02lld:%02lld:%02lld", static_cast<long long>(days), a(hours),
                  a(minutes), a(secs));
  } else if (hours != 0) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(hours), a(minutes), a(secs));
  } else if (minutes != 0) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(minutes), a(secs));
  } else {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(secs));
  }
  return StoreString(buf, scratch);
}

// splitTime(seconds): {year, month, day, hours, minutes, seconds, offset}
// in UTC (ClassAds gives an ad with those attributes; skyrun has no nested ads).
Value SplitTime(const Value& v, EvalScratch& scratch) {
  if (v.IsExceptional()) return v;
  int64_t secs;
  std::tm tm{};
  if (!EpochSeconds(v, &secs) || !UtcParts(secs, &tm)) return Value::Error("splitTime() needs seconds");
  Value* out = scratch.AllocateValues(7);
  if (!out) return TooLarge();
  out[0] = Value::Int(tm.tm_year + 1900);
  out[1] = Value::Int(tm.tm_mon + 1);
  out[2] = Value::Int(tm.tm_mday);
  out[3] = Value::Int(tm.tm_hour);
  out[4] = Value::Int(tm.tm_min);
  out[5] = Value::Int(tm.tm_sec);
  out[6] = Value::Int(0);
  return Value::List(out, 7);
}

}  // namespace

Value CallTimeFunction(FuncId id, std::span<const Value> args, EvalScratch& scratch) {
  switch (id) {
    case FuncId::kTime: return Value::Int(scratch.NowSeconds());
    case FuncId::kAbsTime: return AbsTime(args, scratch);
    case FuncId::kRelTime: return RelTime(args[0]);
    case FuncId::kFormatTime: return FormatTime(args, scratch);
    case FuncId::kInterval: return Interval(args[0], scratch);
    case FuncId::kSplitTime: return SplitTime(args[0], scratch);
    default: break;
  }
  return Value::Error("not a time function");
}

}  // namespace skyrun::expr
