// The spot model's formulas (spot_model.h) against figures worked by hand.
#include "optimizer/spot_model.h"

#include <gtest/gtest.h>

#include <cmath>

namespace skyrun {
namespace {

TEST(SpotModelTest, NoRevocationsMeansTheWorkItself) {
  SpotEstimate e = EstimateSpot(20, 2, 0, 0.5, 0.1, true);
  EXPECT_TRUE(e.finite);
  EXPECT_DOUBLE_EQ(e.wall_hours, 20);
  EXPECT_DOUBLE_EQ(e.billed_instance_hours, 40);
  EXPECT_DOUBLE_EQ(e.revocations, 0);
}

TEST(SpotModelTest, CheckpointedRunByHand) {
  // W = 20 h, one instance, λ = 0.05/h, c = 0.5 h, R = 0.1 h:
  // N = 40 (e^0.025 - 1) = 40 x 0.0253151 = 1.012605; E = N (20 + 0.1) = 20.353.
  SpotEstimate e = EstimateSpot(20, 1, 0.05, 0.5, 0.1, false);
  ASSERT_TRUE(e.finite);
  EXPECT_NEAR(e.revocations, 1.012605, 1e-5);
  EXPECT_NEAR(e.wall_hours, 20.35336, 1e-4);
  EXPECT_NEAR(e.billed_instance_hours, 20.35336, 1e-4);
}

TEST(SpotModelTest, FirstHourRefundTakesTheYoungRevokedInstancesOff) {
  // r(0.05) = (1 - e^-0.05 x 1.05) / 0.05 = (1 - 0.951229 x 1.05) / 0.05 = 0.0012090 / 0.05
  //         = 0.024182 h per revocation.
  SpotEstimate e = EstimateSpot(20, 1, 0.05, 0.5, 0.1, true);
  double r = (1 - std::exp(-0.05) * 1.05) / 0.05;
  EXPECT_NEAR(r, 0.024182, 1e-6);
  EXPECT_NEAR(e.billed_instance_hours, e.wall_hours - e.revocations * r, 1e-9);
  EXPECT_LT(e.billed_instance_hours, e.wall_hours);
}

TEST(SpotModelTest, WithoutCheckpointsARevocationLosesEverything) {
  // c = W = 4 h, λ = 0.25/h: N = e^1 - 1 = 1.71828; E = N (4 + 0.1) = 7.045.
  SpotEstimate e = EstimateSpot(4, 1, 0.25, 0, 0.1, false);
  EXPECT_NEAR(e.revocations, std::exp(1.0) - 1, 1e-9);
  EXPECT_NEAR(e.wall_hours, (std::exp(1.0) - 1) * 4.1, 1e-9);
  // Checkpointing every half hour does far better.
  EXPECT_LT(EstimateSpot(4, 1, 0.25, 0.5, 0.1, false).wall_hours, 4.5);
}

TEST(SpotModelTest, AGangIsRevokedWhenAnyInstanceIs) {
  // 4 instances at 0.05/h: Λ = 0.2/h; billed = 4 E.
  SpotEstimate one = EstimateSpot(10, 1, 0.05, 0.5, 0.1, false);
  SpotEstimate gang = EstimateSpot(10, 4, 0.05, 0.5, 0.1, false);
  EXPECT_GT(gang.wall_hours, one.wall_hours);
  EXPECT_NEAR(gang.revocations, 20 * std::expm1(0.1), 1e-9);
  EXPECT_NEAR(gang.billed_instance_hours, 4 * gang.wall_hours, 1e-9);
}

TEST(SpotModelTest, RevocationsFasterThanProgressAreNotFinite) {
  EXPECT_FALSE(EstimateSpot(1000, 8, 10, 0, 0.1, false).finite);
  EXPECT_TRUE(EstimateSpot(1000, 8, 10, 0.001, 0.0, false).finite);
}

}  // namespace
}  // namespace skyrun
