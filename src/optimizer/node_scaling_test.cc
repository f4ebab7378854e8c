// num_nodes ranges (issue 12): the scaling model, and the optimizer choosing
// the count under a deadline, a budget, max_hourly_cost and each objective.
// One offer at $10/h per node; the estimate is 10 h at the range's MIN. With
// e = 0.9, S(n) = n x 0.9^log2(n): S(1) = 1, S(2) = 1.8,
// S(3) = 3 x 0.9^1.58496 = 2.53862, S(4) = 3.24; runtime(n) = 10 / S(n) h and
// cost(n) = n x $10 x runtime(n):
//   n=1: 10 h, $100;  n=2: 5.556 h, $111.11;  n=3: 3.939 h, $118.17;
//   n=4: 3.086 h, $123.46.
#include "optimizer/node_scaling.h"

#include <gtest/gtest.h>

#include <cmath>

#include "optimizer/optimizer.h"

namespace skyrun {
namespace {

class NodeScalingTest : public ::testing::Test {
 protected:
  NodeScalingTest() {
    Offer o;
    o.provider = "aws";
    o.region = "us-east-1";
    o.zone = "us-east-1a";
    o.instance_type = "p4d.24xlarge";
    o.accelerator = "A100";
    o.accelerator_count = 8;
    o.cpus = MilliCpu(96000);
    o.memory = MemoryMiB(1152 * 1024);
    o.price = 10;
    offers_ = {o};
    market_.offers = &offers_;
  }

  static JobSpec Ranged(int min, int max, double e) {
    JobSpec job;
    job.name = "train";
    job.mode = JobMode::kGang;
    job.resources.accelerators = {{"A100", 8}};
    job.num_nodes = min;
    job.node_range = NodeRange{min, max, e};
    return job;
  }

