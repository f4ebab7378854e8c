// The spot replay: one training job of a fixed amount of work run on a
// SimCloud (drivers/simcloud/sim_cloud.h) over a simulated clock, on demand
// or on spot with checkpoint recovery, billed from the cloud's own per-second
// billing. It replays SkyPilot's published BERT-on-V100 figure (on demand
// $61.2 for 20 h, managed spot $18.4 for 21 h) with the catalog's prices; see
// docs/BENCHMARKS.md.
//
// What a spot run does, as a controller with managed recovery would:
//   1. buy a spot instance in the cheapest zone (of those with a spot price);
//   2. once it is ready, spend `restart_overhead` (on every start after the
//      first: setup, reloading the checkpoint), then work; every
//      `checkpoint_interval` of work is saved;
//   3. the cloud's preemption notice gives the reclaim time; at it, the work
//      since the last checkpoint is lost; buy again at once, in the same zone
//      first, else the other zones by spot price;
//   4. until the work is done; then give the instance back.
// The clock moves in steps no longer than the notice, so every preemption is
// seen through its notice, as a controller would see it.
//
// Callers: bench/spot_replay_bench.cc and its test. Thread-safety: a run owns
// its cloud and clock; separate runs are independent.
#pragma once

#include <string>
#include <vector>

#include "catalog/offer.h"
#include "common/status.h"
#include "drivers/simcloud/simcloud_config.h"

namespace skyrun::bench {

struct ReplayOptions {
  double work_hours = 20;
  bool spot = true;
  double preemption_rate_per_hour = 0.1;  // per spot instance-hour (SimCloud's seeded process)
  uint64_t seed = 1;
  double checkpoint_interval_minutes = 30;
  double restart_overhead_minutes = 10;
  int64_t launch_delay_seconds = 120;  // not billed (SimCloud bills from ready)
  int64_t notice_seconds = 120;
  // Recorded preemptions (instance, seconds from the start) instead of the
  // seeded process, for tests: SimCloud's preemption.recorded.
  std::vector<SimRecordedPreemption> recorded;
  // Configured capacity refusals (SimCloud's errors), to exercise the move to another zone.
  std::vector<SimErrorRule> errors;
};

struct ReplayResult {
  double cost_usd = 0;      // the sum of SimCloud's billing records
  double wall_hours = 0;    // from the first request to the end of the work
  double billed_hours = 0;  // instance-hours billed
  int preemptions = 0;
  int zone_moves = 0;  // restarts that had to leave the preempted zone
  double lost_work_hours = 0;
  std::vector<std::string> zones;  // where each attempt ran, in order
};

// Runs the job on a SimCloud over `offers` (one instance type, one region,
// several zones). InvalidArgument for offers that cannot host the run (none,
// or no spot price with spot asked).
Result<ReplayResult> ReplayTraining(const std::vector<Offer>& offers, const ReplayOptions& options);

}  // namespace skyrun::bench
