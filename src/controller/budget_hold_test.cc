// on_exceed: hold through the controller, with a FakeDriver, a real store and
// a simulated clock: a job over what its budget has left stays QUEUED with the
// reason, and starts when a running job ends cheaper than its estimate, when
// the calendar period rolls over, or when the budgets are raised live.
#include <gtest/gtest.h>

#include "controller/controller.h"
#include "spec/spec_parser.h"
#include "support/controller_harness.h"
#include "support/fake_driver.h"
#include "support/temp_dir.h"

namespace skyrun {
namespace {

using test_support::CpuNodes;
using test_support::FakeDriver;

// Jobs of 1 CPU for 10 minutes on nodes at $3.60 per CPU-hour: each is estimated at $0.60.
constexpr const char* kTenMinutes = "resources: {cpus: 1}\ntime_limit: 10m\nrun: sleep 600\n";

class BudgetHoldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.path(), &clock_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
    auto tenant = store_->CreateTenant("team");
    ASSERT_TRUE(tenant.ok()) << tenant.status().message();
    tenant_ = tenant->id;
    std::vector<Node> nodes = CpuNodes("local", {"n1", "n2"}, "local/");
    for (Node& n : nodes) n.price_per_cpu_hour = 3.6;
    FakeDriver::Options o;
    o.name = "local";
    driver_ = std::make_unique<FakeDriver>(o, nodes);
  }
  void TearDown() override {
    controller_.reset();
    store_.reset();
  }

  void Start(const std::string& budgets_yaml) {
    BudgetSettings settings;
    Status parsed = ParseBudgets("server.yaml", YAML::Load(budgets_yaml), &settings);
    ASSERT_TRUE(parsed.ok()) << parsed.message();
    book_ = std::make_unique<BudgetBook>(settings);
    ControllerOptions options;
    options.state_dir = dir_.path();
    options.budgets = book_.get();
    controller_ = std::make_unique<Controller>(store_.get(), std::vector<Driver*>{driver_.get()}, &clock_,
                                               DecodeStoredJobSpec, options);
    controller_->RunOnce();
    ASSERT_TRUE(controller_->WaitForBackends(30 * kMicrosPerSecond));
    controller_->RunOnce();
  }

  JobId Submit(const std::string& name, const std::string& queue) {
    JobRecord rec =
        test_support::JobRecordFromYaml("name: " + name + "\nqueue: " + queue + "\n" + kTenMinutes, tenant_);
    auto id = store_->CreateJob(rec);
    EXPECT_TRUE(id.ok()) << id.status().message();
    controller_->NotifySubmitted(*id);
    return *id;
  }

  JobState State(JobId id) { return store_->GetJob(id)->state; }
  void Cycles(int n) { test_support::RunCycles(*controller_, clock_, n, 100 * kMicrosPerMilli); }

