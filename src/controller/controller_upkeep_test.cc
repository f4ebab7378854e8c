// No Status is dropped: every write the store refuses and every driver call
// that fails is logged (what failed, for which job), and a state change the
// store refused keeps the job in memory and is retried until it is stored.
// A real store wrapped so that its writes fail on demand, an in-memory
// driver, a simulated clock and a logger whose lines the test reads.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "common/log.h"
#include "controller/controller.h"
#include "spec/spec_parser.h"
#include "support/controller_harness.h"
#include "support/fake_driver.h"

namespace skyrun {
namespace {

// The real store; its writes fail while `fail_writes` is set, as a full disk would.
class FaultyStore final : public Store {
 public:
  explicit FaultyStore(std::unique_ptr<Store> real) : real_(std::move(real)) {}
  std::atomic<bool> fail_writes{false};

  // While held, a transition waits inside the store (as a slow disk would),
  // with the controller's cycle lock held by its caller.
  void Hold() {
    std::lock_guard<std::mutex> lock(gate_mu_);
    held_ = true;
  }
  void Let() {
    std::lock_guard<std::mutex> lock(gate_mu_);
    held_ = false;
    gate_cv_.notify_all();
  }
  void WaitUntilAWriteWaits() {
    std::unique_lock<std::mutex> lock(gate_mu_);
    gate_cv_.wait(lock, [&] { return waiting_ > 0; });
  }

  Result<JobId> CreateJob(const JobRecord& job) override { return real_->CreateJob(job); }
  Result<JobRecord> GetJob(JobId id) override { return real_->GetJob(id); }
  Result<std::vector<JobRecord>> ListJobs(const JobFilter& f) override { return real_->ListJobs(f); }
  Status ApplyTransition(const Transition& t) override {
    {
      std::unique_lock<std::mutex> lock(gate_mu_);
      waiting_++;
      gate_cv_.notify_all();
      gate_cv_.wait(lock, [&] { return !held_; });
      waiting_--;
    }
    return fail_writes ? Unavailable("disk full") : real_->ApplyTransition(t);
  }
  Status RequestCancel(JobId id) override { return real_->RequestCancel(id); }
  Status UpdateAttempts(const std::vector<AttemptRecord>& a) override {
    return fail_writes ? Unavailable("disk full") : real_->UpdateAttempts(a);
  }
  Result<std::vector<TaskRecord>> ListTasks(JobId id) override { return real_->ListTasks(id); }
  Result<std::vector<AttemptRecord>> ListAttempts(JobId id) override { return real_->ListAttempts(id); }
  Result<std::vector<EventRecord>> ListEvents(JobId id) override { return real_->ListEvents(id); }
  Result<std::vector<std::pair<JobState, int64_t>>> CountJobsByState() override {
    return real_->CountJobsByState();
  }
  Result<std::vector<std::pair<int64_t, std::string>>> ListLiveUploads() override {
    return real_->ListLiveUploads();
  }
  Result<std::vector<std::pair<JobState, int64_t>>> CountTenantJobsByState(TenantId t) override {
    return real_->CountTenantJobsByState(t);
  }
  Result<TenantRecord> CreateTenant(const std::string& name) override { return real_->CreateTenant(name); }
  Result<TenantRecord> GetTenantByName(const std::string& name) override {
    return real_->GetTenantByName(name);
  }
  Result<std::vector<TenantRecord>> ListTenants() override { return real_->ListTenants(); }
  Result<TokenRecord> CreateToken(TenantId tenant, AccessRole role, const std::string& hash,
                                  const std::string& description, const TokenOptions& options) override {
    return real_->CreateToken(tenant, role, hash, description, options);
  }
  Result<TokenRecord> LookupToken(const std::string& hash) override { return real_->LookupToken(hash); }
  Result<std::vector<TokenRecord>> ListTokens(std::optional<TenantId> t) override {
    return real_->ListTokens(t);
  }
  Result<TokenRecord> RevokeToken(TokenId id, std::optional<TenantId> keep) override {
    return real_->RevokeToken(id, keep);
  }
  Status RecordTokenUse(TokenId id, Micros at) override { return real_->RecordTokenUse(id, at); }
  Status ReplaceNodes(const std::string& backend, const std::vector<Node>& nodes) override {
    return fail_writes ? Unavailable("disk full") : real_->ReplaceNodes(backend, nodes);
  }
  Result<std::vector<Node>> ListNodes() override { return real_->ListNodes(); }
  Status RecordPriceChange(const PriceChange& c) override { return real_->RecordPriceChange(c); }
  Status RecordEgress(const EgressCharge& e) override { return real_->RecordEgress(e); }
  Result<std::vector<PriceChange>> ListPriceChanges(JobId job) override {
    return real_->ListPriceChanges(job);
  }
  Result<BillingData> ListBilling(Micros from, Micros to, std::optional<TenantId> tenant) override {
    return real_->ListBilling(from, to, tenant);
  }
  Status RecordProvisionTry(const ProvisionTry& t) override { return real_->RecordProvisionTry(t); }
  Status SaveHeldBlock(const HeldBlockRow& b) override { return real_->SaveHeldBlock(b); }
  Result<std::vector<HeldBlockRow>> ListHeldBlocks(Micros now) override { return real_->ListHeldBlocks(now); }
  Result<std::vector<ProvisionTry>> ListProvisionTries(JobId job) override {
    return real_->ListProvisionTries(job);
  }
  Status PutDirectoryRow(const DirectoryRow& row) override {
    return fail_writes ? Unavailable("disk full") : real_->PutDirectoryRow(row);
  }
  Result<std::vector<DirectoryRow>> ListDirectoryRows() override { return real_->ListDirectoryRows(); }

