// Time as an injected interface: the server uses the system clock, tests and
// the simulator use a SimulatedClock they advance by hand. Nothing outside
// apps/ constructs a SystemClock. Timestamps are microseconds since the Unix
// epoch. Thread-safety: SystemClock is thread-safe; SimulatedClock is
// thread-safe for Now()/Advance() (atomic).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace skyrun {

using Micros = int64_t;
constexpr Micros kMicrosPerMilli = 1000;
constexpr Micros kMicrosPerSecond = 1000 * 1000;
constexpr Micros kMicrosPerHour = 3600 * kMicrosPerSecond;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Micros Now() const = 0;              // wall time
  virtual Micros MonotonicNow() const = 0;     // for intervals
  virtual void SleepFor(Micros duration) = 0;  // simulated clocks advance instead
};

class SystemClock final : public Clock {
 public:
  Micros Now() const override;
  Micros MonotonicNow() const override;
  void SleepFor(Micros duration) override;
};

class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(Micros start = 0) : now_(start) {}
  Micros Now() const override { return now_.load(); }
  Micros MonotonicNow() const override { return now_.load(); }
  void SleepFor(Micros duration) override { now_ += duration; }
  void Advance(Micros duration) { now_ += duration; }
  void Set(Micros t) { now_ = t; }

 private:
  std::atomic<Micros> now_;
};

// RFC 3339 UTC with milliseconds: "2026-11-23T13:20:10.123Z".
std::string FormatTimestamp(Micros t);
// The inverse, for query parameters: "2026-11-23T13:20:10.123Z",
// "2026-11-23T13:20:10Z" or a day "2026-11-23" (its midnight, UTC). nullopt
// for anything else, including impossible dates.
std::optional<Micros> ParseTimestamp(std::string_view text);
// "1h2m3s", "45.2s", "120ms".
std::string FormatDuration(Micros d);

}  // namespace skyrun
