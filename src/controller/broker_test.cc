// ChoosePlacement over a small market: a registered cluster (one node with a
// V100 at an internal $2.50/h) and a pool selling V100 instances in two
// regions. Each broker field changes where the job goes; blocks and the
// failover preference steer it. Figures are worked in the comments.
#include "controller/broker.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

Offer V100(std::string region, std::string zone, std::string type, double price, double spot) {
  Offer o;
  o.provider = "aws";
  o.region = std::move(region);
  o.zone = std::move(zone);
  o.instance_type = std::move(type);
  o.accelerator = "V100";
  o.accelerator_count = 1;
  o.gpu_memory_mib = 16384;
  o.cpus = MilliCpu(8000);
  o.memory = MemoryMiB(61 * 1024);
  o.price = price;
  o.spot_price = spot;
  return o;
}

class BrokerTest : public ::testing::Test {
 protected:
  BrokerTest() {
    Node n;
    n.name = "gpu-1";
    n.backend = "local";
    n.cpus_milli = MilliCpu(8000);
    n.memory_mib = MemoryMiB(64 * 1024);
    n.gpus = {GpuDevice{0, "V100", MemoryMiB(16384)}};
    n.price_per_gpu_hour = 2.5;
    offers_ = ClusterBrokerOffers({n}, {});
    auto sold = PoolBrokerOffers("simcloud/sim1", {V100("us-east-1", "us-east-1a", "v.east", 3.0, 0.9),
                                                   V100("us-west-2", "us-west-2a", "v.west", 3.2, 1.0)});
    offers_.insert(offers_.end(), sold.begin(), sold.end());
    // $0.02/GB between regions of one provider, $0.10/GB to another; spot
    // revoked 0.5 times an hour (so spot runs take longer than on demand).
    world_.egress_cost = [](const Location& from, const Location& to, double gb) {
      if (from.provider == to.provider && from.region == to.region) return 0.0;
      return gb * (from.provider == to.provider ? 0.02 : 0.10);
    };
    world_.preemption_rate = [](const Offer&) { return 0.5; };
  }

  static JobSpec Job() {
    JobSpec job;
    job.name = "train";
    job.resources.accelerators = {{"V100", 1}};
    job.run = "python train.py";
    return job;
  }

  PlacementChoice Choose(const JobSpec& spec, std::vector<Block> blocks = {}, std::string prefer = "") {
    BrokerRequest request;
    request.spec = spec;
    request.blocks = std::move(blocks);
    request.prefer_region = std::move(prefer);
    auto choice = ChoosePlacement(request, offers_, world_);
    EXPECT_TRUE(choice.ok()) << choice.status().ToString();
    return choice.ok() ? *choice : PlacementChoice{};
  }

  static std::string Where(const PlacementChoice& c) {
    if (c.kind == PlacementChoice::Kind::kNone) return "none";
    if (c.kind == PlacementChoice::Kind::kCluster) return "cluster " + c.backend;
    return c.backend + " " + c.offer.instance_type + (c.spot ? " spot" : "");
  }

  std::vector<BrokerOffer> offers_;
  Market world_;
};

TEST_F(BrokerTest, CheapestIsTheRegisteredCluster) {
  // $2.50 on the cluster < $3.00 and $3.20 on demand in the pool.
  PlacementChoice c = Choose(Job());
  EXPECT_EQ(Where(c), "cluster local");
  EXPECT_DOUBLE_EQ(c.hourly_price, 2.5);
}

TEST_F(BrokerTest, MaxHourlyCostChangesThePlacement) {
  // 500 GB in aws/us-west-2: cluster 2.50 + 50 (another provider), east 3.00 + 10, west 3.20 + 0.
  JobSpec job = Job();
  job.inputs.push_back({"s3://data/shards", 500, "aws/us-west-2", ""});
  EXPECT_EQ(Where(Choose(job)), "simcloud/sim1 v.west");
  // West at $3.20/h is over a $3.10 cap: east, paying the egress.
  job.resources.max_hourly_cost = 3.1;
  EXPECT_EQ(Where(Choose(job)), "simcloud/sim1 v.east");
  // Under every offer: nothing, with the reason.
  job.resources.max_hourly_cost = 0.5;
  PlacementChoice none = Choose(job);
  EXPECT_EQ(Where(none), "none");
  EXPECT_NE(none.explanation.find("max_hourly_cost"), std::string::npos) << none.explanation;
}

