// SimCloud's books on a simulated clock: provisioning and its classified
// errors, capacity, quotas, launch delay, preemptions (seeded and recorded)
// with their notices, and per-second billing across a spot price change.
#include "drivers/simcloud/sim_cloud.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace skyrun {
namespace {

using ::testing::HasSubstr;

constexpr Micros kStart = 1'800'000'000 * kMicrosPerSecond;

Offer MakeOffer(std::string region, std::string zone, std::string type, int gpus, double price,
                std::optional<double> spot, std::string provider = "aws") {
  Offer o;
  o.provider = std::move(provider);
  o.region = std::move(region);
  o.zone = std::move(zone);
  o.instance_type = std::move(type);
  o.accelerator = gpus > 0 ? "V100" : "";
  o.accelerator_count = gpus;
  o.gpu_memory_mib = gpus > 0 ? 16384 : 0;
  o.cpus = MilliCpu(8000);
  o.memory = MemoryMiB(61 * 1024);
  o.price = price;
  o.spot_price = spot;
  return o;
}

// p3.2xlarge (1 x V100, $3.06/h, spot $0.918/h) in two zones of us-east-1 and
// one of us-west-2, m5.large (no GPU, no spot) in us-east-1a, and an 8-GPU
// type on gcp.
SimCloudConfig BaseConfig() {
  SimCloudConfig c;
  c.name = "test";
  c.offers = {MakeOffer("us-east-1", "us-east-1a", "p3.2xlarge", 1, 3.06, 0.918),
              MakeOffer("us-east-1", "us-east-1b", "p3.2xlarge", 1, 3.06, 0.918),
              MakeOffer("us-west-2", "us-west-2a", "p3.2xlarge", 1, 3.06, 0.918),
              MakeOffer("us-east-1", "us-east-1a", "m5.large", 0, 0.096, std::nullopt),
              MakeOffer("us-central1", "us-central1-a", "a2-highgpu-8g", 8, 29.39, 8.82, "gcp")};
  return c;
}

ProvisionRequest Ask(std::string zone, std::string type = "p3.2xlarge", int count = 1, bool spot = false) {
  ProvisionRequest r;
  r.zone = std::move(zone);
  r.instance_type = std::move(type);
  r.count = count;
  r.spot = spot;
  return r;
}

class SimCloudTest : public ::testing::Test {
 protected:
  std::unique_ptr<SimCloud> Make(SimCloudConfig config) {
    auto cloud = SimCloud::Create(std::move(config), clock_);
    EXPECT_TRUE(cloud.ok()) << cloud.status().ToString();
    return cloud.ok() ? std::move(cloud).value() : nullptr;
  }
  SimulatedClock clock_{kStart};
};

TEST_F(SimCloudTest, ProvisionedInstanceIsReadyAfterTheLaunchDelay) {
  SimCloudConfig c = BaseConfig();
  c.launch_delay_seconds = 90;
  auto cloud = Make(c);
  ProvisionRequest r = Ask("us-east-1a", "p3.2xlarge", 2);
  r.job_id = JobId(42);
  ProvisionOutcome got = cloud->Provision(r);
  ASSERT_TRUE(got.ok()) << got.error->message;
  ASSERT_EQ(got.instances.size(), 2u);
  EXPECT_EQ(got.instances[0].id, "i-0001");
  EXPECT_EQ(got.instances[1].id, "i-0002");
  EXPECT_EQ(got.instances[0].state, InstanceState::kLaunching);
  EXPECT_EQ(got.instances[0].job_id, JobId(42));
  EXPECT_EQ(got.instances[0].offer.zone, "us-east-1a");
  EXPECT_EQ(got.instances[0].ready_at, kStart + 90 * kMicrosPerSecond);

  clock_.Advance(89 * kMicrosPerSecond);
  EXPECT_EQ(cloud->Get("i-0001")->state, InstanceState::kLaunching);
  EXPECT_TRUE(cloud->EventsSince(0).empty());
  clock_.Advance(1 * kMicrosPerSecond);
  EXPECT_EQ(cloud->Get("i-0001")->state, InstanceState::kRunning);
  std::vector<CapacityEvent> events = cloud->EventsSince(0);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, CapacityEventKind::kReady);
  EXPECT_EQ(events[0].instance_id, "i-0001");
  EXPECT_EQ(events[0].time, kStart + 90 * kMicrosPerSecond);
  EXPECT_EQ(events[1].seq, 2);
  // Each consumer keeps its cursor: nothing new after the last seen.
  EXPECT_TRUE(cloud->EventsSince(2).empty());
}

