// SimCloudDriver with real supervised processes on simulated instances: the
// instances as nodes, a task run to success, and a recorded preemption that
// gives its notice, then kills the task's real processes and reports them
// preempted (LOST, "PREEMPTED: ...") rather than failed.
#include "drivers/simcloud/simcloud_driver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "drivers/local/local_test_util.h"

namespace skyrun {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace testing_local;

constexpr Micros kStart = 1'800'000'000 * kMicrosPerSecond;

SimCloudConfig CloudConfig() {
  SimCloudConfig c;
  c.name = "test";
  Offer gpu;
  gpu.provider = "aws";
  gpu.region = "us-east-1";
  gpu.zone = "us-east-1a";
  gpu.instance_type = "p3.8xlarge";
  gpu.accelerator = "V100";
  gpu.accelerator_count = 4;
  gpu.gpu_memory_mib = 16384;
  gpu.cpus = MilliCpu(32000);
  gpu.memory = MemoryMiB(244 * 1024);
  gpu.price = 12.24;
  gpu.spot_price = 3.67;
  Offer cpu = gpu;
  cpu.instance_type = "m5.large";
  cpu.accelerator.clear();
  cpu.accelerator_count = 0;
  cpu.gpu_memory_mib = 0;
  cpu.cpus = MilliCpu(2000);
  cpu.memory = MemoryMiB(8192);
  cpu.price = 0.096;
  cpu.spot_price.reset();
  c.offers = {gpu, cpu};
  return c;
}

class SimCloudDriverTest : public ::testing::Test {
 protected:
  std::unique_ptr<SimCloudDriver> Make(SimCloudConfig config) {
    auto driver = SimCloudDriver::Create(std::move(config), TestPoolConfig(dir_), clock_, &log_);
    EXPECT_TRUE(driver.ok()) << driver.status().ToString();
    return driver.ok() ? std::move(driver).value() : nullptr;
  }
  TempDir dir_;
  SimulatedClock clock_{kStart};
  Logger log_{"simcloud-test", Logger::Output::kNone};
};

TEST_F(SimCloudDriverTest, RunningInstancesAreNodesWithTheirOfferAndPrice) {
  SimCloudConfig c = CloudConfig();
  c.launch_delay_seconds = 60;
  c.provision = {SimPreprovision{"p3.8xlarge", "us-east-1a", "", 1, /*spot=*/true},
                 SimPreprovision{"m5.large", "us-east-1a", "", 1, /*spot=*/false}};
  c.preemption.recorded = {SimRecordedPreemption{"i-0001", 3600, std::nullopt}};
  auto driver = Make(c);
  ASSERT_NE(driver, nullptr);
  EXPECT_EQ(driver->Name(), "simcloud/test");
  ASSERT_NE(driver->Capacity(), nullptr);
  // Launching: no node yet.
  EXPECT_TRUE(driver->Inventory()->empty());
  clock_.Advance(60 * kMicrosPerSecond);
  std::vector<Node> nodes = *driver->Inventory();
  ASSERT_EQ(nodes.size(), 2u);
  const Node& g = nodes[0];
  EXPECT_EQ(g.name, "simcloud/test/i-0001");
  EXPECT_EQ(g.backend, "simcloud/test");
  EXPECT_EQ(g.state, NodeState::kUp);
  EXPECT_EQ(g.cpus_milli.raw(), 32000);
  EXPECT_EQ(g.memory_mib.raw(), 244 * 1024);
  ASSERT_EQ(g.gpus.size(), 4u);
  EXPECT_EQ(g.gpus[3].index, 3);
  EXPECT_EQ(g.gpus[3].model, "V100");
  EXPECT_EQ(g.attributes.at("Provider"), "aws");
  EXPECT_EQ(g.attributes.at("Region"), "us-east-1");
  EXPECT_EQ(g.attributes.at("Zone"), "us-east-1a");
  EXPECT_EQ(g.attributes.at("InstanceType"), "p3.8xlarge");
  EXPECT_EQ(g.attributes.at("Spot"), "true");
  EXPECT_EQ(std::stod(g.attributes.at("SpotPrice")), 3.67);
  // The spot price spread over its 4 GPUs; the CPU instance's over its 2 CPUs.
  EXPECT_DOUBLE_EQ(g.price_per_gpu_hour, 3.67 / 4);
  EXPECT_DOUBLE_EQ(nodes[1].price_per_cpu_hour, 0.096 / 2);
  EXPECT_EQ(nodes[1].attributes.at("Spot"), "false");
  // Under a preemption notice the node is drained; once reclaimed, gone.
  clock_.Advance((3600 - 60 - 120) * kMicrosPerSecond);
  nodes = *driver->Inventory();
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].state, NodeState::kDrain);
  clock_.Advance(120 * kMicrosPerSecond);
  nodes = *driver->Inventory();
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].name, "simcloud/test/i-0002");
}

