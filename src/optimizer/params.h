// The optimizer's model constants: link bandwidths for transfer times and the
// spot model's checkpoint interval, restart overhead, default revocation rate
// and refund rule. docs/optimizer.md gives the formulas they feed. Defaults
// are stated assumptions, not measurements; callers may override any field.
// Thread-safety: plain values.
#pragma once

#include <string>
#include <vector>

namespace skyrun {

// Expected revocations per spot instance-hour when the directory has no live
// figure: one in 20 hours, the order SkyPilot's BERT example saw (a 21 h spot
// run with a few preemptions).
inline constexpr double kDefaultSpotPreemptionsPerHour = 0.05;

struct LinkBandwidth {
  double same_region_gbps = 10;    // within one region (or one cluster)
  double same_provider_gbps = 2;   // between regions of one provider
  double cross_provider_gbps = 1;  // over the internet, to another provider or a cluster
};

struct SpotParams {
  double default_preemptions_per_hour = kDefaultSpotPreemptionsPerHour;
  // Work is saved this often by a job that checkpoints (spec checkpoint.dir);
  // a job without one loses everything on a revocation.
  double checkpoint_interval_hours = 0.5;
  // A new instance's boot, setup and checkpoint restore after a revocation.
  double restart_overhead_hours = 0.1;
  // Providers that do not bill a spot instance they revoke in its first hour
  // (EC2: "If Amazon EC2 interrupts your Spot Instance in the first hour, you
  // are not charged"; the case SpotTune's E[cost] = (1 - p) x price models).
  std::vector<std::string> refund_first_hour_providers = {"aws"};
};

struct OptimizerParams {
  LinkBandwidth bandwidth;
  SpotParams spot;
};

}  // namespace skyrun
