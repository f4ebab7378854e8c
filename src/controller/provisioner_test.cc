// The provisioner against a real simulated cloud (SimCloud on a simulated
// clock) and a real store: refusals block the place their error names, the
// broker is asked again without it, and every try is recorded.
#include "controller/provisioner.h"

#include <gtest/gtest.h>

#include "drivers/simcloud/sim_cloud.h"
#include "support/temp_dir.h"

namespace skyrun {
namespace {

Offer CpuOffer(std::string provider, std::string region, std::string zone, std::string type, double price,
               std::optional<double> spot = std::nullopt) {
  Offer o;
  o.provider = std::move(provider);
  o.region = std::move(region);
  o.zone = std::move(zone);
  o.instance_type = std::move(type);
  o.cpus = MilliCpu(2000);
  o.memory = MemoryMiB(8192);
  o.price = price;
  o.spot_price = spot;
  return o;
}

class ProvisionerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.path(), &clock_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
    auto tenant = store_->CreateTenant("team");
    ASSERT_TRUE(tenant.ok());
    JobRecord rec;
    rec.tenant = tenant->id;
    rec.name = "job";
    rec.spec_yaml = "run: x\n";
    auto id = store_->CreateJob(rec);
    ASSERT_TRUE(id.ok()) << id.status().message();
    job_ = *id;
  }

  std::unique_ptr<SimCloud> Cloud(std::vector<SimErrorRule> errors) {
    SimCloudConfig config;
    config.name = "sim1";
    config.offers = {CpuOffer("aws", "us-east-1", "us-east-1a", "m5.large", 0.096, 0.035),
                     CpuOffer("aws", "us-east-1", "us-east-1b", "m5.large", 0.097),
                     CpuOffer("aws", "us-west-2", "us-west-2a", "m5.large", 0.10),
                     CpuOffer("gcp", "us-central1", "us-central1-a", "n2-standard-2", 0.11)};
    config.errors = std::move(errors);
    auto cloud = SimCloud::Create(config, clock_);
    EXPECT_TRUE(cloud.ok()) << cloud.status().message();
    return cloud.ok() ? std::move(cloud).value() : nullptr;
  }

  PlanOrder Order() {
    PlanOrder order;
    order.job = job_;
    order.attempt_no = 1;
    order.request.spec.name = "job";
    order.request.spec.resources.cpus_milli = MilliCpu(1000);
    order.request.spec.run = "x";
    return order;
  }

