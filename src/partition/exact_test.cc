// The exact algorithms against brute force on hundreds of small random
// instances (up to 6 devices x 14 units), with and without links, idle
// devices allowed or not, memory loose or tight.
#include <gtest/gtest.h>

#include "partition/allocator.h"
#include "partition/feasibility.h"
#include "partition/test_util.h"

namespace skyrun::partition {
namespace {

using testing::BruteForceBottleneck;
using testing::BruteForceMinSum;
using testing::RandomInstance;
using testing::RandomSpec;

// A well-formed split that keeps memory and whose loads are as claimed.
void ExpectValid(const Instance& in, const AllocResult& r, bool allow_idle) {
  ASSERT_TRUE(r.has_assignment);
  ASSERT_TRUE(IsWellFormed(in, r.assignment));
  EXPECT_EQ(MemoryViolation(in, r.assignment), "");
  if (!allow_idle) {
    for (int p = 0; p < r.assignment.positions(); ++p)
      EXPECT_FALSE(r.assignment.empty(p)) << "position " << p;
  }
}

struct Case {
  int devices, units;
  bool idle, tight;
};

class PartitionExactVsBruteForce : public ::testing::TestWithParam<Case> {};

TEST_P(PartitionExactVsBruteForce, ComputeOnlyEqualsBruteForceOptimum) {
  const Case c = GetParam();
  Rng rng(1000 + c.devices * 31 + c.units + (c.idle ? 7 : 0) + (c.tight ? 13 : 0));
  AllocOptions options;
  options.allow_idle = c.idle;
  int feasible = 0;
  for (int trial = 0; trial < 60; ++trial) {
    RandomSpec spec{static_cast<int>(rng.UniformInt(2, c.units)),
                    static_cast<int>(rng.UniformInt(1, c.devices)), false, c.tight};
    Instance in = RandomInstance(rng, spec);
    std::vector<int> order = IdentityOrder(in.devices());
    Load brute = BruteForceBottleneck(in, order, c.idle, false);
    AllocResult r = AllocateExact(in, order, options);
    if (brute >= kInfiniteLoad) {
      EXPECT_FALSE(r.feasible) << "trial " << trial;
      EXPECT_FALSE(r.reason.empty());
      continue;
    }
    ++feasible;
    ASSERT_TRUE(r.feasible) << "trial " << trial << ": " << r.reason;
    ExpectValid(in, r, c.idle);
    Evaluation e = Evaluate(in, r.assignment, 1);
    EXPECT_EQ(LoadToString(e.max_load), LoadToString(brute)) << "trial " << trial;
    // Among the optimal splits, exact keeps the least total load.
    EXPECT_EQ(LoadToString(e.sum_load), LoadToString(BruteForceMinSum(in, order, c.idle, brute)))
        << "trial " << trial;
    // The comm DP without links agrees.
    auto comm = ExactCommBottleneck(in, order, c.idle);
    ASSERT_TRUE(comm.has_value());
    EXPECT_EQ(LoadToString(*comm), LoadToString(brute));
  }
  EXPECT_GT(feasible, 10);
}

TEST_P(PartitionExactVsBruteForce, WithLinksEqualsBruteForceOptimum) {
  const Case c = GetParam();
  Rng rng(5000 + c.devices * 31 + c.units + (c.idle ? 7 : 0) + (c.tight ? 13 : 0));
  AllocOptions options;
  options.allow_idle = c.idle;
  int feasible = 0, link_bound = 0;
  for (int trial = 0; trial < 60; ++trial) {
    RandomSpec spec{static_cast<int>(rng.UniformInt(2, c.units)),
                    static_cast<int>(rng.UniformInt(1, c.devices)), true, c.tight};
    Instance in = RandomInstance(rng, spec);
    std::vector<int> order = IdentityOrder(in.devices());
    Load brute = BruteForceBottleneck(in, order, c.idle, true);
    AllocResult r = AllocateExactComm(in, order, options);
    if (brute >= kInfiniteLoad) {
      EXPECT_FALSE(r.feasible);
      continue;
    }
    ++feasible;
    ASSERT_TRUE(r.feasible) << r.reason;
    ExpectValid(in, r, c.idle);
    Evaluation e = Evaluate(in, r.assignment, 1);
    EXPECT_EQ(LoadToString(e.bottleneck), LoadToString(brute)) << "trial " << trial;
    if (e.max_link > e.max_load) ++link_bound;
    // The feasibility test agrees with the optimum on both sides.
    EXPECT_TRUE(FeasibleWithLinksAt(in, order, brute, c.idle));
    if (brute > 0) {
      EXPECT_FALSE(FeasibleWithLinksAt(in, order, brute - 1, c.idle));
    }
  }
  EXPECT_GT(feasible, 10);
  if (c.devices > 1) {
    EXPECT_GT(link_bound, 0) << "links never mattered: the test instances are too easy";
  }
}

INSTANTIATE_TEST_SUITE_P(PartitionSizes, PartitionExactVsBruteForce,
                         ::testing::Values(Case{2, 8, true, false}, Case{3, 10, true, true},
                                           Case{4, 12, true, false}, Case{4, 12, false, true},
                                           Case{5, 13, false, false}, Case{6, 14, true, true},
                                           Case{6, 14, false, false}, Case{6, 14, true, false}),
                         // Stable names: the default prints the struct's bytes, padding included.
                         [](const ::testing::TestParamInfo<Case>& info) {
                           const Case& c = info.param;
                           return std::to_string(c.devices) + "x" + std::to_string(c.units) +
                                  (c.idle ? "_idle" : "_busy") + (c.tight ? "_tight" : "_loose");
                         });

TEST(PartitionExactTest, RandomOrdersToo) {
  Rng rng(77);
  AllocOptions options;
  for (int trial = 0; trial < 100; ++trial) {
    Instance in = RandomInstance(rng, {12, 5, false, true});
    std::vector<int> order = IdentityOrder(in.devices());
    std::shuffle(order.begin(), order.end(), rng.engine());
    Load brute = BruteForceBottleneck(in, order, true, false);
    auto best = ExactBottleneck(in, order, true);
    if (brute >= kInfiniteLoad) {
      EXPECT_FALSE(best.has_value());
      continue;
    }
    ASSERT_TRUE(best.has_value());
    EXPECT_EQ(LoadToString(*best), LoadToString(brute));
    AllocResult r = AllocateExact(in, order, options);
    ASSERT_TRUE(r.feasible);
    EXPECT_EQ(r.assignment.order, order);
  }
}

TEST(PartitionExactTest, InfeasibleNamesTheDevice) {
  ModelProfile model{"m", {}};
  for (int u = 0; u < 4; ++u) model.units.push_back({"u" + std::to_string(u), 10, 20, 0, 0, 0, 3 << 20});
  DeviceSet set;
  set.devices = {{"small", 1000, 5, {}, {}}, {"tiny", 1000, 4, {}, {}}};
  auto in = Instance::Build(model, set);
  ASSERT_TRUE(in.ok());
  AllocResult r = AllocateExact(*in, IdentityOrder(2), {});
  EXPECT_FALSE(r.feasible);
  EXPECT_EQ(r.blocking_device, "tiny");
  EXPECT_NE(r.reason.find("memory runs out"), std::string::npos) << r.reason;

  set.devices = {{"small", 1000, 2, {}, {}}, {"tiny", 1000, 1, {}, {}}};
  auto in2 = Instance::Build(model, set);
  ASSERT_TRUE(in2.ok());
  AllocResult r2 = AllocateExactComm(*in2, IdentityOrder(2), {});
  EXPECT_FALSE(r2.feasible);
  EXPECT_EQ(r2.blocking_device, "small");  // the largest device cannot hold a single unit
  EXPECT_NE(r2.reason.find("no device can hold it"), std::string::npos) << r2.reason;
}

TEST(PartitionExactTest, NoIdleNeedsAUnitPerDevice) {
  ModelProfile model{"m", {{"a", 1, 1, 0, 0, 0, 0}, {"b", 1, 1, 0, 0, 0, 0}}};
  DeviceSet set;
  set.devices = {{"x", 1000, 1, {}, {}}, {"y", 1000, 1, {}, {}}, {"z", 1000, 1, {}, {}}};
  auto in = Instance::Build(model, set);
  ASSERT_TRUE(in.ok());
  AllocOptions no_idle;
  no_idle.allow_idle = false;
  AllocResult r = AllocateExact(*in, IdentityOrder(3), no_idle);
  EXPECT_FALSE(r.feasible);
  EXPECT_NE(r.reason.find("at least one unit"), std::string::npos) << r.reason;
  EXPECT_TRUE(AllocateExact(*in, IdentityOrder(3), {}).feasible);
}

}  // namespace
}  // namespace skyrun::partition
