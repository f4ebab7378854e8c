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

namespace skyrun {
namespace {

// A backend that runs nothing: its tasks are RUNNING until told otherwise.
class FakeDriver final : public Driver {
 public:
  FakeDriver(std::string name, Micros poll_interval, std::vector<std::string> nodes = {"n1"})
      : name_(std::move(name)), poll_interval_(poll_interval), nodes_(std::move(nodes)) {}

  std::string Name() const override { return name_; }
  Micros PollInterval() const override { return poll_interval_; }
  Result<std::vector<Node>> Inventory() override {
    std::lock_guard<std::mutex> lock(mu_);
    inventories++;
    std::vector<Node> out;
    for (const auto& n : nodes_) {
      Node node;
      node.name = name_ + "/" + n;
      node.backend = name_;
      node.cpus_milli = 4000;
      node.memory_mib = 8192;
      node.state = down_.count(n) ? NodeState::kDown : NodeState::kUp;
      out.push_back(node);
    }
    return out;
  }
  Status CanRun(const JobSpec& spec) override {
    if (refuse_)
      return FailedPrecondition(name_ + " cannot run job '" + spec.name + "': no container runtime");
    return Status::Ok();
  }
  Result<std::vector<std::string>> Launch(const AttemptLaunch& launch) override {
    std::lock_guard<std::mutex> lock(mu_);
    launches++;
    time_limits.push_back(launch.time_limit_seconds);
    std::vector<std::string> handles;
    for (const auto& t : launch.tasks) {
      handles.push_back(name_ + ":" + std::to_string(launch.attempt_no) + ":" + std::to_string(t.rank));
      launched_on.push_back(t.placement.node);
    }
    return handles;
  }
  TaskStatus Poll(const std::string& handle) override {
    std::lock_guard<std::mutex> lock(mu_);
    polls++;
    TaskStatus s;
    s.state = lost_.count(handle) ? RunState::kLost : RunState::kRunning;
    if (s.state == RunState::kLost) s.reason = "NODE_FAIL (node n1 is down)";
    return s;
  }
  Status Cancel(const std::string&) override { return Status::Ok(); }
  std::string LogPath(const std::string&) override { return ""; }

  void SetRefuse(bool refuse) { refuse_ = refuse; }
  // The node goes down and the task on it is lost, as Slurm reports NODE_FAIL.
  void FailNode(const std::string& node, const std::string& handle) {
    std::lock_guard<std::mutex> lock(mu_);
    down_.insert(node);
    lost_.insert(handle);
  }

  int polls = 0, launches = 0, inventories = 0;
  std::vector<std::string> launched_on;
  std::vector<std::optional<int64_t>> time_limits;  // per launch

 private:
  std::string name_;
  Micros poll_interval_;
  std::vector<std::string> nodes_;
  std::atomic<bool> refuse_{false};
  std::mutex mu_;
  std::set<std::string> down_, lost_;
};

// A backend whose engine stopped answering: Poll blocks until Release().
class HungDriver final : public Driver {
 public:
  std::string Name() const override { return "slurm/hung"; }
  Result<std::vector<Node>> Inventory() override {
    Node node;
    node.name = "slurm/hung/n1";
    node.backend = Name();
    node.cpus_milli = 4000;
    node.memory_mib = 8192;
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
    SpecDecoder decoder = [](const std::string& yaml, const std::string& file) -> Result<JobSpec> {
      SpecParseResult parsed = ParseJobSpecs(yaml, file);
      if (!parsed.ok()) return InvalidArgument(parsed.problems.front().ToString());
      return parsed.specs.front();
    };
    ControllerOptions options = options_;
    options.state_dir = dir_;
    controller_ = std::make_unique<Controller>(store_.get(), std::move(drivers), &clock_, decoder, options);
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
    JobRecord rec;
    rec.tenant = tenant_;
    rec.spec = Spec(yaml);
    rec.name = rec.spec.name;
    rec.queue = rec.spec.queue;
    rec.priority = rec.spec.priority;
    rec.spec_yaml = yaml;
    rec.spec_file = "job.yaml";
    EXPECT_TRUE(controller_->CheckSubmission(rec.spec).ok());
    auto id = store_->CreateJob(rec);
    EXPECT_TRUE(id.ok()) << id.status().message();
    controller_->NotifySubmitted(*id);
    return *id;
  }

  // Cycles of the controller, 100 ms of simulated time apart; each waits for
  // the driver calls it asked for, so the next cycle reads their answers.
  void Cycles(int n) {
    for (int i = 0; i < n; ++i) {
      controller_->RunOnce();
      ASSERT_TRUE(controller_->WaitForBackends(30 * kMicrosPerSecond));
      clock_.Advance(100 * kMicrosPerMilli);
    }
  }

