#include "accounting/cost.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace skyrun {

int64_t BilledSeconds(Micros micros) {
  if (micros <= 0) return 0;
  return (micros + kMicrosPerSecond - 1) / kMicrosPerSecond;
}

double AttemptCost(const AttemptRecord& attempt, const std::vector<PriceChange>& changes, Micros from,
                   Micros to, Micros now) {
  if (attempt.started_at <= 0) return 0;
  const Micros end = attempt.ended_at > 0 ? attempt.ended_at : now;
  if (end <= attempt.started_at) return 0;

  // The price steps of this task, in time order; a change before the start
  // (recorded late) sets the launch price, one after the end is ignored.
  std::vector<PriceChange> mine;
  for (const PriceChange& c : changes) {
    if (c.job == attempt.job_id && c.attempt_no == attempt.attempt_no && c.rank == attempt.rank)
      mine.push_back(c);
  }
  std::stable_sort(mine.begin(), mine.end(),
                   [](const PriceChange& a, const PriceChange& b) { return a.at < b.at; });

  // Seconds are counted over the whole run from its start (so that a period
  // boundary never bills a second twice), then each interval is clipped to
  // [from, to).
  double usd = 0;
  double price = attempt.hourly_price;
  Micros interval_start = attempt.started_at;
  size_t next = 0;
  while (next < mine.size() && mine[next].at <= interval_start) price = mine[next++].usd_per_hour;
  while (interval_start < end) {
    const Micros interval_end = next < mine.size() ? std::min(mine[next].at, end) : end;
    const Micros lo = std::max(interval_start, from);
    const Micros hi = std::min(interval_end, to);
    if (hi > lo) {
      // Per second: the seconds of the run that start inside [lo, hi).
      const int64_t first = BilledSeconds(lo - attempt.started_at);
      const int64_t last = BilledSeconds(hi - attempt.started_at);
      usd += price * static_cast<double>(last - first) / 3600.0;
    }
    interval_start = interval_end;
    if (next < mine.size()) price = mine[next++].usd_per_hour;
  }
  return usd;
}

double WholeAttemptCost(const AttemptRecord& attempt, const std::vector<PriceChange>& changes, Micros now) {
  return AttemptCost(attempt, changes, std::numeric_limits<Micros>::min(), std::numeric_limits<Micros>::max(),
                     now);
}

}  // namespace skyrun
