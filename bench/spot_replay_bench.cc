// spot_replay_bench: SkyPilot's published BERT fine-tuning figure replayed on
// simcloud. SkyPilot reports the run on one V100 costing $61.2 on demand
// (20 h) and $18.4 on managed spot (21 h, with preemptions), "3x" cheaper.
// Here the same 20 h of work runs on a SimCloud (bench/spot_replay.h) selling
// the built-in catalog's AWS p3.2xlarge (1 x V100) rows of one region, on
// demand and on spot with checkpoint recovery, over several seeds of the
// preemption process; both are billed from SimCloud's per-second billing.
//
// Usage: spot_replay_bench [--catalog DIR] [--region us-east-1] [--seeds 10]
//          [--rate 0.1] [--checkpoint-minutes 30] [--restart-minutes 10]
//          [--work-hours 20] [--spot-price USD]
// --spot-price replaces every zone's spot price (e.g. 0.876, the hourly price
// SkyPilot's $18.4 over 21 h implies) to separate the price from the recovery.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "spot_replay.h"

namespace {

using namespace skyrun;

struct Stats {
  std::vector<double> values;
  double Mean() const {
    double s = 0;
    for (double v : values) s += v;
    return values.empty() ? 0 : s / static_cast<double>(values.size());
  }
  double Min() const { return values.empty() ? 0 : *std::min_element(values.begin(), values.end()); }
  double Max() const { return values.empty() ? 0 : *std::max_element(values.begin(), values.end()); }
};

int Usage(const char* why) {
  std::fprintf(
      stderr,
      "error: %s\nusage: spot_replay_bench [--catalog DIR] [--region R] [--seeds N] [--rate PER_HOUR]\n"
      "         [--checkpoint-minutes M] [--restart-minutes M] [--work-hours H]\n"
      "         [--spot-price USD]\n",
      why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string catalog_dir = SKYRUN_BENCH_CATALOG_DIR;
  std::string region = "us-east-1";
  int seeds = 10;
  double spot_price = 0;  // 0 = the catalog's
  bench::ReplayOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return Usage(("missing the value of " + flag).c_str());
    const char* value = argv[++i];
    char* end = nullptr;
    const double number = std::strtod(value, &end);
    const bool numeric = end && *end == '\0' && end != value && number >= 0;
    if (flag == "--catalog") {
      catalog_dir = value;
    } else if (flag == "--region") {
      region = value;
    } else if (!numeric) {
      return Usage((flag + " wants a number >= 0, not '" + value + "'").c_str());
    } else if (flag == "--seeds" && number >= 1 && number <= 1000) {
      seeds = static_cast<int>(number);
    } else if (flag == "--rate") {
      options.preemption_rate_per_hour = number;
    } else if (flag == "--checkpoint-minutes" && number > 0) {
      options.checkpoint_interval_minutes = number;
    } else if (flag == "--restart-minutes") {
      options.restart_overhead_minutes = number;
    } else if (flag == "--spot-price" && number > 0) {
      spot_price = number;
    } else if (flag == "--work-hours" && number > 0 && number <= 1000) {
      options.work_hours = number;
    } else {
      return Usage(("unknown flag or value out of range: " + flag + " " + value).c_str());
    }
  }

  auto catalog = Catalog::LoadDir(catalog_dir);
  if (!catalog.ok()) {
    std::fprintf(stderr, "error: %s\n", catalog.status().message().c_str());
    return 1;
  }
  std::vector<Offer> offers;
  for (const Offer& o : catalog->offers())
    if (o.provider == "aws" && o.region == region && o.instance_type == "p3.2xlarge") offers.push_back(o);
  if (offers.empty()) {
    std::fprintf(stderr, "error: the catalog has no aws p3.2xlarge in %s\n", region.c_str());
    return 1;
  }
  std::printf("Catalog rows (aws.csv, p3.2xlarge = 1 x V100 16 GB, 8 vCPUs, 61 GiB), region %s:\n",
              region.c_str());
  for (const Offer& o : offers) {
    if (o.spot_price)
      std::printf("  %-10s on demand $%.4f/h  spot $%.4f/h\n", o.zone.c_str(), o.price, *o.spot_price);
    else
      std::printf("  %-10s on demand $%.4f/h  spot -\n", o.zone.c_str(), o.price);
  }
  if (spot_price > 0) {
    for (Offer& o : offers)
      if (o.spot_price) o.spot_price = spot_price;
    std::printf("Spot price replaced by $%.4f/h in every zone that sells spot (--spot-price)\n", spot_price);
  }
  std::printf(
      "Work %.1f h; spot: preemption rate %.3f per instance-hour (exponential, seeded), notice %llds, "
      "checkpoint every %.0f min, restart overhead %.0f min, launch delay %llds (not billed)\n\n",
      options.work_hours, options.preemption_rate_per_hour, static_cast<long long>(options.notice_seconds),
      options.checkpoint_interval_minutes, options.restart_overhead_minutes,
      static_cast<long long>(options.launch_delay_seconds));

  bench::ReplayOptions on_demand = options;
  on_demand.spot = false;
  auto od = bench::ReplayTraining(offers, on_demand);
  if (!od.ok()) {
    std::fprintf(stderr, "error: %s\n", od.status().message().c_str());
    return 1;
  }
  std::printf("on demand          cost $%7.2f  wall %5.2f h\n", od->cost_usd, od->wall_hours);

  Stats cost, wall, preemptions, lost, ratio;
  for (int seed = 1; seed <= seeds; ++seed) {
    bench::ReplayOptions spot = options;
    spot.seed = static_cast<uint64_t>(seed);
    auto r = bench::ReplayTraining(offers, spot);
    if (!r.ok()) {
      std::fprintf(stderr, "error: seed %d: %s\n", seed, r.status().message().c_str());
      return 1;
    }
    std::printf(
        "spot seed %-3d      cost $%7.2f  wall %5.2f h  preemptions %d  lost work %.2f h  zones %s..%s\n",
        seed, r->cost_usd, r->wall_hours, r->preemptions, r->lost_work_hours, r->zones.front().c_str(),
        r->zones.back().c_str());
    cost.values.push_back(r->cost_usd);
    wall.values.push_back(r->wall_hours);
    preemptions.values.push_back(r->preemptions);
    lost.values.push_back(r->lost_work_hours);
    ratio.values.push_back(od->cost_usd / r->cost_usd);
  }
  std::printf(
      "\nspot over %d seeds: cost $%.2f (range $%.2f..$%.2f), wall %.2f h (%.2f..%.2f), "
      "preemptions %.1f (%.0f..%.0f), lost work %.2f h\n",
      seeds, cost.Mean(), cost.Min(), cost.Max(), wall.Mean(), wall.Min(), wall.Max(), preemptions.Mean(),
      preemptions.Min(), preemptions.Max(), lost.Mean());
  std::printf("on demand / spot cost: %.2fx (range %.2fx..%.2fx)\n", od->cost_usd / cost.Mean(), ratio.Min(),
              ratio.Max());
  std::printf("SkyPilot (published): on demand $61.2 (20 h), managed spot $18.4 (21 h): %.2fx\n",
              61.2 / 18.4);
  return 0;
}
