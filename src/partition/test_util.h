// Test helpers for src/partition: random small instances and brute-force
// optima to compare the algorithms against. Test-only.
#pragma once

#include <string>
#include <vector>

#include "common/rng.h"
#include "partition/instance.h"
#include "partition/load.h"
#include "partition/profile.h"

namespace skyrun::partition::testing {

struct RandomSpec {
  int units = 10;
  int devices = 4;
  bool links = false;
  bool tight_memory = false;  // caps near the average need, so memory binds often
};

ModelProfile RandomModel(Rng& rng, int units);
DeviceSet RandomDevices(Rng& rng, const ModelProfile& model, const RandomSpec& spec);
Instance RandomInstance(Rng& rng, const RandomSpec& spec);

// Least bottleneck over all splits in `order` (kInfiniteLoad if none fits):
// compute only, or with links when `with_links`.
Load BruteForceBottleneck(const Instance& in, const std::vector<int>& order, bool allow_idle,
                          bool with_links);
// Least total compute load among splits whose stages are all <= bound (no links).
Load BruteForceMinSum(const Instance& in, const std::vector<int>& order, bool allow_idle, Load bound);
// Least bottleneck over all orders and splits.
Load BruteForceFreeOrder(const Instance& in, bool allow_idle, bool with_links);

// The folder of this module's test data: $SKYRUN_SOURCE_DIR/tests/partition.
std::string TestDataDir();
std::string ReadTestFile(const std::string& name);

}  // namespace skyrun::partition::testing
