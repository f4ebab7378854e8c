// Free device order: never worse than the given order, never better than the
// brute-force best order, and it routes around a slow link.
#include <gtest/gtest.h>

#include "partition/allocator.h"
#include "partition/lower_bound.h"
#include "partition/test_util.h"

namespace skyrun::partition {
namespace {

TEST(PartitionOrderingTest, BetweenBruteForceAndTheGivenOrder) {
  Rng rng(31337);
  int improved = 0, optimal = 0, checked = 0;
  for (int trial = 0; trial < 80; ++trial) {
    bool links = trial % 2 == 1;
    Instance in = testing::RandomInstance(
        rng, {static_cast<int>(rng.UniformInt(3, 9)), static_cast<int>(rng.UniformInt(2, 5)), links, true});
    Load free_best = testing::BruteForceFreeOrder(in, true, links);
    std::vector<int> order = IdentityOrder(in.devices());
    auto given = links ? ExactCommBottleneck(in, order, true) : ExactBottleneck(in, order, true);
    AllocOptions options;
    options.seed = static_cast<uint64_t>(trial);
    AllocResult r = AllocateOrdered(in, options);
    if (free_best >= kInfiniteLoad) {
      EXPECT_FALSE(r.feasible);
      continue;
    }
    ASSERT_TRUE(r.feasible) << "trial " << trial << ": " << r.reason;
    ASSERT_TRUE(IsWellFormed(in, r.assignment));
    EXPECT_EQ(MemoryViolation(in, r.assignment), "");
    Load got = Evaluate(in, r.assignment, 1).bottleneck;
    EXPECT_GE(got, free_best) << "trial " << trial;
    if (given) {
      EXPECT_LE(got, *given) << "trial " << trial;
      if (got < *given) ++improved;
    }
    EXPECT_GE(got, ComputeLowerBound(in).value);
    ++checked;
    if (got == free_best) ++optimal;
  }
  EXPECT_GT(checked, 40);
  EXPECT_GT(improved, 0);
  EXPECT_GT(optimal, checked / 2);
}

TEST(PartitionOrderingTest, RoutesAroundASlowLink) {
  ModelProfile model{"m", {}};
  for (int u = 0; u < 40; ++u) model.units.push_back({"u" + std::to_string(u), 1000, 2000, 0, 0, 10'000, 0});
  DeviceSet set;
  for (int d = 0; d < 4; ++d) {
    set.devices.push_back({"d" + std::to_string(d), 1000, 1000, 100'000'000'000, 1'000});
  }
  set.links.push_back({0, 1, 1'000'000, 1'000'000});  // 1 Mbit/s between d0 and d1
  set.ref_flops_per_second = 1'000'000'000;
  auto in = Instance::Build(model, set);
  ASSERT_TRUE(in.ok());
  Load given = *ExactCommBottleneck(*in, IdentityOrder(4), true);
  AllocResult r = AllocateOrdered(*in, {});
  ASSERT_TRUE(r.feasible);
  Evaluation e = Evaluate(*in, r.assignment, 1);
  EXPECT_LT(e.bottleneck, given);
  // d0 and d1 are not neighbours in the pipeline (or one of them sits idle).
  std::vector<int> stages;
  for (int p = 0; p < r.assignment.positions(); ++p)
    if (!r.assignment.empty(p)) stages.push_back(r.assignment.order[p]);
  for (size_t i = 0; i + 1 < stages.size(); ++i) {
    bool slow = (stages[i] == 0 && stages[i + 1] == 1) || (stages[i] == 1 && stages[i + 1] == 0);
    EXPECT_FALSE(slow);
  }
}

}  // namespace
}  // namespace skyrun::partition
