// The lower bound never exceeds the best split in any order, and is tight
// where the relaxation loses nothing.
#include "partition/lower_bound.h"

#include <gtest/gtest.h>

#include "partition/allocator.h"
#include "partition/test_util.h"

namespace skyrun::partition {
namespace {

TEST(PartitionLowerBoundTest, NeverAboveTheFreeOrderOptimum) {
  Rng rng(99);
  int checked = 0, tight = 0;
  for (int trial = 0; trial < 200; ++trial) {
    int devices = static_cast<int>(rng.UniformInt(1, 4));
    Instance in = testing::RandomInstance(
        rng, {static_cast<int>(rng.UniformInt(1, 9)), devices, false, trial % 2 == 0});
    Load best = testing::BruteForceFreeOrder(in, true, false);
    LowerBound lb = ComputeLowerBound(in);
    if (best >= kInfiniteLoad) continue;
    ASSERT_TRUE(lb.feasible) << "trial " << trial;
    EXPECT_LE(lb.value, best) << "trial " << trial;
    EXPECT_GE(lb.value, lb.fluid);
    EXPECT_GE(lb.value, lb.largest_unit);
    ++checked;
    if (lb.value == best) ++tight;
  }
  EXPECT_GT(checked, 100);
  EXPECT_GT(tight, 0);
}

TEST(PartitionLowerBoundTest, TightForIdenticalDevicesAndUnits) {
  ModelProfile model{"m", {}};
  for (int u = 0; u < 12; ++u) model.units.push_back({"u", 100, 200, 0, 0, 0, 1 << 20});
  DeviceSet set;
  for (int d = 0; d < 4; ++d) set.devices.push_back({"d" + std::to_string(d), 2000, 100, {}, {}});
  auto in = Instance::Build(model, set);
  ASSERT_TRUE(in.ok());
  LowerBound lb = ComputeLowerBound(*in);
  ASSERT_TRUE(lb.feasible);
  // 3 units of 300 FLOPs per device at slowness 2: 1800 (x1000).
  EXPECT_EQ(LoadToString(lb.value), "1800000");
  EXPECT_EQ(LoadToString(*ExactBottleneck(*in, IdentityOrder(4), true)), "1800000");
}

TEST(PartitionLowerBoundTest, WaterFillingFollowsSpeed) {
  // Two devices, slowness 1 and 3: the fast one takes 3/4 of the work at level T.
  ModelProfile model{"m", {}};
  for (int u = 0; u < 400; ++u) model.units.push_back({"u", 1, 0, 0, 0, 0, 0});
  DeviceSet set;
  set.devices = {{"fast", 1000, 10, {}, {}}, {"slow", 3000, 10, {}, {}}};
  auto in = Instance::Build(model, set);
  ASSERT_TRUE(in.ok());
  LowerBound lb = ComputeLowerBound(*in);
  EXPECT_EQ(LoadToString(lb.fluid), "300000");  // T / 1 + T / 3 = 400 -> T = 300
}

TEST(PartitionLowerBoundTest, MemoryCapsRaiseTheLevel) {
  // The fast device holds only 100 of the 400 unit-FLOPs; the slow one takes the rest.
  ModelProfile model{"m", {}};
  for (int u = 0; u < 400; ++u) model.units.push_back({"u", 1, 0, 0, 0, 0, 1 << 20});
  DeviceSet set;
  set.devices = {{"fast", 1000, 100, {}, {}}, {"slow", 3000, 1000, {}, {}}};
  auto in = Instance::Build(model, set);
  ASSERT_TRUE(in.ok());
  LowerBound lb = ComputeLowerBound(*in);
  EXPECT_EQ(LoadToString(lb.fluid), "900000");  // 300 unit-FLOPs at slowness 3
  EXPECT_EQ(LoadToString(*ExactBottleneck(*in, IdentityOrder(2), true)), "900000");
}

TEST(PartitionLowerBoundTest, ReportsAModelThatCannotFit) {
  ModelProfile model{"m", {{"big", 1, 1, 0, 0, 0, 10 << 20}}};
  DeviceSet set;
  set.devices = {{"d", 1000, 5, {}, {}}};
  auto in = Instance::Build(model, set);
  ASSERT_TRUE(in.ok());
  EXPECT_FALSE(ComputeLowerBound(*in).feasible);
}

}  // namespace
}  // namespace skyrun::partition