TEST_F(SimCloudTest, ZoneThatRefusesTheFirstTwoRequestsGivesCapacityErrorsOfZoneScope) {
  SimCloudConfig c = BaseConfig();
  c.errors = {SimErrorRule{ProvisionErrorKind::kCapacity, FailureScope::kZone, "us-east-1a", 2}};
  auto cloud = Make(c);
  for (int i = 1; i <= 2; ++i) {
    ProvisionOutcome got = cloud->Provision(Ask("us-east-1a"));
    ASSERT_FALSE(got.ok());
    EXPECT_TRUE(got.instances.empty());
    EXPECT_EQ(got.error->kind, ProvisionErrorKind::kCapacity);
    EXPECT_EQ(got.error->scope, FailureScope::kZone);
    EXPECT_EQ(got.error->zone, "us-east-1a");
    EXPECT_EQ(got.error->region, "us-east-1");
    EXPECT_EQ(got.error->provider, "aws");
    EXPECT_THAT(got.error->message, HasSubstr("refusal " + std::to_string(i) + " of 2"));
  }
  // Another zone was never refused, and the third request here succeeds.
  EXPECT_TRUE(cloud->Provision(Ask("us-east-1b")).ok());
  EXPECT_TRUE(cloud->Provision(Ask("us-east-1a")).ok());
}

TEST_F(SimCloudTest, RegionAndProviderRulesCarryTheirScope) {
  SimCloudConfig c = BaseConfig();
  c.errors = {SimErrorRule{ProvisionErrorKind::kQuota, FailureScope::kRegion, "us-west-2", 1},
              SimErrorRule{ProvisionErrorKind::kCapacity, FailureScope::kProvider, "gcp", 1}};
  auto cloud = Make(c);
  ProvisionOutcome west = cloud->Provision(Ask("us-west-2a"));
  ASSERT_FALSE(west.ok());
  EXPECT_EQ(west.error->kind, ProvisionErrorKind::kQuota);
  EXPECT_EQ(west.error->scope, FailureScope::kRegion);
  EXPECT_EQ(west.error->region, "us-west-2");
  EXPECT_EQ(west.error->zone, "");  // the whole region is refused, not a zone
  ProvisionOutcome gcp = cloud->Provision(Ask("us-central1-a", "a2-highgpu-8g"));
  ASSERT_FALSE(gcp.ok());
  EXPECT_EQ(gcp.error->scope, FailureScope::kProvider);
  EXPECT_EQ(gcp.error->provider, "gcp");
  EXPECT_TRUE(cloud->Provision(Ask("us-central1-a", "a2-highgpu-8g")).ok());
}

TEST_F(SimCloudTest, QuotaCountsWhatIsHeldAndFreesWhatIsGivenBack) {
  SimCloudConfig c = BaseConfig();
  c.quotas = {SimQuota{FailureScope::kRegion, "us-east-1", std::nullopt, 2},
              SimQuota{FailureScope::kProvider, "aws", 3, std::nullopt}};
  auto cloud = Make(c);
  ProvisionOutcome two = cloud->Provision(Ask("us-east-1a", "p3.2xlarge", 2));
  ASSERT_TRUE(two.ok());
  // A third GPU in us-east-1 breaks the region's GPU quota (2)...
  ProvisionOutcome third = cloud->Provision(Ask("us-east-1b"));
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error->kind, ProvisionErrorKind::kQuota);
  EXPECT_EQ(third.error->scope, FailureScope::kRegion);
  EXPECT_THAT(third.error->message, HasSubstr("2 GPU(s) held, 1 more asked, limit 2"));
  // ...a CPU instance does not, but the fourth aws instance breaks the provider's.
  ASSERT_TRUE(cloud->Provision(Ask("us-east-1a", "m5.large")).ok());
  ProvisionOutcome west = cloud->Provision(Ask("us-west-2a"));
  ASSERT_FALSE(west.ok());
  EXPECT_EQ(west.error->scope, FailureScope::kProvider);
  EXPECT_EQ(west.error->provider, "aws");
  ASSERT_TRUE(cloud->Terminate(two.instances[0].id).ok());
  EXPECT_TRUE(cloud->Provision(Ask("us-east-1b")).ok());
}