 private:
  std::unique_ptr<Store> real_;
  std::mutex gate_mu_;
  std::condition_variable gate_cv_;
  bool held_ = false;
  int waiting_ = 0;
};

using test_support::FakeDriver;

FakeDriver::Options Local() {
  FakeDriver::Options o;
  o.name = "local";
  return o;
}

class ControllerUpkeepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/skyrun-upkeep-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    auto real = Store::Open(dir_, &clock_);
    ASSERT_TRUE(real.ok()) << real.status().message();
    store_ = std::make_unique<FaultyStore>(std::move(real).value());
    log_.StartCapture();
  }
  void TearDown() override {
    controller_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void MakeController() {
    SpecDecoder decoder = [this](const std::string& yaml, const std::string& file) -> Result<JobSpec> {
      if (spec_broken_) return InvalidArgument(file + ": the parser changed");
      return DecodeStoredJobSpec(yaml, file);
    };
    ControllerOptions options;
    options.state_dir = dir_;
    options.logger = &log_;
    controller_ =
        std::make_unique<Controller>(store_.get(), std::vector<Driver*>{&driver_}, &clock_, decoder, options);
    Cycles(2);  // asks for the inventory, then reads it
  }

  JobId Submit(const std::string& yaml = "name: a\nresources: {cpus: 1}\nrun: sleep 60\n") {
    JobRecord rec = test_support::JobRecordFromYaml(yaml);
    auto id = store_->CreateJob(rec);
    EXPECT_TRUE(id.ok()) << id.status().message();
    controller_->NotifySubmitted(*id);
    return *id;
  }

  // Cycles of the controller, 200 ms of simulated time apart (more than the
  // first pause before a refused write is tried again).
  void Cycles(int n) { test_support::RunCycles(*controller_, clock_, n, 200 * kMicrosPerMilli); }
  std::set<std::string> Forgotten() {
    auto f = driver_.forgotten();
    return {f.begin(), f.end()};
  }

  JobState StoredState(JobId id) {
    auto j = store_->GetJob(id);
    EXPECT_TRUE(j.ok());
    return j.ok() ? j->state : JobState::kSubmitted;
  }

  // Whether some captured line starts with `level` and contains every part.
  bool Logged(const std::string& level, const std::vector<std::string>& parts) {
    for (const auto& line : log_.Captured()) {
      if (line.rfind(level + " ", 0) != 0) continue;
      bool all = true;
      for (const auto& p : parts) all = all && line.find(p) != std::string::npos;
      if (all) return true;
    }
    return false;
  }
  std::string AllLines() {
    std::string out;
    for (const auto& l : log_.Captured()) out += l + "\n";
    return out;
  }

  std::string dir_;
  SimulatedClock clock_{1'800'000'000LL * kMicrosPerSecond};
  std::unique_ptr<FaultyStore> store_;
  Logger log_{"test", Logger::Output::kNone, LogLevel::kDebug};
  FakeDriver driver_{Local(), test_support::CpuNodes("local", {"n1", "n2"})};
  bool spec_broken_ = false;
  std::unique_ptr<Controller> controller_;
};

TEST_F(ControllerUpkeepTest, EveryStateChangeIsLoggedOnce) {
  MakeController();
  JobId id = Submit();
  Cycles(3);
  ASSERT_EQ(StoredState(id), JobState::kRunning) << AllLines();
  const std::string job = "job " + id.ToString() + ": ";
  EXPECT_TRUE(Logged("info", {job + "SUBMITTED -> QUEUED: admitted to queue"})) << AllLines();
  EXPECT_TRUE(Logged("info", {job + "QUEUED -> SCHEDULED: placed on"})) << AllLines();
  EXPECT_TRUE(Logged("info", {job + "SCHEDULED -> RUNNING: all 1 task(s) started"})) << AllLines();
}

TEST_F(ControllerUpkeepTest, AFinalStateTheStoreRefusesKeepsTheJobAndIsRetried) {
  MakeController();
  JobId id = Submit();
  Cycles(3);
  ASSERT_EQ(StoredState(id), JobState::kRunning) << AllLines();

  store_->fail_writes = true;
  driver_.Finish("a:1:0", 0);
  Cycles(3);
  EXPECT_TRUE(Logged("error", {"job " + id.ToString() + ": storing RUNNING -> SUCCEEDED", "disk full"}))
      << AllLines();
  EXPECT_TRUE(Logged("warning", {"job " + id.ToString() + ": kept in memory"})) << AllLines();
  EXPECT_EQ(StoredState(id), JobState::kRunning);
  EXPECT_EQ(controller_->Metrics().running_jobs, 1) << "the job was dropped from memory";
  EXPECT_TRUE(Forgotten().empty()) << "its handle was forgotten before the job ended";

  store_->fail_writes = false;
  Cycles(30);  // past the growing pause between tries
  EXPECT_EQ(StoredState(id), JobState::kSucceeded) << AllLines();
  EXPECT_TRUE(Logged("info", {"job " + id.ToString() + ": RUNNING -> SUCCEEDED"})) << AllLines();
  EXPECT_EQ(controller_->Metrics().running_jobs, 0);
  EXPECT_EQ(Forgotten(), (std::set<std::string>{"a:1:0"}));
}

TEST_F(ControllerUpkeepTest, ARecoveryTheStoreRefusesIsRetriedAndTheJobPlacedAgain) {
  MakeController();
  JobId id = Submit();
  Cycles(3);
  ASSERT_EQ(StoredState(id), JobState::kRunning);
  store_->fail_writes = true;
  driver_.FailNode(driver_.launched_nodes().at(0));  // its task is LOST
  Cycles(3);
  EXPECT_TRUE(Logged("error", {"job " + id.ToString() + ": storing RUNNING -> RECOVERING", "disk full"}))
      << AllLines();
  EXPECT_EQ(driver_.calls().launches, 1) << "placed again before RECOVERING was stored";
  store_->fail_writes = false;
  Cycles(30);
  EXPECT_EQ(driver_.calls().launches, 2) << AllLines();
  EXPECT_EQ(StoredState(id), JobState::kRunning) << AllLines();
  EXPECT_TRUE(Forgotten().count("a:1:0")) << "the lost attempt's handle is kept forever";
}

TEST_F(ControllerUpkeepTest, RefusedTaskRowsAndNodesAreLoggedAndTheRowsWrittenLater) {
  MakeController();
  JobId id = Submit("name: gang\nmode: gang\nnum_nodes: 2\nresources: {cpus: 1}\nrun: sleep 60\n");
  Cycles(3);
  ASSERT_EQ(StoredState(id), JobState::kRunning) << AllLines();
  store_->fail_writes = true;
  driver_.Finish("gang:1:0", 0);  // one rank ends: a row update, no state change
  Cycles(2);
  EXPECT_TRUE(
      Logged("warning", {"job " + id.ToString() + ": storing the state of 1 task(s) failed", "disk full"}))
      << AllLines();
  store_->fail_writes = false;
  Cycles(2);
  auto attempts = store_->ListAttempts(id);
  ASSERT_TRUE(attempts.ok());
  ASSERT_EQ(attempts->size(), 2u);
  EXPECT_EQ(attempts->at(0).state, RunState::kSucceeded) << "the refused row was never written";

  // The inventory's copy in the store (what `skyrun nodes` lists).
  store_->fail_writes = true;
  controller_.reset();
  MakeController();
  EXPECT_TRUE(Logged("warning", {"storing the 2 node(s) of backend local failed", "disk full"}))
      << AllLines();
  store_->fail_writes = false;
}

TEST_F(ControllerUpkeepTest, AFailedCancelIsLoggedAndAskedAgain) {
  MakeController();
  JobId id = Submit();
  Cycles(3);
  driver_.FailCancels(Unavailable("the engine did not answer"));
  ASSERT_TRUE(store_->RequestCancel(id).ok());
  controller_->NotifyCancel(id);
  Cycles(2);
  EXPECT_TRUE(
      Logged("warning", {"job " + id.ToString() + " rank 0: cancelling task a:1:0 failed", "did not answer"}))
      << AllLines();
  driver_.FailCancels(Status::Ok());
  Cycles(5);
  EXPECT_EQ(StoredState(id), JobState::kCancelled) << AllLines();
}

// A refusal the next attempt would meet again (here, an image the registry
// does not have) fails the job at once, with the backend's answer.
TEST_F(ControllerUpkeepTest, AFinalLaunchRefusalFailsTheJobAtOnceWithTheAnswer) {
  MakeController();
  driver_.FailLaunches(NotFound("registry 127.0.0.1:5000 answered 404 MANIFEST_UNKNOWN for ml/x:nope"));
  JobId id = Submit();
  Cycles(6);
  EXPECT_EQ(StoredState(id), JobState::kFailed) << AllLines();
  EXPECT_EQ(driver_.calls().launches, 1) << "no second try of a refusal that cannot pass";
  auto job = store_->GetJob(id);
  ASSERT_TRUE(job.ok());
  EXPECT_NE(job->reason.find("MANIFEST_UNKNOWN"), std::string::npos) << job->reason;
  driver_.FailLaunches(Status::Ok());
}

TEST_F(ControllerUpkeepTest, AFailedLaunchIsLoggedWithTheJob) {
  MakeController();
  driver_.FailLaunches(Unavailable("the engine refused the job"), 1);
  JobId id = Submit();
  Cycles(6);
  EXPECT_TRUE(
      Logged("warning", {"job " + id.ToString() + ": launching attempt 1 on local failed", "engine refused"}))
      << AllLines();
  EXPECT_TRUE(Logged("info", {"job " + id.ToString() + ": SCHEDULED -> RECOVERING: launch failed"}))
      << AllLines();
  EXPECT_EQ(StoredState(id), JobState::kRunning) << AllLines();
  EXPECT_EQ(driver_.calls().launches, 2) << "the refused launch and the one that ran";
}

TEST_F(ControllerUpkeepTest, AStoredSpecThatNoLongerParsesFailsTheJobAndARefusalIsRetried) {
  MakeController();
  spec_broken_ = true;
  store_->fail_writes = true;
  JobId id = Submit();
  Cycles(2);
  EXPECT_TRUE(Logged("error", {"job " + id.ToString() + ": storing SUBMITTED -> FAILED", "disk full"}))
      << AllLines();
  store_->fail_writes = false;
  Cycles(30);
  EXPECT_EQ(StoredState(id), JobState::kFailed) << AllLines();
  EXPECT_TRUE(
      Logged("info", {"job " + id.ToString() + ": SUBMITTED -> FAILED: the stored spec no longer parses"}))
      << AllLines();
}

TEST_F(ControllerUpkeepTest, AnAttemptVoidedAtRestartIsPlacedAgainWithoutAPoll) {
  // The state a crash leaves: SCHEDULED, its one task recorded as LAUNCHING, never launched.
  MakeController();
  JobId id = Submit();
  controller_.reset();
  Transition queued;
  queued.job = id;
  queued.from = JobState::kSubmitted;
  queued.to = JobState::kQueued;
  ASSERT_TRUE(store_->ApplyTransition(queued).ok());
  Transition scheduled;
  scheduled.job = id;
  scheduled.from = JobState::kQueued;
  scheduled.to = JobState::kScheduled;
  scheduled.attempt_no = 1;
  AttemptRecord a;
  a.job_id = id;
  a.attempt_no = 1;
  a.node = "n1";
  a.backend = "local";
  a.cpus_milli = MilliCpu(1000);
  a.handle = "never-launched";
  a.state = RunState::kLaunching;
  scheduled.new_attempts = {a};
  ASSERT_TRUE(store_->ApplyTransition(scheduled).ok());

  ControllerOptions options;
  options.state_dir = dir_;
  options.logger = &log_;
  controller_ = std::make_unique<Controller>(store_.get(), std::vector<Driver*>{&driver_}, &clock_,
                                             DecodeStoredJobSpec, options);
  ASSERT_TRUE(controller_->Start().ok());
  // The loop runs on its own; the voided attempt is never polled (its one task
  // has ended), yet the job must be placed again.
  for (int i = 0; i < 300 && driver_.calls().launches == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  controller_->Stop();
  EXPECT_EQ(driver_.calls().launches, 1) << AllLines();
  auto job = store_->GetJob(id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->attempt_no, 2) << AllLines();
  EXPECT_TRUE(Logged("info", {"job " + id.ToString() + ": SCHEDULED -> RECOVERING"})) << AllLines();
}

TEST_F(ControllerUpkeepTest, EveryLiveTaskOfABackendIsPolledInOneBatch) {
  MakeController();
  Submit("name: a\nresources: {cpus: 1}\nrun: sleep 60\n");
  Submit("name: b\nresources: {cpus: 1}\nrun: sleep 60\n");
  Submit("name: gang\nmode: gang\nnum_nodes: 2\nresources: {cpus: 1}\nrun: sleep 60\n");
  Cycles(4);
  auto batches = driver_.poll_batches();
  ASSERT_FALSE(batches.empty());
  EXPECT_EQ(batches.back(), 4u) << "one PollMany with the 4 tasks of 3 jobs";
  for (size_t b : batches) EXPECT_LE(b, 4u);
}

TEST_F(ControllerUpkeepTest, ReadersDoNotWaitForTheCycle) {
  MakeController();
  JobId big = Submit("name: big\nresources: {cpus: 64}\nrun: sleep 60\n");  // fits no node: waits
  Cycles(2);
  ASSERT_NE(controller_->PendingReason(big), "");

  // A cycle stuck in a store write holds the cycle lock...
  store_->Hold();
  Submit();
  std::thread cycle([&] { controller_->RunOnce(); });
  store_->WaitUntilAWriteWaits();
  // ...and readers still answer, from the last published view.
  auto read = std::async(std::launch::async, [&] {
    return std::make_tuple(controller_->PendingReason(big), controller_->Nodes().size(),
                           controller_->Metrics().queue_length);
  });
  const bool answered = read.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  store_->Let();
  cycle.join();
  ASSERT_TRUE(answered) << "a reader waited for the cycle's lock";
  auto [reason, nodes, queued] = read.get();
  EXPECT_NE(reason.find("CPU"), std::string::npos) << reason;
  EXPECT_EQ(nodes, 2u);
  EXPECT_EQ(queued, 1);
}

}  // namespace
}  // namespace skyrun