  test_support::TempDir dir_;
  SimulatedClock clock_{1'800'000'000LL * kMicrosPerSecond};
  std::unique_ptr<Store> store_;
  JobId job_;
};

TEST_F(ProvisionerTest, RefusalsBlockTheirScopeUntilAnOfferIsBought) {
  // The cheapest zone refuses; then the whole region us-east-1 (quota); then
  // provider aws: what is left is gcp.
  auto cloud = Cloud({{ProvisionErrorKind::kCapacity, FailureScope::kZone, "us-east-1a", 9},
                      {ProvisionErrorKind::kQuota, FailureScope::kRegion, "us-east-1", 9},
                      {ProvisionErrorKind::kCapacity, FailureScope::kProvider, "aws", 9}});
  ASSERT_NE(cloud, nullptr);
  Provisioner provisioner({{"simcloud/sim1", cloud.get()}}, Market{}, store_.get(), &clock_, nullptr,
                          nullptr);
  PlanAnswer answer = provisioner.Plan(Order());
  ASSERT_EQ(answer.choice.kind, PlacementChoice::Kind::kPool) << answer.choice.explanation;
  EXPECT_EQ(answer.choice.offer.provider, "gcp");
  ASSERT_EQ(answer.instance_ids.size(), 1u);
  EXPECT_EQ(answer.refusals, 3);
  ASSERT_EQ(answer.blocked.size(), 3u);
  EXPECT_EQ(answer.blocked[0].Describe(), "zone aws/us-east-1/us-east-1a");
  EXPECT_EQ(answer.blocked[1].Describe(), "region aws/us-east-1");
  EXPECT_EQ(answer.blocked[2].Describe(), "provider aws");
  auto bought = cloud->Get(answer.instance_ids[0]);
  ASSERT_TRUE(bought.ok());
  EXPECT_EQ(bought->job_id, job_);  // bought for this job

  auto tries = store_->ListProvisionTries(job_);
  ASSERT_TRUE(tries.ok());
  ASSERT_EQ(tries->size(), 4u);
  EXPECT_EQ((*tries)[0].zone, "us-east-1a");
  EXPECT_EQ((*tries)[0].outcome, "capacity");
  // Capacity blocks hold 10 minutes, quota blocks an hour (BlockHold's defaults).
  const Micros now = clock_.Now();
  EXPECT_EQ((*tries)[0].blocked,
            "zone aws/us-east-1/us-east-1a until " + FormatTimestamp(now + 600 * kMicrosPerSecond));
  EXPECT_EQ((*tries)[1].outcome, "quota");
  EXPECT_EQ((*tries)[1].blocked,
            "region aws/us-east-1 until " + FormatTimestamp(now + 3600 * kMicrosPerSecond));
  EXPECT_EQ((*tries)[2].region, "us-west-2");
  EXPECT_EQ((*tries)[2].blocked, "provider aws until " + FormatTimestamp(now + 600 * kMicrosPerSecond));
  EXPECT_EQ((*tries)[3].outcome, "provisioned");
  EXPECT_EQ((*tries)[3].detail, answer.instance_ids[0]);
}

TEST_F(ProvisionerTest, ABlockHoldsForEveryJobUntilItExpires) {
  // us-east-1a refuses once (capacity): the zone stays blocked for 10
  // minutes, for this job's next round and any other job's, then is tried again.
  auto cloud = Cloud({{ProvisionErrorKind::kCapacity, FailureScope::kZone, "us-east-1a", 1}});
  ASSERT_NE(cloud, nullptr);
  Provisioner provisioner({{"simcloud/sim1", cloud.get()}}, Market{}, store_.get(), &clock_, nullptr,
                          nullptr);
  const Micros start = clock_.Now();
  PlanAnswer first = provisioner.Plan(Order());
  ASSERT_EQ(first.choice.kind, PlacementChoice::Kind::kPool) << first.choice.explanation;
  EXPECT_EQ(first.choice.offer.zone, "us-east-1b");
  EXPECT_EQ(first.refusals, 1);
  std::vector<HeldBlock> held = provisioner.HeldBlocks();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].block.Describe(), "zone aws/us-east-1/us-east-1a");
  EXPECT_EQ(held[0].until, start + 600 * kMicrosPerSecond);

  // Another job, nine minutes later: the zone is not even tried.
  clock_.Advance(540 * kMicrosPerSecond);
  PlanOrder other = Order();
  other.job = JobId(job_.value() + 1);
  PlanAnswer second = provisioner.Plan(other);
  ASSERT_EQ(second.choice.kind, PlacementChoice::Kind::kPool) << second.choice.explanation;
  EXPECT_EQ(second.choice.offer.zone, "us-east-1b");
  EXPECT_EQ(second.refusals, 0);

  // Past the expiry: the zone is back (and now has room).
  clock_.Advance(61 * kMicrosPerSecond);
  EXPECT_TRUE(provisioner.HeldBlocks().empty());
  PlanAnswer third = provisioner.Plan(Order());
  ASSERT_EQ(third.choice.kind, PlacementChoice::Kind::kPool) << third.choice.explanation;
  EXPECT_EQ(third.choice.offer.zone, "us-east-1a");
  EXPECT_EQ(third.refusals, 0);
}