  std::string dir_;
  ControllerOptions options_;  // what MakeController passes (its state_dir is set there)
  SimulatedClock clock_{1'800'000'000LL * kMicrosPerSecond};
  std::unique_ptr<Store> store_;
  TenantId tenant_;
  std::unique_ptr<Controller> controller_;
};

TEST_F(ControllerTest, EachBackendIsPolledAtItsOwnPace) {
  FakeDriver local("local", 0);
  FakeDriver slurm("slurm/hpc1", 2 * kMicrosPerSecond);
  MakeController({&local, &slurm});
  Submit("name: a\nresources: {cpus: 1, infra: [local]}\nrun: sleep 60\n");
  Submit("name: b\nresources: {cpus: 1, infra: [slurm]}\nrun: sleep 60\n");
  Cycles(41);  // 4 s
  ASSERT_EQ(local.launches, 1);
  ASSERT_EQ(slurm.launches, 1);
  // Local every cycle after its launch; Slurm once every 2 s (at 2 s and 4 s).
  EXPECT_GE(local.polls, 39);
  EXPECT_EQ(slurm.polls, 2);
}

TEST_F(ControllerTest, TheDriverEnforcesTheTimeLimitNotTheDeadline) {
  // The deadline is the broker's constraint; the attempt's limit is the
  // spec's time_limit, else its queue's default, else none.
  FakeDriver local("local", 0);
  options_.queue_time_limits["short"] = 1200;
  MakeController({&local});
  Submit("name: a\ndeadline: 6h\ntime_limit: 90m\nresources: {cpus: 1}\nrun: sleep 60\n");
  Submit("name: b\nqueue: short\ndeadline: 6h\nresources: {cpus: 1}\nrun: sleep 60\n");
  Submit("name: c\ndeadline: 6h\nresources: {cpus: 1}\nrun: sleep 60\n");
  Cycles(2);
  ASSERT_EQ(local.time_limits.size(), 3u);
  EXPECT_EQ(local.time_limits[0], 5400);
  EXPECT_EQ(local.time_limits[1], 1200);
  EXPECT_FALSE(local.time_limits[2].has_value());
}

TEST_F(ControllerTest, ALostAttemptIsPlacedAgainOnlyAfterItsBackendsNodesAreReadAgain) {
  FakeDriver slurm("slurm/hpc1", 0, {"n1", "n2"});
  MakeController({&slurm});
  Submit("name: a\nresources: {cpus: 3}\nrun: sleep 60\n");
  Cycles(2);
  ASSERT_EQ(slurm.launches, 1);
  const std::string first = slurm.launched_on.at(0);
  int inventories = slurm.inventories;
  // Well within the 30 s inventory interval, the node dies under the task.
  slurm.FailNode(first.substr(first.rfind('/') + 1), "slurm/hpc1:1:0");
  Cycles(3);  // the poll answers LOST; the nodes are read again; the job is placed
  EXPECT_EQ(slurm.inventories, inventories + 1) << "the lost attempt's backend is read again, once";
  ASSERT_EQ(slurm.launches, 2);
  EXPECT_NE(slurm.launched_on.at(1), first) << "placed again on the node that just failed";
}

TEST_F(ControllerTest, ABackendThatCannotRunAJobDoesNotStopAnotherFromRunningIt) {
  FakeDriver local("local", 0);
  FakeDriver slurm("slurm/hpc1", 0);
  local.SetRefuse(true);
  MakeController({&local, &slurm});
  Submit("name: anywhere\nresources: {cpus: 1}\nrun: sleep 60\n");
  Cycles(2);
  EXPECT_EQ(local.launches, 0);
  EXPECT_EQ(slurm.launches, 1);

  // When every allowed backend refuses, the submission is refused with every reason.
  slurm.SetRefuse(true);
  Status s = controller_->CheckSubmission(Spec("name: nowhere\nresources: {cpus: 1}\nrun: 'true'\n"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "local cannot run job 'nowhere': no container runtime | slurm/hpc1 cannot run job 'nowhere': no "
            "container runtime");
  // And a job too big for the backend that can run it is refused as never fitting (HTTP 400).
  slurm.SetRefuse(false);
  Status big = controller_->CheckSubmission(Spec("name: big\nresources: {cpus: 64}\nrun: 'true'\n"));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(big.message().find("slurm/hpc1"), std::string::npos) << big.message();
  EXPECT_EQ(big.message().find("local:"), std::string::npos) << big.message();
}

TEST_F(ControllerTest, ABackendThatHangsDelaysOnlyItsOwnJobs) {
  FakeDriver local("local", 0);
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
  EXPECT_EQ(local.launches, 1);
  EXPECT_GE(local.polls, 1);
  auto job = store_->GetJob(here);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state, JobState::kRunning);
  EXPECT_EQ(store_->GetJob(stuck)->state, JobState::kScheduled);
  EXPECT_EQ(controller_->Nodes().size(), 2u);
  hung.Release();
  controller_.reset();  // Stop joins the worker once its call returns
}

}  // namespace
}  // namespace skyrun
