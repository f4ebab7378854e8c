// The broker inside the controller, on a registered cluster (FakeDriver):
// a job with a broker field is placed through the optimizer, and its price
// cap keeps it off nodes above the cap (it waits, with the reason, rather
// than run above it).
#include <gtest/gtest.h>

#include <algorithm>

#include "controller/controller.h"
#include "spec/spec_parser.h"
#include "support/controller_harness.h"
#include "support/fake_driver.h"
#include "support/temp_dir.h"

namespace skyrun {
namespace {

using test_support::FakeDriver;

class ControllerBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.path(), &clock_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
    auto tenant = store_->CreateTenant("team");
    ASSERT_TRUE(tenant.ok());
    tenant_ = tenant->id;
  }
  void TearDown() override { controller_.reset(); }

  static FakeDriver::Options LocalBackend() {
    FakeDriver::Options o;
    o.name = "local";
    return o;
  }

  // Two 4-CPU nodes: "dear" at $3 per CPU-hour ($12/h whole), "cheap" at $0.25 ($1/h).
  static std::vector<Node> Nodes() {
    std::vector<Node> nodes = test_support::CpuNodes("local", {"dear", "cheap"});
    for (Node& n : nodes) {
      n.cpus_milli = MilliCpu(4000);
      n.price_per_cpu_hour = n.name == "dear" ? 3.0 : 0.25;
    }
    return nodes;
  }

  void MakeController(FakeDriver* driver) {
    ControllerOptions options;
    options.state_dir = dir_.path();
    controller_ = std::make_unique<Controller>(store_.get(), std::vector<Driver*>{driver}, &clock_,
                                               DecodeStoredJobSpec, options);
    controller_->RunOnce();
    ASSERT_TRUE(controller_->WaitForBackends(30 * kMicrosPerSecond));
    controller_->RunOnce();
  }

  JobId Submit(const std::string& yaml) {
    JobRecord rec = test_support::JobRecordFromYaml(yaml, tenant_);
    EXPECT_TRUE(controller_->CheckSubmission(rec.spec).ok());
    auto id = store_->CreateJob(rec);
    EXPECT_TRUE(id.ok()) << id.status().message();
    controller_->NotifySubmitted(*id);
    return *id;
  }

  void Cycles(int n) { test_support::RunCycles(*controller_, clock_, n, 100 * kMicrosPerMilli); }