  test_support::TempDir dir_;
  // 2027-01-15T08:00:00Z.
  SimulatedClock clock_{1'800'000'000LL * kMicrosPerSecond};
  std::unique_ptr<Store> store_;
  TenantId tenant_;
  std::unique_ptr<FakeDriver> driver_;
  std::unique_ptr<BudgetBook> book_;
  std::unique_ptr<Controller> controller_;
};

// $1 for the month in queue gpu: A ($0.60) runs and keeps its estimate; B
// ($0.60) would need $1.20, so it waits with the figures. A ends after one
// minute having cost $0.06: $0.94 is left and B starts.
TEST_F(BudgetHoldTest, AHeldJobStartsWhenARunningJobEndsCheaperThanEstimated) {
  Start("{on_exceed: hold, queues: {gpu: {usd: 1, period: month}}}");
  JobId a = Submit("a", "gpu");
  Cycles(3);
  ASSERT_EQ(State(a), JobState::kRunning);
  JobId b = Submit("b", "gpu");
  // Another queue has no budget: it runs beside them.
  JobId free = Submit("free", "cpu");
  Cycles(4);
  EXPECT_EQ(State(free), JobState::kRunning);
  EXPECT_EQ(State(b), JobState::kQueued);
  const std::string why = controller_->PendingReason(b);
  EXPECT_NE(why.find("held by queue gpu's budget (on_exceed: hold): $1.00 left of $1.00 for January 2027"),
            std::string::npos)
      << why;
  EXPECT_NE(
      why.find(
          "($0.60 of it kept for 1 running job); this job is estimated at $0.60 (0.17h (its time limit)"),
      std::string::npos)
      << why;

  clock_.Advance(60 * kMicrosPerSecond);
  driver_->FinishJob("a", 0);
  Cycles(6);
  EXPECT_EQ(State(a), JobState::kSucceeded);
  EXPECT_LT(store_->GetJob(a)->cost_usd, 0.07);
  EXPECT_EQ(State(b), JobState::kRunning) << controller_->PendingReason(b);
}

// The tenant's $1 a month is spent down to $0.40 by a finished job; the next
// is held until the month rolls over, then starts.
TEST_F(BudgetHoldTest, AHeldJobStartsWhenTheCalendarPeriodRollsOver) {
  Start("{on_exceed: hold, tenants: {team: {usd: 1, period: month}}}");
  JobId a = Submit("a", "default");
  Cycles(3);
  ASSERT_EQ(State(a), JobState::kRunning);
  clock_.Advance(10 * 60 * kMicrosPerSecond);
  driver_->FinishJob("a", 0);
  Cycles(4);
  ASSERT_EQ(State(a), JobState::kSucceeded);
  EXPECT_NEAR(store_->GetJob(a)->cost_usd, 0.60, 0.002);
  JobId b = Submit("b", "default");
  Cycles(4);
  EXPECT_EQ(State(b), JobState::kQueued);
  EXPECT_NE(controller_->PendingReason(b).find("held by tenant team's budget"), std::string::npos)
      << controller_->PendingReason(b);
  EXPECT_NE(
      controller_->PendingReason(b).find("It starts when the period resets at 2027-02-01T00:00:00.000Z"),
      std::string::npos)
      << controller_->PendingReason(b);
  // One second before February: still held. From February on: it starts.
  clock_.Set(*ParseTimestamp("2027-01-31T23:59:59Z"));
  Cycles(3);
  EXPECT_EQ(State(b), JobState::kQueued);
  clock_.Set(*ParseTimestamp("2027-02-01T00:00:00Z"));
  Cycles(3);
  EXPECT_EQ(State(b), JobState::kRunning) << controller_->PendingReason(b);
}

// Budgets replaced live: raising the queue's budget releases the held job at the next cycle.
TEST_F(BudgetHoldTest, RaisingTheBudgetLiveReleasesTheHeldJob) {
  Start("{on_exceed: hold, queues: {gpu: {usd: 0.5, period: 30d}}}");
  JobId a = Submit("a", "gpu");
  Cycles(3);
  EXPECT_EQ(State(a), JobState::kQueued);
  EXPECT_NE(controller_->PendingReason(a).find("as spending leaves the rolling window"), std::string::npos)
      << controller_->PendingReason(a);
  BudgetSettings raised = book_->Settings();
  raised.queues["gpu"].usd = 0.6;
  book_->Replace(raised, "test", clock_.Now());
  controller_->NotifyBudgetsChanged();
  Cycles(3);
  EXPECT_EQ(State(a), JobState::kRunning) << controller_->PendingReason(a);
}

// With on_exceed: refuse the controller holds nothing (submission refuses instead).
TEST_F(BudgetHoldTest, RefuseHoldsNothingInTheController) {
  Start("{on_exceed: refuse, queues: {gpu: {usd: 0.5, period: 30d}}}");
  JobId a = Submit("a", "gpu");
  Cycles(3);
  EXPECT_EQ(State(a), JobState::kRunning);
}

}  // namespace
}  // namespace skyrun