TEST_F(SimCloudDriverTest, PreprovisionRefusedByTheCloudFailsCreateWithTheClassifiedError) {
  SimCloudConfig c = CloudConfig();
  c.errors = {SimErrorRule{ProvisionErrorKind::kCapacity, FailureScope::kZone, "us-east-1a", 1}};
  c.provision = {SimPreprovision{"m5.large", "us-east-1a", "", 1, false}};
  auto driver = SimCloudDriver::Create(c, TestPoolConfig(dir_), clock_);
  ASSERT_FALSE(driver.ok());
  EXPECT_THAT(driver.status().message(), HasSubstr("capacity error, zone scope"));
}

TEST_F(SimCloudDriverTest, TaskOnAnInstanceRunsToSuccess) {
  SimCloudConfig c = CloudConfig();
  c.provision = {SimPreprovision{"m5.large", "us-east-1a", "", 1, false}};
  auto driver = Make(c);
  ASSERT_NE(driver, nullptr);
  auto f = MakeLaunch(dir_, "echo on $SKYRUN_INSTANCE_ID");
  f->launch.tasks[0].placement.node = "simcloud/test/i-0001";
  auto handles = driver->Launch(f->launch);
  ASSERT_TRUE(handles.ok()) << handles.status().ToString();
  ASSERT_EQ(handles->size(), 1u);
  EXPECT_EQ(handles->front(), "i-0001|" + dir_.Sub("jobs/7/attempt-1/rank-0"));
  TaskStatus st = WaitTerminal(*driver, handles->front());
  EXPECT_EQ(st.state, RunState::kSucceeded) << st.reason;
  EXPECT_THAT(ReadFileOrEmpty(driver->LogPath(handles->front())), HasSubstr("on i-0001"));
}

TEST_F(SimCloudDriverTest, LaunchRefusesNodesThatAreNotRunningInstances) {
  SimCloudConfig c = CloudConfig();
  c.provision = {SimPreprovision{"m5.large", "us-east-1a", "", 1, false}};
  c.preemption.recorded = {SimRecordedPreemption{"i-0001", 10, std::nullopt}};
  auto driver = Make(c);
  ASSERT_NE(driver, nullptr);
  auto f = MakeLaunch(dir_, "true");
  f->launch.tasks[0].placement.node = "node0";
  auto wrong = driver->Launch(f->launch);
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("not an instance of simcloud/test"));
  f->launch.tasks[0].placement.node = "simcloud/test/i-0042";
  EXPECT_EQ(driver->Launch(f->launch).status().code(), StatusCode::kNotFound);
  clock_.Advance(10 * kMicrosPerSecond);
  f->launch.tasks[0].placement.node = "simcloud/test/i-0001";
  auto gone = driver->Launch(f->launch);
  ASSERT_FALSE(gone.ok());
  EXPECT_THAT(gone.status().message(), HasSubstr("is PREEMPTED, not RUNNING"));
  EXPECT_EQ(driver->Poll("not-a-handle").state, RunState::kLost);
}

TEST_F(SimCloudDriverTest, RecordedPreemptionNoticesThenKillsTheRealProcessesAndPollSaysPreempted) {
  SimCloudConfig c = CloudConfig();
  c.provision = {SimPreprovision{"p3.8xlarge", "us-east-1a", "", 1, /*spot=*/true}};
  c.preemption.notice_seconds = 120;
  c.preemption.recorded = {SimRecordedPreemption{"i-0001", 600, std::nullopt}};
  auto driver = Make(c);
  ASSERT_NE(driver, nullptr);
  // The task waits for its notice, says so, then keeps running (a
  // checkpoint would be written here) until it is killed.
  auto f = MakeLaunch(dir_,
                      "while [ ! -f \"$SKYRUN_PREEMPTION_NOTICE_FILE\" ]; do sleep 0.05; done; "
                      "echo noticed: $(cat \"$SKYRUN_PREEMPTION_NOTICE_FILE\"); sleep 600");
  f->launch.tasks[0].placement.node = "simcloud/test/i-0001";
  f->launch.kill_grace_seconds = 1;
  auto handles = driver->Launch(f->launch);
  ASSERT_TRUE(handles.ok()) << handles.status().ToString();
  const std::string handle = handles->front();
  const std::string task_dir = dir_.Sub("jobs/7/attempt-1/rank-0");
  ASSERT_TRUE(WaitState(*driver, handle, RunState::kRunning));
  pid_t pgid = ReadStarted(task_dir).pgid;
  ASSERT_GT(pgid, 1);

  // Before the notice: no notice file, still running.
  clock_.Advance(479 * kMicrosPerSecond);
  EXPECT_EQ(driver->Poll(handle).state, RunState::kRunning);
  EXPECT_FALSE(FileExists(task_dir + "/work/.skyrun-preemption-notice"));
  // The notice: the task reads it and lives on.
  clock_.Advance(1 * kMicrosPerSecond);
  EXPECT_EQ(driver->Poll(handle).state, RunState::kRunning);
  ASSERT_TRUE(WaitFileContains(driver->LogPath(handle), "noticed: {\"action\":\"terminate\""));
  EXPECT_TRUE(GroupHasLiveProcess(pgid));
  EXPECT_EQ(driver->Poll(handle).state, RunState::kRunning);

  // The preemption: its processes are killed and the task is reported lost
  // to a preemption, not failed.
  clock_.Advance(120 * kMicrosPerSecond);
  TaskStatus st = WaitTerminal(*driver, handle);
  EXPECT_EQ(st.state, RunState::kLost);
  EXPECT_THAT(st.reason, StartsWith("PREEMPTED: spot instance i-0001 (p3.8xlarge, us-east-1a)"));
  EXPECT_FALSE(st.exit_code.has_value());
  EXPECT_TRUE(WaitGroupGone(pgid));
  // A second look says the same.
  EXPECT_EQ(driver->Poll(handle).state, RunState::kLost);
  // And the books stop at the preemption: 600 s of spot time.
  std::vector<BillingRecord> bills = driver->cloud().Billing();
  ASSERT_EQ(bills.size(), 1u);
  EXPECT_NEAR(bills[0].cost_usd, 3.67 * 600 / 3600, 1e-9);
}

