// The controller's per-backend behaviour, with in-memory drivers, a
// simulated clock and a real store: poll pacing (Driver::PollInterval), a
// lost attempt re-reading its backend's nodes before it is placed again, and
// a backend that refuses a job not stopping another from running it.
#include "controller/controller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "spec/spec_parser.h"
#include "support/controller_harness.h"
#include "support/fake_driver.h"

namespace skyrun {
namespace {

using test_support::CpuNodes;
using test_support::FakeDriver;

// A backend that runs nothing, with one node per name ("<backend>/<name>").
FakeDriver::Options Backend(const std::string& name, Micros poll_interval) {
  FakeDriver::Options o;
  o.name = name;
  o.poll_interval = poll_interval;
  return o;
}
std::vector<Node> NodesOf(const std::string& backend, const std::vector<std::string>& names = {"n1"}) {
  return CpuNodes(backend, names, backend + "/");
}

// A backend whose engine stopped answering: Poll blocks until Release().
class HungDriver final : public Driver {
 public:
  std::string Name() const override { return "slurm/hung"; }
  Result<std::vector<Node>> Inventory() override {
    Node node;
    node.name = "slurm/hung/n1";
    node.backend = Name();
    node.cpus_milli = MilliCpu(4000);
    node.memory_mib = MemoryMiB(8192);
    return std::vector<Node>{node};
  }
  Result<std::vector<std::string>> Launch(const AttemptLaunch& launch) override {
    return std::vector<std::string>(launch.tasks.size(), "hung:1");
  }
  TaskStatus Poll(const std::string&) override {
    std::unique_lock<std::mutex> lock(mu_);
    polling_ = true;
    cv_.wait(lock, [&] { return released_; });
    TaskStatus s;
    s.state = RunState::kRunning;
    return s;
  }
  Status Cancel(const std::string&) override { return Status::Ok(); }
  std::string LogPath(const std::string&) override { return ""; }
  bool polling() {
    std::lock_guard<std::mutex> lock(mu_);
    return polling_;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool polling_ = false;
  bool released_ = false;
};

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/skyrun-controller-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    auto store = Store::Open(dir_, &clock_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
    auto tenant = store_->CreateTenant("team");
    ASSERT_TRUE(tenant.ok()) << tenant.status().message();
    tenant_ = tenant->id;
  }
  void TearDown() override {
    controller_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void MakeController(std::vector<Driver*> drivers) {
    ControllerOptions options = options_;
    options.state_dir = dir_;
    controller_ =
        std::make_unique<Controller>(store_.get(), std::move(drivers), &clock_, DecodeStoredJobSpec, options);
    // Asks for the inventories, then reads them (Start would, with a loop thread).
    controller_->RunOnce();
    ASSERT_TRUE(controller_->WaitForBackends(30 * kMicrosPerSecond));
    controller_->RunOnce();
  }

  JobSpec Spec(const std::string& yaml) {
    SpecParseResult parsed = ParseJobSpecs(yaml, "job.yaml");
    EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.problems.front().ToString());
    return parsed.ok() ? parsed.specs.front() : JobSpec();
  }

  JobId Submit(const std::string& yaml) {
    JobRecord rec = test_support::JobRecordFromYaml(yaml, tenant_);
    EXPECT_TRUE(controller_->CheckSubmission(rec.spec).ok());
    auto id = store_->CreateJob(rec);
    EXPECT_TRUE(id.ok()) << id.status().message();
    controller_->NotifySubmitted(*id);
    return *id;
  }

  // Cycles of the controller, 100 ms of simulated time apart; each waits for
  // the driver calls it asked for, so the next cycle reads their answers.
  void Cycles(int n) { test_support::RunCycles(*controller_, clock_, n, 100 * kMicrosPerMilli); }