  PlanResult Plan(const JobSpec& job) {
    PlanRequest req;
    req.stages = {job};
    req.hours = 10;
    auto r = Optimize(req, market_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : PlanResult{};
  }

  std::vector<Offer> offers_;
  Market market_;
};

TEST(NodeScalingModelTest, SpeedupAndRuntime) {
  EXPECT_DOUBLE_EQ(ScalingSpeedup(1, 0.9), 1);
  EXPECT_DOUBLE_EQ(ScalingSpeedup(2, 0.9), 1.8);
  EXPECT_NEAR(ScalingSpeedup(4, 0.9), 3.24, 1e-12);
  EXPECT_NEAR(ScalingSpeedup(3, 0.9), 2.53862, 1e-5);
  EXPECT_DOUBLE_EQ(ScalingSpeedup(8, 1.0), 8);
  // The estimate is for MIN nodes: 2..8 at e = 1, 10 h on 2 -> 2.5 h on 8.
  EXPECT_DOUBLE_EQ(HoursOnNodes(NodeRange{2, 8, 1.0}, 8, 10), 2.5);
  EXPECT_DOUBLE_EQ(HoursOnNodes(NodeRange{2, 8, 1.0}, 2, 10), 10);
}

TEST(NodeScalingModelTest, WideRangesAreSampledWithBothEnds) {
  EXPECT_EQ(NodeCountsToTry(NodeRange{2, 5, 1.0}), (std::vector<int>{2, 3, 4, 5}));
  std::vector<int> wide = NodeCountsToTry(NodeRange{1, 1024, 1.0});
  ASSERT_LE(wide.size(), static_cast<size_t>(kMaxNodeCounts));
  EXPECT_GT(wide.size(), 32u);
  EXPECT_EQ(wide.front(), 1);
  EXPECT_EQ(wide.back(), 1024);
  EXPECT_TRUE(std::is_sorted(wide.begin(), wide.end()));
  EXPECT_EQ(std::adjacent_find(wide.begin(), wide.end()), wide.end());
}

TEST_F(NodeScalingTest, CostObjectiveTakesTheFewestNodesWithoutADeadline) {
  PlanResult r = Plan(Ranged(1, 4, 0.9));
  ASSERT_EQ(r.plans.size(), 4u);  // one per count
  EXPECT_EQ(r.plans[0].stages[0].candidate.num_nodes, 1);
  EXPECT_DOUBLE_EQ(r.plans[0].est_cost, 100);
  EXPECT_DOUBLE_EQ(r.plans[0].hourly_price, 10);
  EXPECT_EQ(r.plans[1].stages[0].candidate.num_nodes, 2);
  EXPECT_NEAR(r.plans[1].est_cost, 111.111, 1e-3);
  EXPECT_NE(r.explanation.find("It runs on 1 node(s) of its range 1..4"), std::string::npos) << r.explanation;
}

TEST_F(NodeScalingTest, DeadlineForcesMoreNodes) {
  JobSpec job = Ranged(1, 4, 0.9);
  job.deadline_seconds = 6 * 3600;  // n=1 takes 10 h; n=2 5.556 h is the cheapest that meets it
  PlanResult r = Plan(job);
  ASSERT_FALSE(r.plans.empty());
  EXPECT_EQ(r.plans[0].stages[0].candidate.num_nodes, 2);
  EXPECT_EQ(r.plans[0].stages[0].candidate.instances, 2);
  EXPECT_NEAR(r.plans[0].est_cost, 111.111, 1e-3);
  EXPECT_NEAR(r.plans[0].est_time_s, 20000, 1e-6);  // 10 h / 1.8
  EXPECT_DOUBLE_EQ(r.plans[0].hourly_price, 20);
  job.deadline_seconds = 3 * 3600 + 1800;  // 3.5 h: n=3 takes 3.939 h, n=4 3.086 h
  r = Plan(job);
  ASSERT_FALSE(r.plans.empty());
  EXPECT_EQ(r.plans[0].stages[0].candidate.num_nodes, 4);
  EXPECT_NEAR(r.plans[0].est_cost, 123.457, 1e-3);
  job.deadline_seconds = 3 * 3600;  // even 4 nodes take 3.086 h
  EXPECT_TRUE(Plan(job).plans.empty());
}

TEST_F(NodeScalingTest, TimeObjectiveTakesTheMostNodesThatPay) {
  JobSpec job = Ranged(1, 4, 0.9);
  job.objective = "time";
  PlanResult r = Plan(job);
  ASSERT_FALSE(r.plans.empty());
  EXPECT_EQ(r.plans[0].stages[0].candidate.num_nodes, 4);
  EXPECT_NEAR(r.plans[0].est_time_s, 36000 / 3.24, 1e-6);
  // Perfect scaling: every count costs $200 (2..8 from 10 h on 2), 8 is fastest.
  JobSpec linear = Ranged(2, 8, 1.0);
  linear.objective = "time";
  r = Plan(linear);
  ASSERT_FALSE(r.plans.empty());
  EXPECT_EQ(r.plans[0].stages[0].candidate.num_nodes, 8);
  EXPECT_DOUBLE_EQ(r.plans[0].est_cost, 200);
  EXPECT_DOUBLE_EQ(r.plans[0].est_time_s, 2.5 * 3600);
}

TEST_F(NodeScalingTest, BudgetForcesFewerNodes) {
  JobSpec job = Ranged(1, 4, 0.9);
  job.objective = "time";
  job.budget_usd = 115;  // n=4 $123.46 and n=3 $118.17 are over; n=2 $111.11 fits
  PlanResult r = Plan(job);
  ASSERT_FALSE(r.plans.empty());
  EXPECT_EQ(r.plans[0].stages[0].candidate.num_nodes, 2);
  job.budget_usd = 99;  // not even one node
  EXPECT_TRUE(Plan(job).plans.empty());
}

TEST_F(NodeScalingTest, MaxHourlyCostBoundsTheWholePlacement) {
  JobSpec job = Ranged(1, 4, 0.9);
  job.objective = "time";
  job.resources.max_hourly_cost = 30;  // 4 nodes cost $40/h; 3 cost $30/h
  PlanResult r = Plan(job);
  ASSERT_FALSE(r.plans.empty());
  EXPECT_EQ(r.plans[0].stages[0].candidate.num_nodes, 3);
  EXPECT_DOUBLE_EQ(r.plans[0].hourly_price, 30);
  EXPECT_EQ(r.plans.size(), 3u);
}

// A registered cluster offers its nodes one by one (zone = node name, sold by
// share): with 3 nodes free, a 2..8 job asking for time takes 3 of them, not
// 8 it would wait for. Each node: 8 A100 at $1/GPU-h, 96 CPUs at $0; the job
// takes 8 GPUs per node: $8/h a node. 3 nodes at e = 1: 10 h x 2/3 = 6.67 h.
TEST(NodeScalingClusterTest, ARegisteredClusterGivesNoMoreNodesThanAreFree) {
  std::vector<Offer> offers;
  for (const char* name : {"n1", "n2", "n3"}) {
    Offer o;
    o.provider = "slurm/hpc";
    o.region = "slurm/hpc";
    o.zone = name;
    o.accelerator = "A100";
    o.accelerator_count = 8;
    o.cpus = MilliCpu(96000);
    o.memory = MemoryMiB(1024 * 1024);
    o.by_share = true;
    o.price_per_gpu_hour = 1;
    o.price = 8;
    offers.push_back(o);
  }
  Market market;
  market.offers = &offers;
  JobSpec job;
  job.name = "train";
  job.mode = JobMode::kGang;
  job.resources.accelerators = {{"A100", 8}};
  job.num_nodes = 2;
  job.node_range = NodeRange{2, 8, 1.0};
  job.objective = "time";
  PlanRequest req;
  req.stages = {job};
  req.hours = 10;
  auto r = Optimize(req, market);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->plans.empty());
  EXPECT_EQ(r->plans[0].stages[0].candidate.num_nodes, 3);
  EXPECT_NEAR(r->plans[0].est_time_s, 10.0 * 2 / 3 * 3600, 1e-6);
  EXPECT_DOUBLE_EQ(r->plans[0].hourly_price, 24);
  EXPECT_EQ(r->stages[0].stats.too_few_nodes, 5);  // counts 4..8
  EXPECT_NE(r->explanation.find("5 candidate(s) at larger counts were left out"), std::string::npos)
      << r->explanation;

  // With every node busy but one, MIN (2) is still offered: the job may wait there.
  offers.resize(1);
  auto one = Optimize(req, market);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_FALSE(one->plans.empty());
  EXPECT_EQ(one->plans[0].stages[0].candidate.num_nodes, 2);
}

}  // namespace
}  // namespace skyrun
