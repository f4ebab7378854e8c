#include "spot_replay.h"

#include <algorithm>
#include <cmath>

#include "common/clock.h"
#include "drivers/simcloud/sim_cloud.h"

namespace skyrun::bench {

namespace {

constexpr Micros kStart = 1'800'000'000LL * kMicrosPerSecond;

Micros MinutesToMicros(double minutes) {
  return static_cast<Micros>(std::llround(minutes * 60.0 * static_cast<double>(kMicrosPerSecond)));
}

// Zones in the order a restart tries them: `first` (if given), then by price.
std::vector<std::string> ZoneOrder(const std::vector<Offer>& offers, bool spot, const std::string& first) {
  std::vector<const Offer*> sorted;
  for (const Offer& o : offers)
    if (!spot || o.spot_price) sorted.push_back(&o);
  std::stable_sort(sorted.begin(), sorted.end(), [&](const Offer* a, const Offer* b) {
    return (spot ? *a->spot_price : a->price) < (spot ? *b->spot_price : b->price);
  });
  std::vector<std::string> zones;
  if (!first.empty()) zones.push_back(first);
  for (const Offer* o : sorted)
    if (o->zone != first) zones.push_back(o->zone);
  return zones;
}

}  // namespace

Result<ReplayResult> ReplayTraining(const std::vector<Offer>& offers, const ReplayOptions& options) {
  if (offers.empty()) return InvalidArgument("the replay needs at least one offer");
  const std::string type = offers.front().instance_type;
  SimCloudConfig config;
  config.name = "replay";
  config.offers = offers;
  config.launch_delay_seconds = options.launch_delay_seconds;
  config.preemption.rate_per_hour = options.spot ? options.preemption_rate_per_hour : 0;
  config.preemption.seed = options.seed;
  config.preemption.notice_seconds = options.notice_seconds;
  config.preemption.recorded = options.recorded;
  config.errors = options.errors;
  SimulatedClock clock(kStart);
  SKYRUN_ASSIGN_OR_RETURN(std::unique_ptr<SimCloud> cloud, SimCloud::Create(config, clock));
  if (ZoneOrder(offers, options.spot, "").empty())
    return InvalidArgument("no offer of " + type + " has a spot price");

  const Micros work = MinutesToMicros(options.work_hours * 60);
  const Micros interval =
      std::max<Micros>(kMicrosPerSecond, MinutesToMicros(options.checkpoint_interval_minutes));
  const Micros overhead = MinutesToMicros(options.restart_overhead_minutes);
  // The step is shorter than the notice, so no preemption passes unseen.
  const Micros step = std::max<Micros>(kMicrosPerSecond, options.notice_seconds * kMicrosPerSecond / 2);

  ReplayResult result;
  Micros saved = 0;  // work in the last checkpoint
  std::string zone;  // where the last attempt ran
  bool first = true;
  while (true) {
    // Buy: the same zone first, else the others by price.
    std::optional<Instance> bought;
    std::string last_error;
    for (const std::string& z : ZoneOrder(offers, options.spot, zone)) {
      ProvisionRequest req;
      req.provider = offers.front().provider;
      req.region = offers.front().region;
      req.zone = z;
      req.instance_type = type;
      req.spot = options.spot;
      ProvisionOutcome out = cloud->Provision(req);
      if (out.ok()) {
        bought = out.instances.front();
        break;
      }
      last_error = out.error->message;
    }
    if (!bought) return Status(StatusCode::kUnavailable, "every zone refused the instance: " + last_error);
    if (!zone.empty() && bought->offer.zone != zone) ++result.zone_moves;
    zone = bought->offer.zone;
    result.zones.push_back(zone);

    const Micros work_start = bought->ready_at + (first ? 0 : overhead);
    first = false;
    const Micros done_at = work_start + (work - saved);
    // Follow the instance until the work is done or it is reclaimed.
    std::optional<Micros> reclaimed;
    while (clock.Now() < done_at) {
      clock.Set(std::min(done_at, clock.Now() + step));
      SKYRUN_ASSIGN_OR_RETURN(Instance seen, cloud->Get(bought->id));
      if (seen.preempt_at > 0 && seen.preempt_at < done_at) {
        reclaimed = seen.preempt_at;
        break;
      }
    }
    if (!reclaimed) {
      SKYRUN_RETURN_IF_ERROR(cloud->Terminate(bought->id));
      break;
    }
    clock.Set(std::max(clock.Now(), *reclaimed));
    ++result.preemptions;
    const Micros progress = saved + std::max<Micros>(0, *reclaimed - work_start);
    const Micros checkpointed = std::max(saved, (progress / interval) * interval);
    result.lost_work_hours +=
        static_cast<double>(progress - checkpointed) / static_cast<double>(kMicrosPerHour);
    saved = checkpointed;
  }
  result.wall_hours = static_cast<double>(clock.Now() - kStart) / static_cast<double>(kMicrosPerHour);
  for (const BillingRecord& r : cloud->Billing()) {
    result.cost_usd += r.cost_usd;
    result.billed_hours += static_cast<double>(r.end - r.start) / static_cast<double>(kMicrosPerHour);
  }
  return result;
}

}  // namespace skyrun::bench
