#include "common/clock.h"

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