TEST_F(SimCloudTest, ZoneCapacityIsACapacityErrorAndARegionRequestTriesTheNextZone) {
  SimCloudConfig c = BaseConfig();
  c.zones = {SimZoneConfig{"us-east-1a", {{"p3.2xlarge", 1}}, std::nullopt}};
  auto cloud = Make(c);
  ASSERT_TRUE(cloud->Provision(Ask("us-east-1a")).ok());
  ProvisionOutcome full = cloud->Provision(Ask("us-east-1a"));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error->kind, ProvisionErrorKind::kCapacity);
  EXPECT_EQ(full.error->scope, FailureScope::kZone);
  EXPECT_THAT(full.error->message, HasSubstr("0 free, 1 asked"));
  ProvisionRequest in_region = Ask("");
  in_region.region = "us-east-1";
  ProvisionOutcome got = cloud->Provision(in_region);
  ASSERT_TRUE(got.ok()) << got.error->message;
  EXPECT_EQ(got.instances[0].offer.zone, "us-east-1b");
}

TEST_F(SimCloudTest, BadRequestsAreOtherErrors) {
  auto cloud = Make(BaseConfig());
  ProvisionOutcome unknown = cloud->Provision(Ask("us-east-1a", "p5.48xlarge"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error->kind, ProvisionErrorKind::kOther);
  EXPECT_THAT(unknown.error->message, HasSubstr("no offer of p5.48xlarge in us-east-1a"));
  ProvisionOutcome no_spot = cloud->Provision(Ask("us-east-1a", "m5.large", 1, /*spot=*/true));
  ASSERT_FALSE(no_spot.ok());
  EXPECT_EQ(no_spot.error->kind, ProvisionErrorKind::kOther);
  EXPECT_THAT(no_spot.error->message, HasSubstr("no spot offer"));
  EXPECT_EQ(cloud->Provision(Ask("us-east-1a", "p3.2xlarge", 0)).error->kind, ProvisionErrorKind::kOther);
  EXPECT_EQ(cloud->Terminate("i-9999").code(), StatusCode::kNotFound);
}

TEST_F(SimCloudTest, BillsPerSecondWithTheSpotPriceChangeFromItsTimeOn) {
  SimCloudConfig c = BaseConfig();
  // From 1800 s on, the spot price of p3.2xlarge in us-east-1a is $1.50/h.
  c.spot_prices = {SimPricePoint{"p3.2xlarge", "us-east-1a", 1800, 1.50}};
  auto cloud = Make(c);
  ProvisionOutcome spot = cloud->Provision(Ask("us-east-1a", "p3.2xlarge", 1, /*spot=*/true));
  ProvisionOutcome on_demand = cloud->Provision(Ask("us-east-1a"));
  ASSERT_TRUE(spot.ok() && on_demand.ok());
  // 3600.4 s later both are given back: 3601 whole seconds are billed.
  clock_.Advance(3600 * kMicrosPerSecond + 400 * kMicrosPerMilli);
  ASSERT_TRUE(cloud->Terminate("i-0001").ok());
  ASSERT_TRUE(cloud->Terminate("i-0002").ok());
  std::vector<BillingRecord> bills = cloud->Billing();
  ASSERT_EQ(bills.size(), 2u);
  const BillingRecord& s = bills[0];
  EXPECT_TRUE(s.spot);
  EXPECT_FALSE(s.open);
  EXPECT_EQ(s.end - s.start, 3601 * kMicrosPerSecond);
  ASSERT_EQ(s.intervals.size(), 2u);
  EXPECT_EQ(s.intervals[0].end, kStart + 1800 * kMicrosPerSecond);
  EXPECT_DOUBLE_EQ(s.intervals[0].hourly_price, 0.918);
  EXPECT_DOUBLE_EQ(s.intervals[1].hourly_price, 1.50);
  // 1800 s at 0.918 + 1801 s at 1.50, by hand.
  EXPECT_NEAR(s.cost_usd, 0.918 * 1800 / 3600 + 1.50 * 1801 / 3600, 1e-9);
  // On demand keeps its launch price whatever the spot market does.
  const BillingRecord& d = bills[1];
  ASSERT_EQ(d.intervals.size(), 1u);
  EXPECT_NEAR(d.cost_usd, 3.06 * 3601 / 3600, 1e-9);
  // The offers show today's spot price.
  for (const Offer& o : cloud->Offers()) {
    if (o.instance_type != "p3.2xlarge") continue;
    EXPECT_EQ(o.spot_price, o.zone == "us-east-1a" ? 1.50 : 0.918) << o.zone;
  }
}

TEST_F(SimCloudTest, RunningInstanceIsBilledUpToNowAndOneGivenBackBeforeReadyCostsNothing) {
  SimCloudConfig c = BaseConfig();
  c.launch_delay_seconds = 60;
  auto cloud = Make(c);
  ASSERT_TRUE(cloud->Provision(Ask("us-east-1a")).ok());
  ASSERT_TRUE(cloud->Provision(Ask("us-east-1b")).ok());
  clock_.Advance(30 * kMicrosPerSecond);
  ASSERT_TRUE(cloud->Terminate("i-0002").ok());
  clock_.Advance(30 * kMicrosPerSecond + 1800 * kMicrosPerSecond);
  std::vector<BillingRecord> bills = cloud->Billing();
  ASSERT_EQ(bills.size(), 1u);
  EXPECT_EQ(bills[0].instance_id, "i-0001");
  EXPECT_TRUE(bills[0].open);
  EXPECT_NEAR(bills[0].cost_usd, 3.06 / 2, 1e-9);
}

TEST_F(SimCloudTest, RecordedPreemptionGivesTheNoticeThenReclaimsTheInstance) {
  SimCloudConfig c = BaseConfig();
  c.preemption.notice_seconds = 120;
  c.preemption.recorded = {SimRecordedPreemption{"i-0002", 600, std::nullopt}};
  auto cloud = Make(c);
  ASSERT_TRUE(cloud->Provision(Ask("us-east-1a", "p3.2xlarge", 2, /*spot=*/true)).ok());
  clock_.Advance(479 * kMicrosPerSecond);
  EXPECT_EQ(cloud->Get("i-0002")->state, InstanceState::kRunning);
  clock_.Advance(1 * kMicrosPerSecond);
  EXPECT_EQ(cloud->Get("i-0002")->state, InstanceState::kNoticed);
  clock_.Advance(120 * kMicrosPerSecond);
  Instance gone = *cloud->Get("i-0002");
  EXPECT_EQ(gone.state, InstanceState::kPreempted);
  EXPECT_EQ(gone.ended_at, kStart + 600 * kMicrosPerSecond);
  EXPECT_EQ(cloud->Get("i-0001")->state, InstanceState::kRunning);  // no rate: only the recorded one
  std::vector<CapacityEvent> events = cloud->EventsSince(2);        // after the two ready events
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, CapacityEventKind::kPreemptionNotice);
  EXPECT_EQ(events[0].time, kStart + 480 * kMicrosPerSecond);
  EXPECT_EQ(events[1].kind, CapacityEventKind::kPreempted);
  EXPECT_EQ(events[1].instance_id, "i-0002");
  // Billing stops at the preemption; the preempted capacity is free again.
  clock_.Advance(3600 * kMicrosPerSecond);
  std::vector<BillingRecord> bills = cloud->Billing();
  ASSERT_EQ(bills.size(), 2u);
  EXPECT_EQ(bills[1].end - bills[1].start, 600 * kMicrosPerSecond);
  EXPECT_NEAR(bills[1].cost_usd, 0.918 * 600 / 3600, 1e-9);
  EXPECT_EQ(cloud->Terminate("i-0002").code(), StatusCode::kOk);  // already gone: OK
}

