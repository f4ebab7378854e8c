// SimCloudConfig: a simulated public cloud as the server config declares it
// (one entry of its `simcloud:` list; docs/simcloud.md has every key and an
// example), and the parser for that entry. server/config.cc calls the parser;
// SimCloud (sim_cloud.h) and SimCloudDriver (simcloud_driver.h) take the result.
//
// Times in the config ("at_seconds") count from the simulation's start: the
// moment the SimCloud is created (the server's start, or a test's clock).
// Thread-safety: plain values; the parser is a pure function.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/offer.h"
#include "common/status.h"
#include "drivers/capacity.h"

namespace skyrun {

// A zone's capacity: how many instances of each type it can hold at once
// (types not listed: no limit) and how many GPUs in all (absent: no limit).
struct SimZoneConfig {
  std::string name;
  std::map<std::string, int64_t> instances;
  std::optional<int64_t> gpus;
};

// "The zone (or region, or provider) refuses the first K requests with a
// capacity (or quota) error": how failover is exercised. Exactly one of
// zone, region, provider is set, and it is the error's scope.
struct SimErrorRule {
  ProvisionErrorKind kind = ProvisionErrorKind::kCapacity;
  FailureScope scope = FailureScope::kZone;
  std::string target;  // the zone, region or provider name
  int64_t refuse_first = 1;
};

// An account limit over all instances held (not gone) in a region or provider.
struct SimQuota {
  FailureScope scope = FailureScope::kRegion;  // kRegion or kProvider
  std::string target;
  std::optional<int64_t> max_instances;
  std::optional<int64_t> max_gpus;
};

// One recorded preemption: instance `instance` ("i-0002") is reclaimed
// `at_seconds` after the simulation's start, or after_ready_seconds after it
// became ready (its notice comes notice_seconds earlier). Recorded preemptions hit on-demand instances too,
// as a node loss.
struct SimRecordedPreemption {
  std::string instance;
  int64_t at_seconds = 0;
  // Set: reclaimed this long after the instance became ready instead (for
  // instances bought while the simulation runs, at times nobody can predict).
  std::optional<int64_t> after_ready_seconds;
};

struct SimPreemptionConfig {
  // Each spot instance is reclaimed after an exponential time with this rate
  // (per instance-hour of running); 0 = never. Drawn from `seed` and the
  // instance's number, so a run replays exactly whatever else happens.
  double rate_per_hour = 0;
  uint64_t seed = 1;
  int64_t notice_seconds = 120;  // AWS gives two minutes
  std::vector<SimRecordedPreemption> recorded;
};

// A recorded spot price: from at_seconds on, the spot price of instance_type
// (in `zone`, or in every zone when empty) is spot_price USD per hour.
struct SimPricePoint {
  std::string instance_type;
  std::string zone;
  int64_t at_seconds = 0;
  double spot_price = 0;
};

// Instances bought when the driver starts (so a job can run on simcloud
// before any provisioner exists).
struct SimPreprovision {
  std::string instance_type;
  std::string zone;  // or region; one of them must be set
  std::string region;
  int64_t count = 1;
  bool spot = false;
};

struct SimCloudConfig {
  std::string name = "sim";  // the backend is "simcloud/<name>"
  std::vector<Offer> offers;
  std::vector<SimZoneConfig> zones;  // zones not listed (but in offers) have no capacity limit
  int64_t launch_delay_seconds = 0;  // from Provision to a usable node
  std::vector<SimErrorRule> errors;
  std::vector<SimQuota> quotas;
  SimPreemptionConfig preemption;
  std::vector<SimPricePoint> spot_prices;
  std::vector<SimPreprovision> provision;
  // Not from the YAML: where the server keeps this cloud's books
  // (STATE/simcloud/<name>.json; sim_books.h), so that a restart continues
  // them. "" = in memory only (tests, `skyrun plan`).
  std::string books_path;
  int64_t inventory_interval_ms = 1000;  // how often the controller reads the instances again
};

// Reads one entry of the server config's `simcloud:` list. Messages read
// "FILE:LINE:COL: PATH.KEY: what is wrong". Refuses unknown keys (with a
// suggestion), wrong types, negative counts, prices and delays, an error
// rule or quota that names no (or several) targets or one no offer has, a
// pre-provisioned or priced instance type no offer has, and a missing name.
Result<SimCloudConfig> ParseSimCloudConfig(const YAML::Node& node, const std::string& file,
                                           const std::string& path);

// Checks the cross references of a config built in code (tests) the same way.
Status ValidateSimCloudConfig(const SimCloudConfig& config);

}  // namespace skyrun