TEST_F(BrokerTest, UseSpotChangesThePlacement) {
  JobSpec job = Job();
  EXPECT_EQ(Where(Choose(job)), "cluster local");
  // Spot at $0.90/h, even with revocations and restarts, costs less than $2.50.
  job.resources.use_spot = true;
  EXPECT_EQ(Where(Choose(job)), "simcloud/sim1 v.east spot");
}

TEST_F(BrokerTest, ObjectiveChangesThePlacement) {
  JobSpec job = Job();
  job.resources.use_spot = true;
  EXPECT_EQ(Where(Choose(job)), "simcloud/sim1 v.east spot");
  // Revocations make the spot run longer: the fastest is on demand, and of
  // those the cheapest (the cluster).
  job.objective = "time";
  EXPECT_EQ(Where(Choose(job)), "cluster local");
}

TEST_F(BrokerTest, BudgetChangesThePlacement) {
  JobSpec job = Job();
  job.resources.use_spot = true;
  job.objective = "time";
  EXPECT_EQ(Where(Choose(job)), "cluster local");
  // An hour on the cluster ($2.50) is over a $2 budget; spot fits in it.
  job.budget_usd = 2.0;
  EXPECT_EQ(Where(Choose(job)), "simcloud/sim1 v.east spot");
}

TEST_F(BrokerTest, BlockedPlacesAreNeverChosen) {
  JobSpec job = Job();
  job.resources.use_spot = true;
  Block zone{FailureScope::kZone, "aws", "us-east-1", "us-east-1a", "capacity error"};
  EXPECT_EQ(Where(Choose(job, {zone})), "simcloud/sim1 v.west spot");
  Block region{FailureScope::kRegion, "aws", "us-west-2", "", "preempted"};
  Block cluster{FailureScope::kProvider, "local", "", "", "test"};
  EXPECT_EQ(Where(Choose(job, {zone, region, cluster})), "none");
  EXPECT_EQ(zone.Describe(), "zone aws/us-east-1/us-east-1a");
  EXPECT_EQ(region.Describe(), "region aws/us-west-2");
}

TEST_F(BrokerTest, FailoverTriesTheSameRegionFirst) {
  JobSpec job = Job();
  EXPECT_EQ(Where(Choose(job, {}, "aws/us-west-2")), "simcloud/sim1 v.west");
  // Nothing there any more: anywhere.
  Block west{FailureScope::kRegion, "aws", "us-west-2", "", "capacity error"};
  EXPECT_EQ(Where(Choose(job, {west}, "aws/us-west-2")), "cluster local");
}

TEST_F(BrokerTest, InfraNamesBackendsOrPlaces) {
  JobSpec job = Job();
  job.resources.infra = {"simcloud/sim1"};
  EXPECT_EQ(Where(Choose(job)), "simcloud/sim1 v.east");
  job.resources.infra = {"aws/us-west-2"};
  EXPECT_EQ(Where(Choose(job)), "simcloud/sim1 v.west");
  job.resources.infra = {"slurm"};
  PlacementChoice none = Choose(job);
  EXPECT_EQ(Where(none), "none");
  EXPECT_NE(none.explanation.find("infra"), std::string::npos) << none.explanation;
}

TEST_F(BrokerTest, InstancesBoughtForAJobAreNoClusterOffer) {
  Node owned;
  owned.name = "simcloud/sim1/i-0001";
  owned.backend = "simcloud/sim1";
  owned.cpus_milli = MilliCpu(8000);
  owned.memory_mib = MemoryMiB(1024);
  owned.attributes[kOwnerJobAttribute] = "7";
  Node warm = owned;
  warm.name = "simcloud/sim1/i-0002";
  warm.attributes[kOwnerJobAttribute] = "0";
  EXPECT_TRUE(IsOwnedNode(owned));
  EXPECT_FALSE(IsOwnedNode(warm));
  auto offers = ClusterBrokerOffers({owned, warm}, {});
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].offer.zone, "simcloud/sim1/i-0002");
}