TEST_F(SimCloudTest, RecordedPreemptionAfterReadyCountsFromTheInstancesStart) {
  SimCloudConfig c = BaseConfig();
  c.launch_delay_seconds = 30;
  c.preemption.notice_seconds = 5;
  c.preemption.recorded = {SimRecordedPreemption{"i-0001", 0, 60}};
  auto cloud = Make(c);
  clock_.Advance(1000 * kMicrosPerSecond);  // bought long after the simulation started
  ASSERT_TRUE(cloud->Provision(Ask("us-east-1a", "p3.2xlarge", 1, /*spot=*/true)).ok());
  const Micros ready = kStart + 1030 * kMicrosPerSecond;
  EXPECT_EQ(cloud->Get("i-0001")->ready_at, ready);
  clock_.Advance(84 * kMicrosPerSecond);  // ready + 54 s
  EXPECT_EQ(cloud->Get("i-0001")->state, InstanceState::kRunning);
  clock_.Advance(1 * kMicrosPerSecond);  // the notice, 5 s before
  EXPECT_EQ(cloud->Get("i-0001")->state, InstanceState::kNoticed);
  clock_.Advance(5 * kMicrosPerSecond);
  Instance gone = *cloud->Get("i-0001");
  EXPECT_EQ(gone.state, InstanceState::kPreempted);
  EXPECT_EQ(gone.ended_at, ready + 60 * kMicrosPerSecond);
}

