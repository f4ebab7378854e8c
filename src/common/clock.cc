#include "common/clock.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

namespace skyrun {

Micros SystemClock::Now() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Micros SystemClock::MonotonicNow() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void SystemClock::SleepFor(Micros duration) {
  std::this_thread::sleep_for(std::chrono::microseconds(duration));
}

std::string FormatTimestamp(Micros t) {
  if (t <= 0) return "";
  time_t secs = static_cast<time_t>(t / kMicrosPerSecond);
  int millis = static_cast<int>((t % kMicrosPerSecond) / 1000);
  struct tm tm_utc;
  gmtime_r(&secs, &tm_utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm_utc.tm_year + 1900,
                tm_utc.tm_mon + 1, tm_utc.tm_mday, tm_utc.tm_hour, tm_utc.tm_min, tm_utc.tm_sec, millis);
  return buf;
}

std::optional<Micros> ParseTimestamp(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  const std::string s(text);
  int used = 0;
  if (s.size() == 10) {
    if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &used) != 3 || used != 10)
      return std::nullopt;
  } else if (s.size() == 20) {
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &year, &month, &day, &hour, &minute, &second,
                    &used) != 6 ||
        used != 20)
      return std::nullopt;
  } else if (s.size() == 24) {
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &year, &month, &day, &hour, &minute, &second,
                    &millis, &used) != 7 ||
        used != 24)
      return std::nullopt;
  } else {
    return std::nullopt;
  }
  for (char c : s)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == 'T' || c == ':' || c == '.' ||
          c == 'Z'))
      return std::nullopt;
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 59 || millis < 0)
    return std::nullopt;
  struct tm tm_utc {};
  tm_utc.tm_year = year - 1900;
  tm_utc.tm_mon = month - 1;
  tm_utc.tm_mday = day;
  tm_utc.tm_hour = hour;
  tm_utc.tm_min = minute;
  tm_utc.tm_sec = second;
  const time_t secs = timegm(&tm_utc);
  struct tm back {};
  gmtime_r(&secs, &back);
  if (back.tm_mday != day || back.tm_mon != month - 1) return std::nullopt;  // 2026-02-30
  return static_cast<Micros>(secs) * kMicrosPerSecond + static_cast<Micros>(millis) * kMicrosPerMilli;
}

std::string FormatDuration(Micros d) {
  if (d < 0) d = 0;
  char buf[64];
  if (d < kMicrosPerSecond) {
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(d / 1000));
  } else if (d < 60 * kMicrosPerSecond) {
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(d) / kMicrosPerSecond);
  } else {
    long long s = d / kMicrosPerSecond;
    long long h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
    if (h > 0) {
      std::snprintf(buf, sizeof buf, "%lldh%lldm%llds", h, m, sec);
    } else {
      std::snprintf(buf, sizeof buf, "%lldm%llds", m, sec);
    }
  }
  return buf;
}

}  // namespace skyrun