  test_support::TempDir dir_;
  SimulatedClock clock_{1'800'000'000LL * kMicrosPerSecond};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Controller> controller_;
  TenantId tenant_;
};

TEST_F(ControllerBrokerTest, WithoutACapBothNodesAreUsed) {
  FakeDriver local(LocalBackend(), Nodes());
  MakeController(&local);
  Submit("name: a\nresources: {cpus: 4}\nrun: sleep 60\n");
  Submit("name: b\nresources: {cpus: 4}\nrun: sleep 60\n");
  Cycles(5);
  std::vector<std::string> nodes = local.launched_nodes();
  std::sort(nodes.begin(), nodes.end());
  EXPECT_EQ(nodes, (std::vector<std::string>{"cheap", "dear"}));
}

TEST_F(ControllerBrokerTest, MaxHourlyCostKeepsJobsOffNodesAboveTheCap) {
  FakeDriver local(LocalBackend(), Nodes());
  MakeController(&local);
  JobId a = Submit("name: a\nresources: {cpus: 4, max_hourly_cost: 2}\nrun: sleep 60\n");
  JobId b = Submit("name: b\nresources: {cpus: 4, max_hourly_cost: 2}\nrun: sleep 60\n");
  Cycles(40);  // 4 s: the broker asks again 2 s after the scheduler could not place one
  // One fits the cheap node; the other waits: the dear one is over its cap.
  EXPECT_EQ(local.launched_nodes(), (std::vector<std::string>{"cheap"}));
  auto ja = store_->GetJob(a);
  auto jb = store_->GetJob(b);
  ASSERT_TRUE(ja.ok() && jb.ok());
  const JobId waiting = ja->state == JobState::kQueued ? a : b;
  EXPECT_NE((waiting == a ? jb : ja)->state, JobState::kQueued);
  const std::string why = controller_->PendingReason(waiting);
  EXPECT_NE(why.find("max_hourly_cost"), std::string::npos) << why;
  // Once the cheap node is free again, the waiting job runs there.
  local.FinishJob(waiting == a ? "b" : "a", 0);
  Cycles(300);  // within the broker's backoff (doubling from 2 s, with jitter)
  EXPECT_EQ(local.launched_nodes(), (std::vector<std::string>{"cheap", "cheap"}));
}

// The cap weighs the job's share of a node, as accounting bills it: one CPU
// of "dear" costs $3/h, under a $4/h cap, though the whole node costs $12/h
// (a bound on the node's whole price kept such jobs waiting).
TEST_F(ControllerBrokerTest, MaxHourlyCostWeighsTheJobsShareOfANodeNotTheWholeNode) {
  FakeDriver local(LocalBackend(), Nodes());
  MakeController(&local);
  // The cheap node is taken (a job with no broker field goes to the scheduler alone).
  Submit("name: filler\nresources: {cpus: 4, requirements: 'Name == \"cheap\"'}\nrun: sleep 60\n");
  Cycles(5);
  ASSERT_EQ(local.launched_nodes(), (std::vector<std::string>{"cheap"}));
  JobId id = Submit("name: share\nresources: {cpus: 1, max_hourly_cost: 4}\nrun: sleep 60\n");
  Cycles(40);
  EXPECT_EQ(local.launched_nodes(), (std::vector<std::string>{"cheap", "dear"}))
      << controller_->PendingReason(id);
  auto attempts = store_->ListAttempts(id);
  ASSERT_TRUE(attempts.ok());
  ASSERT_EQ(attempts->size(), 1u);
  EXPECT_DOUBLE_EQ(attempts->front().hourly_price, 3.0);
  // Two CPUs there would cost $6/h: over the cap, so that job waits and says why.
  JobId two = Submit("name: two\nresources: {cpus: 2, max_hourly_cost: 4}\nrun: sleep 60\n");
  Cycles(40);
  EXPECT_EQ(local.launched_nodes(), (std::vector<std::string>{"cheap", "dear"}));
  const std::string why = controller_->PendingReason(two);
  EXPECT_NE(why.find("max_hourly_cost"), std::string::npos) << why;
}

// A ps-worker job with the broker's fields is planned role by role
// (optimizer/roles_plan.h) and accepted; one whose ordered preferences the
// roles would not follow is refused with the reason.
TEST_F(ControllerBrokerTest, APsWorkerJobWithBrokerFieldsIsAcceptedUnlessItAsksForOrderedPreferences) {
  FakeDriver local(LocalBackend(), Nodes());
  MakeController(&local);
  JobRecord spot = test_support::JobRecordFromYaml(
      "name: pw\nmode: ps-worker\nroles:\n  ps: {count: 1, resources: {cpus: 1}, run: x}\n"
      "  worker: {count: 2, resources: {cpus: 1, use_spot: true}, run: x}\n",
      tenant_);
  Status accepted = controller_->CheckSubmission(spot.spec);
  EXPECT_TRUE(accepted.ok()) << accepted.message();
  JobRecord ordered = test_support::JobRecordFromYaml(
      "name: pw\nmode: ps-worker\nresources: {ordered: [{infra: local}, {infra: slurm}]}\n"
      "roles:\n  ps: {count: 1, resources: {cpus: 1}, run: x}\n"
      "  worker: {count: 2, resources: {cpus: 1, use_spot: true}, run: x}\n",
      tenant_);
  Status refused = controller_->CheckSubmission(ordered.spec);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("ordered preferences"), std::string::npos) << refused.message();
}

// The cap is the whole job's: each role alone fits the cheap node ($1/h
// under $1.50/h), but no plan holds both roles under it, so nothing runs and
// the job says why.
TEST_F(ControllerBrokerTest, APsWorkerJobsCapBoundsAllItsRolesTogether) {
  FakeDriver local(LocalBackend(), Nodes());
  MakeController(&local);
  JobId capped = Submit(
      "name: capped\nmode: ps-worker\nresources: {cpus: 4, max_hourly_cost: 1.5}\n"
      "roles:\n  ps: {count: 1}\n  worker: {count: 1}\nrun: sleep 60\n");
  Cycles(20);
  EXPECT_TRUE(local.launched_nodes().empty());
  const std::string why = controller_->PendingReason(capped);
  EXPECT_NE(why.find("max_hourly_cost $1.500/h"), std::string::npos) << why;
}

}  // namespace
}  // namespace skyrun