std::vector<Micros> PreemptionTimes(uint64_t seed, double rate) {
  SimulatedClock clock(kStart);
  SimCloudConfig c = BaseConfig();
  c.preemption.rate_per_hour = rate;
  c.preemption.seed = seed;
  auto cloud = SimCloud::Create(c, clock);
  EXPECT_TRUE(cloud.ok());
  EXPECT_TRUE((*cloud)->Provision(Ask("us-east-1a", "p3.2xlarge", 20, /*spot=*/true)).ok());
  // A preemption is known from its notice on: look once all are over.
  for (const Instance& in : (*cloud)->Instances()) EXPECT_EQ(in.preempt_at, 0);
  clock.Advance(100000LL * 3600 * kMicrosPerSecond);
  std::vector<Micros> out;
  for (const Instance& in : (*cloud)->Instances()) {
    EXPECT_EQ(in.state, InstanceState::kPreempted);
    out.push_back(in.preempt_at - in.ready_at);
  }
  return out;
}

TEST_F(SimCloudTest, SeededPreemptionProcessReplaysExactly) {
  std::vector<Micros> a = PreemptionTimes(7, 0.5);
  std::vector<Micros> b = PreemptionTimes(7, 0.5);
  std::vector<Micros> other = PreemptionTimes(8, 0.5);
  ASSERT_EQ(a.size(), 20u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, other);
  // Every spot instance gets a finite lifetime; their mean is near 1/rate =
  // 2 h (20 draws: a loose band, the draw is fixed by the seed anyway).
  double mean_hours = 0;
  for (Micros t : a) {
    EXPECT_GT(t, 0);
    mean_hours += static_cast<double>(t) / (3600.0 * kMicrosPerSecond) / a.size();
  }
  EXPECT_GT(mean_hours, 0.5);
  EXPECT_LT(mean_hours, 8.0);
  // On-demand instances are never preempted by the process.
  SimulatedClock clock(kStart);
  SimCloudConfig c = BaseConfig();
  c.preemption.rate_per_hour = 100;
  auto cloud = SimCloud::Create(c, clock);
  ASSERT_TRUE(cloud.ok());
  ASSERT_TRUE((*cloud)->Provision(Ask("us-east-1a")).ok());
  EXPECT_EQ((*cloud)->Get("i-0001")->preempt_at, 0);
}

TEST_F(SimCloudTest, SeededRunGivesTheSameEventLogTwice) {
  auto run = [](uint64_t seed) {
    SimulatedClock clock(kStart);
    SimCloudConfig c = BaseConfig();
    c.preemption.rate_per_hour = 2;
    c.preemption.seed = seed;
    auto cloud = std::move(SimCloud::Create(c, clock)).value();
    std::vector<std::string> log;
    EXPECT_TRUE(cloud->Provision(Ask("us-east-1a", "p3.2xlarge", 3, true)).ok());
    clock.Advance(1800 * kMicrosPerSecond);
    EXPECT_TRUE(cloud->Provision(Ask("us-east-1b", "p3.2xlarge", 2, true)).ok());
    clock.Advance(10 * 3600 * kMicrosPerSecond);
    for (const CapacityEvent& e : cloud->EventsSince(0)) {
      log.push_back(std::to_string(e.time - kStart) + " " + CapacityEventKindName(e.kind) + " " +
                    e.instance_id);
    }
    return log;
  };
  std::vector<std::string> first = run(11);
  EXPECT_EQ(first, run(11));
  // 5 ready, 5 notices, 5 preemptions within 10 h at 2 per hour.
  EXPECT_EQ(first.size(), 15u);
}

TEST_F(SimCloudTest, CreateRefusesInconsistentConfig) {
  SimCloudConfig c = BaseConfig();
  c.errors = {SimErrorRule{ProvisionErrorKind::kCapacity, FailureScope::kZone, "eu-west-1a", 1}};
  auto bad = SimCloud::Create(c, clock_);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("zone 'eu-west-1a' is in no offer"));
  SimCloudConfig empty;
  EXPECT_FALSE(SimCloud::Create(empty, clock_).ok());
}

}  // namespace
}  // namespace skyrun
