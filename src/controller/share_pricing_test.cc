// Per-share cluster pricing, hand-computed: a job placed on a registered
// cluster's node is estimated by the broker's optimizer, by budget admission
// and billed by accounting for its share (GPUs x price per GPU-hour + CPUs x
// price per CPU-hour), not the whole node; the three agree to the cent.
#include <gtest/gtest.h>

#include "accounting/cost.h"
#include "budget/estimate.h"
#include "catalog/cluster_offers.h"
#include "controller/broker.h"
#include "scheduler/tasks.h"
#include "spec/spec_parser.h"

namespace skyrun {
namespace {

// One node: 8 CPUs, 4 T4s, at $2.00 per GPU-hour and $0.10 per CPU-hour.
// Whole, it is 4 x 2.00 + 8 x 0.10 = $8.80/h.
Node Box() {
  Node n;
  n.name = "box";
  n.backend = "local";
  n.cpus_milli = MilliCpu(8000);
  n.memory_mib = MemoryMiB(32 * 1024);
  for (int i = 0; i < 4; ++i) n.gpus.push_back(GpuDevice{i, "T4", MemoryMiB(16384)});
  n.price_per_gpu_hour = 2.0;
  n.price_per_cpu_hour = 0.10;
  return n;
}

JobSpec Spec(const std::string& yaml) {
  auto spec = DecodeStoredJobSpec(yaml, "job.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return spec.ok() ? *spec : JobSpec();
}

Result<PlacementChoice> Choose(const JobSpec& spec, const Node& node) {
  BrokerRequest request;
  request.spec = spec;
  Market world;
  return ChoosePlacement(request, ClusterBrokerOffers({node}, {}), world);
}

TEST(SharePricingTest, TheOptimizerAdmissionAndAccountingAgreeOnAShare) {
  const Node box = Box();
  // T4:1 and 2 CPUs for 3 h: 1 x 2.00 + 2 x 0.10 = $2.20/h, $6.60 in all.
  const JobSpec spec = Spec("name: s\ntime_limit: 3h\nresources: {cpus: 2, accelerators: T4:1}\nrun: x\n");

  auto choice = Choose(spec, box);
  ASSERT_TRUE(choice.ok()) << choice.status().message();
  ASSERT_EQ(choice->kind, PlacementChoice::Kind::kCluster) << choice->explanation;
  EXPECT_NEAR(choice->hourly_price, 2.20, 1e-9);
  EXPECT_NEAR(choice->est_cost, 6.60, 1e-9);

  auto admitted = EstimateJobCost(spec, std::nullopt, {box});
  ASSERT_TRUE(admitted.ok()) << admitted.status().message();
  EXPECT_NEAR(admitted->usd, 6.60, 1e-9);

  // What accounting bills the task placed there and run its 3 hours.
  TaskPlacement placed;
  placed.node = box.name;
  placed.gpu_milli = MilliGpu(1000);
  placed.cpus_milli = MilliCpu(2000);
  AttemptRecord attempt;
  attempt.hourly_price = HourlyPrice(box, placed);
  attempt.started_at = 1'800'000'000LL * kMicrosPerSecond;
  attempt.ended_at = attempt.started_at + 3 * kMicrosPerHour;
  attempt.state = RunState::kSucceeded;
  EXPECT_NEAR(attempt.hourly_price, 2.20, 1e-9);
  EXPECT_NEAR(WholeAttemptCost(attempt, {}, attempt.ended_at), choice->est_cost, 1e-9);
}

TEST(SharePricingTest, MaxHourlyCostComparesTheShareNotTheNode) {
  const Node box = Box();
  // $3/h cap: the share of T4:1 + 1 CPU is $2.10/h (the whole node $8.80/h would be refused).
  auto small = Choose(
      Spec("name: s\ntime_limit: 1h\nresources: {cpus: 1, accelerators: T4:1, max_hourly_cost: 3}\nrun: x\n"),
      box);
  ASSERT_TRUE(small.ok()) << small.status().message();
  ASSERT_EQ(small->kind, PlacementChoice::Kind::kCluster) << small->explanation;
  EXPECT_NEAR(small->hourly_price, 2.10, 1e-9);
  // T4:2 + 1 CPU = $4.10/h: over the cap, nothing can take it.
  auto big = Choose(
      Spec("name: b\ntime_limit: 1h\nresources: {cpus: 1, accelerators: T4:2, max_hourly_cost: 3}\nrun: x\n"),
      box);
  ASSERT_TRUE(big.ok()) << big.status().message();
  EXPECT_EQ(big->kind, PlacementChoice::Kind::kNone);
  // A CPU job pays for its CPUs only: 4 x 0.10 = $0.40/h.
  auto cpu = Choose(Spec("name: c\ntime_limit: 1h\nresources: {cpus: 4}\nrun: x\n"), box);
  ASSERT_TRUE(cpu.ok()) << cpu.status().message();
  ASSERT_EQ(cpu->kind, PlacementChoice::Kind::kCluster) << cpu->explanation;
  EXPECT_NEAR(cpu->hourly_price, 0.40, 1e-9);
  // More GPUs than the node has free: no fit.
  auto five =
      Choose(Spec("name: f\ntime_limit: 1h\nresources: {cpus: 1, accelerators: T4:5}\nrun: x\n"), box);
  ASSERT_TRUE(five.ok()) << five.status().message();
  EXPECT_EQ(five->kind, PlacementChoice::Kind::kNone);
}

// A job's own budget with a time limit is planned by its share: T4:1 + 2 CPUs
// for 3 h is $6.60, within $7 and over $6.
TEST(SharePricingTest, AJobsBudgetIsWeighedAgainstItsShare) {
  const Node box = Box();
  JobSpec spec =
      Spec("name: s\ntime_limit: 3h\nbudget: 7\nresources: {cpus: 2, accelerators: T4:1}\nrun: x\n");
  EXPECT_TRUE(UsesBrokerFields(spec));
  auto fits = Choose(spec, box);
  ASSERT_TRUE(fits.ok()) << fits.status().message();
  ASSERT_EQ(fits->kind, PlacementChoice::Kind::kCluster) << fits->explanation;
  EXPECT_NEAR(fits->est_cost, 6.60, 1e-9);
  spec.budget_usd = 6;
  auto over = Choose(spec, box);
  ASSERT_TRUE(over.ok()) << over.status().message();
  EXPECT_EQ(over->kind, PlacementChoice::Kind::kNone);
}

TEST(SharePricingTest, ClusterOffersCarryTheNodesRates) {
  auto offers = catalog::ClusterOffers({Box()}, {});
  ASSERT_EQ(offers.size(), 2u);  // the T4s and CPU-only
  for (const Offer& o : offers) {
    EXPECT_TRUE(o.by_share);
    EXPECT_DOUBLE_EQ(o.price_per_gpu_hour, 2.0);
    EXPECT_DOUBLE_EQ(o.price_per_cpu_hour, 0.10);
  }
  EXPECT_NEAR(offers[0].price, 8.80, 1e-9);  // the whole free node, as listed
}

}  // namespace
}  // namespace skyrun