TEST_F(SimCloudDriverTest, TaskAdoptedAfterARestartIsStoppedWhenItsInstanceIsPreempted) {
  SimCloudConfig c = CloudConfig();
  c.provision = {SimPreprovision{"m5.large", "us-east-1a", "", 1, false}};
  c.preemption.recorded = {SimRecordedPreemption{"i-0001", 600, std::nullopt}};
  auto first = Make(c);
  ASSERT_NE(first, nullptr);
  auto f = MakeLaunch(dir_, "sleep 600");
  f->launch.tasks[0].placement.node = "simcloud/test/i-0001";
  f->launch.kill_grace_seconds = 1;
  auto handles = first->Launch(f->launch);
  ASSERT_TRUE(handles.ok()) << handles.status().ToString();
  ASSERT_TRUE(WaitState(*first, handles->front(), RunState::kRunning));
  pid_t pgid = ReadStarted(dir_.Sub("jobs/7/attempt-1/rank-0")).pgid;
  // A server restart: a new driver knows the task only by its handle.
  first.reset();
  auto second = Make(c);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->Poll(handles->front()).state, RunState::kRunning);
  clock_.Advance(600 * kMicrosPerSecond);
  TaskStatus st = WaitTerminal(*second, handles->front());
  EXPECT_EQ(st.state, RunState::kLost);
  EXPECT_THAT(st.reason, StartsWith("PREEMPTED: on-demand instance i-0001"));
  EXPECT_TRUE(WaitGroupGone(pgid));
}

TEST_F(SimCloudDriverTest, TaskThatEndedBeforeItsInstanceWentKeepsItsOwnEnd) {
  SimCloudConfig c = CloudConfig();
  c.provision = {SimPreprovision{"m5.large", "us-east-1a", "", 1, false}};
  auto driver = Make(c);
  ASSERT_NE(driver, nullptr);
  auto f = MakeLaunch(dir_, "exit 3");
  f->launch.tasks[0].placement.node = "simcloud/test/i-0001";
  auto handles = driver->Launch(f->launch);
  ASSERT_TRUE(handles.ok());
  EXPECT_EQ(WaitTerminal(*driver, handles->front()).state, RunState::kFailed);
  ASSERT_TRUE(driver->cloud().Terminate("i-0001").ok());
  TaskStatus st = driver->Poll(handles->front());
  EXPECT_EQ(st.state, RunState::kFailed);
  EXPECT_EQ(st.exit_code, 3);
}

TEST_F(SimCloudDriverTest, TerminatedInstanceStopsItsTasksAsANodeFailure) {
  SimCloudConfig c = CloudConfig();
  c.provision = {SimPreprovision{"m5.large", "us-east-1a", "", 1, false}};
  auto driver = Make(c);
  ASSERT_NE(driver, nullptr);
  auto f = MakeLaunch(dir_, "sleep 600");
  f->launch.tasks[0].placement.node = "simcloud/test/i-0001";
  f->launch.kill_grace_seconds = 1;
  auto handles = driver->Launch(f->launch);
  ASSERT_TRUE(handles.ok());
  ASSERT_TRUE(WaitState(*driver, handles->front(), RunState::kRunning));
  ASSERT_TRUE(driver->cloud().Terminate("i-0001").ok());
  TaskStatus st = WaitTerminal(*driver, handles->front());
  EXPECT_EQ(st.state, RunState::kLost);
  EXPECT_THAT(st.reason, StartsWith("NODE_FAIL: instance i-0001"));
}

}  // namespace
}  // namespace skyrun