// A held block outlives the provisioner that made it: a server restarted
// within the hold (a new provisioner over the same store) still does not try
// the zone, and after the expiry tries it again.
TEST_F(ProvisionerTest, AHeldBlockSurvivesARestartUntilItExpires) {
  auto cloud = Cloud({{ProvisionErrorKind::kCapacity, FailureScope::kZone, "us-east-1a", 1}});
  ASSERT_NE(cloud, nullptr);
  const Micros start = clock_.Now();
  {
    Provisioner before({{"simcloud/sim1", cloud.get()}}, Market{}, store_.get(), &clock_, nullptr, nullptr);
    PlanAnswer first = before.Plan(Order());
    ASSERT_EQ(first.choice.kind, PlacementChoice::Kind::kPool) << first.choice.explanation;
    EXPECT_EQ(first.refusals, 1);
  }
  // Five minutes later, a new provisioner: the block is read back.
  clock_.Advance(300 * kMicrosPerSecond);
  Provisioner after({{"simcloud/sim1", cloud.get()}}, Market{}, store_.get(), &clock_, nullptr, nullptr);
  std::vector<HeldBlock> held = after.HeldBlocks();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].block.Describe(), "zone aws/us-east-1/us-east-1a");
  EXPECT_EQ(held[0].block.why, "capacity error");
  EXPECT_EQ(held[0].until, start + 600 * kMicrosPerSecond);
  PlanAnswer second = after.Plan(Order());
  ASSERT_EQ(second.choice.kind, PlacementChoice::Kind::kPool) << second.choice.explanation;
  EXPECT_EQ(second.choice.offer.zone, "us-east-1b");
  EXPECT_EQ(second.refusals, 0);

  // Past the expiry a third start holds nothing, and the store has dropped the row.
  clock_.Advance(301 * kMicrosPerSecond);
  Provisioner later({{"simcloud/sim1", cloud.get()}}, Market{}, store_.get(), &clock_, nullptr, nullptr);
  EXPECT_TRUE(later.HeldBlocks().empty());
  auto rows = store_->ListHeldBlocks(0);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_TRUE(rows->empty());
}

TEST_F(ProvisionerTest, HoldsFollowTheirConfigAndStartAgainAtTheNextRefusal) {
  // capacity 0: the round only; quota 2 h.
  auto cloud = Cloud({{ProvisionErrorKind::kCapacity, FailureScope::kZone, "us-east-1a", 1},
                      {ProvisionErrorKind::kQuota, FailureScope::kRegion, "us-east-1", 2}});
  ASSERT_NE(cloud, nullptr);
  BlockHold hold;
  hold.capacity = 0;
  hold.quota = 2 * 3600 * kMicrosPerSecond;
  Provisioner provisioner({{"simcloud/sim1", cloud.get()}}, Market{}, store_.get(), &clock_, nullptr, nullptr,
                          hold);
  const Micros start = clock_.Now();
  PlanAnswer first = provisioner.Plan(Order());
  ASSERT_EQ(first.choice.kind, PlacementChoice::Kind::kPool) << first.choice.explanation;
  EXPECT_EQ(first.choice.offer.region, "us-west-2");
  auto tries = store_->ListProvisionTries(job_);
  ASSERT_TRUE(tries.ok());
  ASSERT_EQ(tries->size(), 3u);
  EXPECT_EQ((*tries)[0].blocked, "zone aws/us-east-1/us-east-1a (this round)");
  EXPECT_EQ((*tries)[1].blocked,
            "region aws/us-east-1 until " + FormatTimestamp(start + 2 * 3600 * kMicrosPerSecond));
  std::vector<HeldBlock> held = provisioner.HeldBlocks();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].block.Describe(), "region aws/us-east-1");
  // The hold's end: the region is refused again (its second refusal) after
  // the first hold ran out; the new hold runs 2 h from then.
  clock_.Advance(2 * 3600 * kMicrosPerSecond);
  EXPECT_TRUE(provisioner.HeldBlocks().empty());
  PlanAnswer again = provisioner.Plan(Order());
  EXPECT_EQ(again.refusals, 1);
  held = provisioner.HeldBlocks();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].until, clock_.Now() + 2 * 3600 * kMicrosPerSecond);
}

TEST_F(ProvisionerTest, NothingLeftSaysWhatBlocksItAndUntilWhen) {
  auto cloud = Cloud({{ProvisionErrorKind::kCapacity, FailureScope::kProvider, "gcp", 9}});
  ASSERT_NE(cloud, nullptr);
  Provisioner provisioner({{"simcloud/sim1", cloud.get()}}, Market{}, store_.get(), &clock_, nullptr,
                          nullptr);
  const Micros start = clock_.Now();
  PlanOrder order = Order();
  order.request.spec.resources.infra = {"gcp"};
  EXPECT_EQ(provisioner.Plan(order).choice.kind, PlacementChoice::Kind::kNone);
  // The next round: gcp is held, and aws is the job's own block (eager_next_region).
  Block own;
  own.scope = FailureScope::kProvider;
  own.provider = "aws";
  order.request.blocks = {own};
  order.request.spec.resources.infra.clear();
  PlanAnswer answer = provisioner.Plan(order);
  EXPECT_EQ(answer.choice.kind, PlacementChoice::Kind::kNone);
  EXPECT_EQ(answer.refusals, 0);
  auto tries = store_->ListProvisionTries(job_);
  ASSERT_TRUE(tries.ok());
  ASSERT_FALSE(tries->empty());
  EXPECT_EQ(tries->back().outcome, "none");
  EXPECT_NE(tries->back().detail.find("blocked: provider gcp until " +
                                      FormatTimestamp(start + 600 * kMicrosPerSecond) +
                                      ", provider aws for this job's life"),
            std::string::npos)
      << tries->back().detail;
}