TEST_F(BrokerTest, OrderedPlacesAreTriedInTheOrderWritten) {
  // Any of the three: the cluster at $2.50 wins. Ordered us-west-2 first:
  // $3.20 there, though us-east-1 ($3.00) and the cluster are cheaper.
  JobSpec job = Job();
  job.resources.infra = {"aws/us-west-2", "aws/us-east-1", "local"};
  EXPECT_EQ(Where(Choose(job)), "cluster local");
  job.resources.infra_ordered = true;
  PlacementChoice first = Choose(job);
  EXPECT_EQ(Where(first), "simcloud/sim1 v.west");
  EXPECT_NE(first.explanation.find("aws/us-west-2"), std::string::npos) << first.explanation;
  // us-west-2 refused (blocked): the next in the order, not the cheapest.
  Block west{FailureScope::kRegion, "aws", "us-west-2", "", "capacity error"};
  EXPECT_EQ(Where(Choose(job, {west})), "simcloud/sim1 v.east");
}

TEST_F(BrokerTest, AnAcceleratorListIsAnOrderOfPreference) {
  // {T4, V100}: only V100 is sold, so V100 (the set and the list agree);
  // [V100, T4] with a T4 sold cheaper: V100 still, as the list says.
  Offer t4 = V100("us-east-1", "us-east-1a", "t.east", 0.5, 0.2);
  t4.accelerator = "T4";
  auto sold = PoolBrokerOffers("simcloud/sim1", {t4});
  offers_.insert(offers_.end(), sold.begin(), sold.end());
  JobSpec job = Job();
  job.resources.accelerators = {{"V100", 1}, {"T4", 1}};
  EXPECT_EQ(Where(Choose(job)), "simcloud/sim1 t.east");  // any of: the cheapest
  job.resources.accelerator_order = {"V100", "T4"};
  EXPECT_EQ(Where(Choose(job)), "cluster local");  // V100 first: the cluster's, at $2.50
}

TEST_F(BrokerTest, AWarmSpotInstanceIsOfferedOnlyToJobsThatAcceptSpot) {
  // A pool's warm spot instance (not bought for a job) at $0.50/h: cheaper
  // than everything else, but only a job with use_spot may be planned there
  // (before, it was offered as on-demand capacity, and a job without spot
  // was planned onto it and kept off it by its Spot == false clause forever).
  Node warm;
  warm.name = "simcloud/sim1/i-0003";
  warm.backend = "simcloud/sim1";
  warm.cpus_milli = MilliCpu(8000);
  warm.memory_mib = MemoryMiB(64 * 1024);
  warm.gpus = {GpuDevice{0, "V100", MemoryMiB(16384)}};
  warm.price_per_gpu_hour = 0.5;
  warm.attributes[kOwnerJobAttribute] = "0";
  warm.attributes["Spot"] = "true";
  auto extra = ClusterBrokerOffers({warm}, {});
  ASSERT_FALSE(extra.empty());
  for (const BrokerOffer& b : extra) EXPECT_TRUE(b.offer.spot_only);
  offers_.insert(offers_.end(), extra.begin(), extra.end());
  JobSpec job = Job();
  EXPECT_EQ(Where(Choose(job)), "cluster local");  // $2.50 on demand, not the $0.50 spot node
  job.resources.use_spot = true;
  PlacementChoice spot = Choose(job);
  EXPECT_EQ(Where(spot), "cluster simcloud/sim1");
  EXPECT_TRUE(spot.spot);
}

TEST_F(BrokerTest, CpusAndMemoryAreFloorsAsTheSchedulerReadsThem) {
  // "cpus: 4" parses as exact (SkyPilot's reading for instance types); the
  // broker, like the scheduler, takes an 8-CPU instance or node for it.
  JobSpec job = Job();
  job.resources.cpus_milli = MilliCpu(4000);
  job.resources.cpus_exact = true;
  job.resources.memory_mib = MemoryMiB(1024);
  job.resources.memory_exact = true;
  EXPECT_EQ(Where(Choose(job)), "cluster local");
}

TEST_F(BrokerTest, BrokerFieldsAreNoticed) {
  EXPECT_FALSE(UsesBrokerFields(Job()));
  JobSpec job = Job();
  job.budget_usd = 10;
  EXPECT_FALSE(UsesBrokerFields(job));  // without a time limit there is no cost to plan by
  job.time_limit_seconds = 3600;
  EXPECT_TRUE(UsesBrokerFields(job));  // a cluster's node is priced by the job's share of it
  job.budget_usd.reset();
  job.resources.max_hourly_cost = 5;
  EXPECT_TRUE(UsesBrokerFields(job));
}

}  // namespace
}  // namespace skyrun