  std::string dir_;
  ControllerOptions options_;  // what MakeController passes (its state_dir is set there)
  SimulatedClock clock_{1'800'000'000LL * kMicrosPerSecond};
  std::unique_ptr<Store> store_;
  TenantId tenant_;
  std::unique_ptr<Controller> controller_;
};

TEST_F(ControllerTest, EachBackendIsPolledAtItsOwnPace) {
  FakeDriver local(Backend("local", 0), NodesOf("local"));
  FakeDriver slurm(Backend("slurm/hpc1", 2 * kMicrosPerSecond), NodesOf("slurm/hpc1"));
  MakeController({&local, &slurm});
  Submit("name: a\nresources: {cpus: 1, infra: [local]}\nrun: sleep 60\n");
  Submit("name: b\nresources: {cpus: 1, infra: [slurm]}\nrun: sleep 60\n");
  Cycles(41);  // 4 s
  ASSERT_EQ(local.calls().launches, 1);
  ASSERT_EQ(slurm.calls().launches, 1);
  // Local every cycle after its launch; Slurm once every 2 s (at 2 s and 4 s).
  EXPECT_GE(local.calls().polls, 39);
  EXPECT_EQ(slurm.calls().polls, 2);
}

TEST_F(ControllerTest, TheDriverEnforcesTheTimeLimitNotTheDeadline) {
  // The deadline is the broker's constraint; the attempt's limit is the
  // spec's time_limit, else its queue's default, else none.
  FakeDriver local(Backend("local", 0), NodesOf("local"));
  options_.queue_time_limits["short"] = 1200;
  MakeController({&local});
  Submit("name: a\ndeadline: 6h\ntime_limit: 90m\nresources: {cpus: 1}\nrun: sleep 60\n");
  Submit("name: b\nqueue: short\ndeadline: 6h\nresources: {cpus: 1}\nrun: sleep 60\n");
  Submit("name: c\ndeadline: 6h\nresources: {cpus: 1}\nrun: sleep 60\n");
  Cycles(2);
  const std::vector<std::optional<int64_t>> limits = local.time_limits();
  ASSERT_EQ(limits.size(), 3u);
  EXPECT_EQ(limits[0], 5400);
  EXPECT_EQ(limits[1], 1200);
  EXPECT_FALSE(limits[2].has_value());
}

TEST_F(ControllerTest, ALostAttemptIsPlacedAgainOnlyAfterItsBackendsNodesAreReadAgain) {
  FakeDriver slurm(Backend("slurm/hpc1", 0), NodesOf("slurm/hpc1", {"n1", "n2"}));
  MakeController({&slurm});
  Submit("name: a\nresources: {cpus: 3}\nrun: sleep 60\n");
  Cycles(2);
  ASSERT_EQ(slurm.calls().launches, 1);
  const std::string first = slurm.launched_nodes().at(0);
  int inventories = slurm.calls().inventories;
  // Well within the 30 s inventory interval, the node dies under the task.
  slurm.FailNode(first);
  Cycles(3);  // the poll answers LOST; the nodes are read again; the job is placed
  EXPECT_EQ(slurm.calls().inventories, inventories + 1) << "the lost attempt's backend is read again, once";
  ASSERT_EQ(slurm.calls().launches, 2);
  EXPECT_NE(slurm.launched_nodes().at(1), first) << "placed again on the node that just failed";
}

TEST_F(ControllerTest, ABackendThatCannotRunAJobDoesNotStopAnotherFromRunningIt) {
  FakeDriver local(Backend("local", 0), NodesOf("local"));
  FakeDriver slurm(Backend("slurm/hpc1", 0), NodesOf("slurm/hpc1"));
  local.RefuseJobs("no container runtime");
  MakeController({&local, &slurm});
  Submit("name: anywhere\nresources: {cpus: 1}\nrun: sleep 60\n");
  Cycles(2);
  EXPECT_EQ(local.calls().launches, 0);
  EXPECT_EQ(slurm.calls().launches, 1);

  // When every allowed backend refuses, the submission is refused with every reason.
  slurm.RefuseJobs("no container runtime");
  Status s = controller_->CheckSubmission(Spec("name: nowhere\nresources: {cpus: 1}\nrun: 'true'\n"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "local cannot run job 'nowhere': no container runtime | slurm/hpc1 cannot run job 'nowhere': no "
            "container runtime");
  // And a job too big for the backend that can run it is refused as never fitting (HTTP 400).
  slurm.RefuseJobs("");
  Status big = controller_->CheckSubmission(Spec("name: big\nresources: {cpus: 64}\nrun: 'true'\n"));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(big.message().find("slurm/hpc1"), std::string::npos) << big.message();
  EXPECT_EQ(big.message().find("local:"), std::string::npos) << big.message();
}

TEST_F(ControllerTest, ABackendThatHangsDelaysOnlyItsOwnJobs) {
  FakeDriver local(Backend("local", 0), NodesOf("local"));
  HungDriver hung;
  MakeController({&local, &hung});
  JobId stuck = Submit("name: stuck\nresources: {cpus: 1, infra: [slurm]}\nrun: sleep 60\n");
  // Launched, then polled: the poll never returns. A cycle that waited for it would never end.
  for (int i = 0; i < 100 && !hung.polling(); ++i) {
    controller_->RunOnce();
    controller_->WaitForBackends(100 * kMicrosPerMilli);
    clock_.Advance(100 * kMicrosPerMilli);
  }
  ASSERT_TRUE(hung.polling());
  // Meanwhile a local job is admitted, launched and followed, and readers answer.
  JobId here = Submit("name: here\nresources: {cpus: 1, infra: [local]}\nrun: sleep 60\n");
  for (int i = 0; i < 4; ++i) {
    controller_->RunOnce();
    controller_->WaitForBackends(100 * kMicrosPerMilli);  // the hung backend never goes idle
    clock_.Advance(100 * kMicrosPerMilli);
  }
  EXPECT_EQ(local.calls().launches, 1);
  EXPECT_GE(local.calls().polls, 1);
  auto job = store_->GetJob(here);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state, JobState::kRunning);
  EXPECT_EQ(store_->GetJob(stuck)->state, JobState::kScheduled);
  EXPECT_EQ(controller_->Nodes().size(), 2u);
  hung.Release();
  controller_.reset();  // Stop joins the worker once its call returns
}

TEST_F(ControllerTest, AnAttemptIsBilledAtEachPriceInForceWhileItRan) {
  std::vector<Node> nodes = NodesOf("local");
  nodes[0].price_per_cpu_hour = 1.0;
  FakeDriver local(Backend("local", 0), nodes);
  MakeController({&local});
  JobId id = Submit("name: spot\nresources: {cpus: 1}\nrun: sleep 600\n");
  Cycles(3);
  auto running = store_->ListAttempts(id);
  ASSERT_TRUE(running.ok());
  ASSERT_EQ(running->size(), 1u);
  ASSERT_EQ(running->at(0).state, RunState::kRunning);
  ASSERT_DOUBLE_EQ(running->at(0).hourly_price, 1.0);
  const Micros start = running->at(0).started_at;
  // An hour in, the price triples (a spot price moved); the task runs two hours in all.
  PriceChange change;
  change.job = id;
  change.attempt_no = 1;
  change.rank = 0;
  change.at = start + 3600 * kMicrosPerSecond;
  change.usd_per_hour = 3.0;
  ASSERT_TRUE(store_->RecordPriceChange(change).ok());
  clock_.Set(start + 7200 * kMicrosPerSecond);
  local.FinishJob("spot", 0);
  Cycles(3);
  auto job = store_->GetJob(id);
  ASSERT_TRUE(job.ok());
  ASSERT_EQ(job->state, JobState::kSucceeded);
  auto ended = store_->ListAttempts(id);
  ASSERT_TRUE(ended.ok());
  const Micros ran = ended->at(0).ended_at - start;
  ASSERT_GE(ran, 7200 * kMicrosPerSecond);
  // $1 for the first hour, $3/h for every started second after it.
  const double want =
      1.0 + 3.0 * static_cast<double>((ran + kMicrosPerSecond - 1) / kMicrosPerSecond - 3600) / 3600;
  EXPECT_NEAR(ended->at(0).cost_usd, want, 1e-9);
  EXPECT_NEAR(job->cost_usd, want, 1e-9);
}

// A job's own budget (spec `budget`): at $3.60/h ($0.001 a second) a $0.05
// budget lasts 50 s. Before that nothing is stopped; once reached, the job's
// task is cancelled (the driver's SIGTERM and kill grace) and the job ends
// FAILED with the reason. A job without a budget on the same node runs on.
TEST_F(ControllerTest, AJobThatReachesItsOwnBudgetIsStoppedWithTheReason) {
  std::vector<Node> nodes = NodesOf("local");
  nodes[0].price_per_cpu_hour = 3.6;
  FakeDriver local(Backend("local", 0), nodes);
  MakeController({&local});
  JobId capped = Submit("name: capped\nbudget: 0.05\nresources: {cpus: 1}\nrun: sleep 600\n");
  JobId free = Submit("name: free\nresources: {cpus: 1}\nrun: sleep 600\n");
  Cycles(3);
  auto running = store_->ListAttempts(capped);
  ASSERT_TRUE(running.ok());
  ASSERT_EQ(running->size(), 1u);
  ASSERT_EQ(running->at(0).state, RunState::kRunning);
  const Micros start = running->at(0).started_at;

  // 40 s in: $0.04 spent, under the budget.
  clock_.Set(start + 40 * kMicrosPerSecond);
  Cycles(2);
  EXPECT_EQ(local.calls().cancels, 0);
  ASSERT_EQ(store_->GetJob(capped)->state, JobState::kRunning);

  // 50 s in: the budget is reached; the task is cancelled and the job ends.
  clock_.Set(start + 50 * kMicrosPerSecond);
  Cycles(4);
  EXPECT_EQ(local.calls().cancels, 1);
  auto job = store_->GetJob(capped);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state, JobState::kFailed);
  EXPECT_NE(job->reason.find("budget $0.05 reached (it has cost $0.05"), std::string::npos) << job->reason;
  EXPECT_GE(job->cost_usd, 0.05);
  EXPECT_EQ(store_->GetJob(free)->state, JobState::kRunning);
}

// An attempt lost after the budget was spent is not placed again.
TEST_F(ControllerTest, ALostAttemptIsNotRetriedOnceTheBudgetIsSpent) {
  std::vector<Node> nodes = NodesOf("local", {"n1", "n2"});
  for (Node& n : nodes) n.price_per_cpu_hour = 3.6;
  FakeDriver local(Backend("local", 0), nodes);
  MakeController({&local});
  // Budget $0.03: reached 30 s in. The node fails early; the poll that says
  // so is read at 35 s (the cycle reads answers before it weighs budgets), so
  // the attempt ends having cost $0.035 and a retry would spend more.
  JobId id = Submit("name: lost\nbudget: 0.03\nresources: {cpus: 1}\nrun: sleep 600\n");
  Cycles(3);
  auto running = store_->ListAttempts(id);
  ASSERT_TRUE(running.ok());
  ASSERT_EQ(running->size(), 1u);
  const Micros start = running->at(0).started_at;
  local.FailNode(running->at(0).node);
  Cycles(1);  // asks the poll that answers LOST
  clock_.Set(start + 35 * kMicrosPerSecond);
  Cycles(4);
  EXPECT_EQ(local.calls().cancels, 0);
  auto job = store_->GetJob(id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state, JobState::kFailed) << job->reason;
  EXPECT_NE(job->reason.find("not tried again: budget $0.03 reached"), std::string::npos) << job->reason;
  EXPECT_EQ(store_->ListAttempts(id)->size(), 1u);
}

}  // namespace
}  // namespace skyrun