TEST_F(ProvisionerTest, NothingLeftIsAnAnswerWithTheReason) {
  auto cloud = Cloud({{ProvisionErrorKind::kCapacity, FailureScope::kProvider, "aws", 9},
                      {ProvisionErrorKind::kCapacity, FailureScope::kProvider, "gcp", 9}});
  ASSERT_NE(cloud, nullptr);
  Provisioner provisioner({{"simcloud/sim1", cloud.get()}}, Market{}, store_.get(), &clock_, nullptr,
                          nullptr);
  PlanAnswer answer = provisioner.Plan(Order());
  EXPECT_EQ(answer.choice.kind, PlacementChoice::Kind::kNone);
  EXPECT_EQ(answer.refusals, 2);
  EXPECT_TRUE(answer.instance_ids.empty());
  EXPECT_NE(answer.choice.explanation.find("blocked"), std::string::npos) << answer.choice.explanation;
  EXPECT_TRUE(cloud->Instances().empty());
  auto tries = store_->ListProvisionTries(job_);
  ASSERT_TRUE(tries.ok());
  ASSERT_EQ(tries->size(), 3u);
  EXPECT_EQ(tries->back().outcome, "none");
}

TEST_F(ProvisionerTest, TerminateGivesInstancesBackOnItsThread) {
  auto cloud = Cloud({});
  ASSERT_NE(cloud, nullptr);
  Provisioner provisioner({{"simcloud/sim1", cloud.get()}}, Market{}, store_.get(), &clock_, nullptr,
                          nullptr);
  provisioner.RequestPlan(Order());
  ASSERT_TRUE(provisioner.WaitIdle(30 * kMicrosPerSecond));
  std::vector<PlanAnswer> answers = provisioner.TakeAnswers();
  ASSERT_EQ(answers.size(), 1u);
  ASSERT_EQ(answers[0].instance_ids.size(), 1u);
  const std::string id = answers[0].instance_ids[0];
  EXPECT_EQ(cloud->Get(id)->state, InstanceState::kRunning);
  provisioner.RequestTerminate("simcloud/sim1", {id});
  ASSERT_TRUE(provisioner.WaitIdle(30 * kMicrosPerSecond));
  EXPECT_EQ(cloud->Get(id)->state, InstanceState::kTerminated);
}

TEST_F(ProvisionerTest, ASpotPriceChangeUnderABoughtInstanceIsNoted) {
  SimCloudConfig config;
  config.name = "sim1";
  config.offers = {CpuOffer("aws", "us-east-1", "us-east-1a", "m5.large", 0.096, 0.035)};
  config.spot_prices = {{"m5.large", "us-east-1a", 60, 0.05}};
  auto cloud = SimCloud::Create(config, clock_);
  ASSERT_TRUE(cloud.ok()) << cloud.status().message();
  Provisioner provisioner({{"simcloud/sim1", cloud->get()}}, Market{}, store_.get(), &clock_, nullptr,
                          nullptr);
  PlanOrder order = Order();
  order.request.spec.resources.use_spot = true;
  PlanAnswer answer = provisioner.Plan(order);
  ASSERT_EQ(answer.instance_ids.size(), 1u) << answer.choice.explanation;
  ASSERT_TRUE(answer.choice.spot);
  EXPECT_TRUE(provisioner.SweepPrices().empty());  // nothing changed yet
  const Micros start = clock_.Now();
  clock_.Advance(61 * kMicrosPerSecond);
  std::vector<PriceNote> notes = provisioner.SweepPrices();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].job, job_);
  EXPECT_EQ(notes[0].instance_id, answer.instance_ids[0]);
  EXPECT_EQ(notes[0].at, start + 60 * kMicrosPerSecond);
  EXPECT_DOUBLE_EQ(notes[0].usd_per_hour, 0.05);
  EXPECT_TRUE(provisioner.SweepPrices().empty());  // said once
}

}  // namespace
}  // namespace skyrun
