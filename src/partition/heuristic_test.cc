// The two-phase heuristic: never above even, never over memory, and its
// give-back step fires (the released code's never can).
#include <gtest/gtest.h>

#include "partition/allocator.h"
#include "partition/test_util.h"

namespace skyrun::partition {
namespace {

using testing::RandomInstance;

Instance Build(const std::vector<int64_t>& flops, const std::vector<int64_t>& slowness,
               const std::vector<int64_t>& mem_mib_per_unit = {}, const std::vector<int64_t>& caps = {}) {
  ModelProfile model{"m", {}};
  for (size_t u = 0; u < flops.size(); ++u) {
    int64_t mem = mem_mib_per_unit.empty() ? 0 : mem_mib_per_unit[u] << 20;
    model.units.push_back({"u" + std::to_string(u), flops[u], 0, 0, 0, 0, mem});
  }
  DeviceSet set;
  for (size_t d = 0; d < slowness.size(); ++d) {
    set.devices.push_back({"d" + std::to_string(d), slowness[d], caps.empty() ? 1 << 20 : caps[d], {}, {}});
  }
  auto in = Instance::Build(model, set);
  EXPECT_TRUE(in.ok()) << in.status().ToString();
  return std::move(in).value();
}

TEST(PartitionHeuristicTest, GiveBackStepFires) {
  // Even puts units 0-1 (load 11) on d0 and 2-3 (load 2) on d1. The mean is 6;
  // d0 is more than its last unit above it and d1 is below: d0 gives unit 1 back.
  Instance in = Build({10, 1, 1, 1}, {1000, 1000});
  AllocResult r = AllocateHeuristic(in, IdentityOrder(2), {});
  ASSERT_TRUE(r.feasible);
  EXPECT_GE(r.give_back_moves, 1);
  EXPECT_EQ(r.assignment.cuts, (std::vector<int>{0, 1, 4}));
  Evaluation e = Evaluate(in, r.assignment, 1);
  EXPECT_EQ(LoadToString(e.max_load), "10000");  // 10 FLOPs x slowness 1 (x1000)
}

TEST(PartitionHeuristicTest, TakeStepMovesWorkToTheFasterDevice) {
  // d0 is 4x faster than d1: it should take units from d1.
  Instance in = Build({5, 5, 5, 5, 5, 5, 5, 5}, {1000, 4000});
  AllocResult r = AllocateHeuristic(in, IdentityOrder(2), {});
  ASSERT_TRUE(r.feasible);
  EXPECT_GT(r.take_moves, 0);
  Evaluation e = Evaluate(in, r.assignment, 1);
  Evaluation even = Evaluate(in, AllocateEven(in, IdentityOrder(2), {}).assignment, 1);
  EXPECT_LT(e.max_load, even.max_load);
  // The optimum: 6 units on d0 (30 x 1) vs 2 on d1 (10 x 4 = 40) -> 40; or 7/1 -> 35 vs 20 -> 35.
  EXPECT_EQ(LoadToString(e.max_load), "35000");
}

TEST(PartitionHeuristicTest, RespectsMemoryWhenTaking) {
  // d0 is fast but can hold only 3 units of 1 MiB.
  Instance in = Build({5, 5, 5, 5, 5, 5}, {1000, 5000}, {1, 1, 1, 1, 1, 1}, {3, 100});
  AllocResult r = AllocateHeuristic(in, IdentityOrder(2), {});
  ASSERT_TRUE(r.feasible);
  EXPECT_EQ(MemoryViolation(in, r.assignment), "");
  EXPECT_EQ(r.assignment.cuts[1], 3);
}

TEST(PartitionHeuristicTest, PreAllocatesByMemoryWhenEvenDoesNotFit) {
  // Even (3 + 3 units of 2 MiB) does not fit d0's 4 MiB.
  Instance in = Build({1, 1, 1, 1, 1, 1}, {1000, 1000}, {2, 2, 2, 2, 2, 2}, {4, 100});
  AllocResult even = AllocateEven(in, IdentityOrder(2), {});
  EXPECT_FALSE(even.feasible);
  EXPECT_EQ(even.blocking_device, "d0");
  AllocResult r = AllocateHeuristic(in, IdentityOrder(2), {});
  ASSERT_TRUE(r.feasible) << r.reason;
  EXPECT_EQ(MemoryViolation(in, r.assignment), "");
}

TEST(PartitionHeuristicTest, NeverWorseThanEvenAndNeverOverMemory) {
  Rng rng(4242);
  int even_feasible = 0, strictly_better = 0;
  for (int trial = 0; trial < 400; ++trial) {
    int devices = static_cast<int>(rng.UniformInt(1, 12));
    int units = static_cast<int>(rng.UniformInt(devices, 60));
    Instance in = RandomInstance(rng, {units, devices, false, trial % 2 == 0});
    std::vector<int> order = IdentityOrder(devices);
    AllocOptions options;
    options.allow_idle = trial % 3 != 0;
    AllocResult h = AllocateHeuristic(in, order, options);
    AllocResult even = AllocateEven(in, order, options);
    AllocResult exact = AllocateExact(in, order, options);
    EXPECT_EQ(h.feasible, exact.feasible) << "trial " << trial << ": " << h.reason;
    if (!h.feasible) continue;
    EXPECT_EQ(MemoryViolation(in, h.assignment), "") << "trial " << trial;
    Load hl = Evaluate(in, h.assignment, 1).max_load;
    EXPECT_LE(Evaluate(in, exact.assignment, 1).max_load, hl) << "trial " << trial;
    if (!options.allow_idle) {
      for (int p = 0; p < devices; ++p) EXPECT_FALSE(h.assignment.empty(p));
    }
    if (even.feasible) {
      ++even_feasible;
      Load el = Evaluate(in, even.assignment, 1).max_load;
      EXPECT_LE(hl, el) << "trial " << trial;
      if (hl < el) ++strictly_better;
    }
  }
  EXPECT_GT(even_feasible, 100);
  EXPECT_GT(strictly_better, 50);
}

}  // namespace
}  // namespace skyrun::partition
