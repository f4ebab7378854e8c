// SlurmDriver against a real Slurm cluster: slurmctld, two slurmd nodes with
// two fake GPUs each, munge, all on this machine (slurm_test_cluster.h). Each
// test process starts its own cluster once and stops it at the end, whether
// the tests passed or not. Nothing here is a stand-in: sbatch, srun, squeue,
// scontrol and scancel are Slurm's own.
#include "drivers/slurm/slurm_driver.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/strings.h"
#include "support/golden.h"
#include "support/slurm/slurm_cluster_suite.h"

namespace skyrun {
namespace {

namespace fs = std::filesystem;

using test_support::ReadFileOrEmpty;

// The real runner, counting which programs the driver ran (to show that
// PollMany asks squeue once for many jobs).
class CountingRunner final : public CommandRunner {
 public:
  Result<CommandResult> Run(const std::vector<std::string>& argv,
                            const std::map<std::string, std::string>& env_overrides,
                            int64_t timeout_ms) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back(argv);
    }
    return real_.Run(argv, env_overrides, timeout_ms);
  }
  // Calls whose argv starts with `prefix` since the last Clear.
  int Count(const std::vector<std::string>& prefix) {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const auto& c : calls_)
      n += c.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), c.begin());
    return n;
  }
  int Total() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(calls_.size());
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.clear();
  }

 private:
  ProcessCommandRunner real_;
  std::mutex mu_;
  std::vector<std::vector<std::string>> calls_;
};

class SlurmClusterTest : public SlurmClusterSuite {
 protected:
  static void SetUpTestSuite() { StartCluster({}); }
  static void TearDownTestSuite() { StopCluster(); }

  void SetUp() override {
    SlurmClusterSuite::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    SlurmClusterConfig config = DriverConfig();
    config.price_per_gpu_hour = 2.5;
    auto runner = std::make_unique<CountingRunner>();
    runner_ = runner.get();
    driver_ = std::make_unique<SlurmDriver>(config, std::move(runner));
  }

  // An attempt whose ranks are placed on `nodes` (Slurm names), each rank
  // with `gpus` GPUs and the same run command.
  AttemptLaunch MakeLaunch(int64_t job_id, const std::vector<std::string>& nodes, int gpus,
                           const std::string& run, const std::string& setup = "") {
    spec_.name = "test-" + std::to_string(job_id);
    spec_.mode = nodes.size() > 1 ? JobMode::kGang : JobMode::kSingle;
    spec_.num_nodes = static_cast<int>(nodes.size());
    AttemptLaunch launch;
    launch.job_id = JobId(job_id);
    launch.attempt_no = 1;
    launch.job_name = spec_.name;
    launch.tenant = "team";
    launch.spec = &spec_;
    launch.job_dir = cluster_->dir() + "/jobs/" + std::to_string(job_id);
    launch.checkpoint_dir = launch.job_dir + "/checkpoints";
    for (size_t r = 0; r < nodes.size(); ++r) {
      TaskLaunch t;
      t.rank = static_cast<int>(r);
      t.task_dir = SlurmRankDir(launch.job_dir, 1, t.rank);
      t.placement.rank = t.rank;
      t.placement.node = "slurm/hpc1/" + nodes[r];
      t.placement.node_address = "127.0.0.1";
      for (int g = 0; g < gpus; ++g) t.placement.gpu_indices.push_back(g);
      t.placement.gpu_milli = MilliGpu(1000LL * gpus);
      t.placement.gpu_model = gpus > 0 ? "T4" : "";
      t.placement.cpus_milli = MilliCpu(1000);
      t.placement.memory_mib = MemoryMiB(256);
      t.env["SKYRUN_JOB_ID"] = std::to_string(job_id);
      t.env["SKYRUN_TASK_ID"] = std::to_string(job_id) + "-" + std::to_string(r);
      t.env["RANK"] = "999";  // the controller's guess; Slurm's SLURM_PROCID must win
      t.env["GREETING"] = "hello from skyrun";
      t.run = run;
      t.setup = setup;
      launch.tasks.push_back(t);
    }
    return launch;
  }

  // Polls until `done` holds for every handle, for at most about two minutes
  // (a bound against hanging, not a timing assertion).
  std::vector<TaskStatus> PollUntil(const std::vector<std::string>& handles,
                                    const std::function<bool(const TaskStatus&)>& done) {
    std::vector<TaskStatus> last;
    for (int i = 0; i < 600; ++i) {
      last.clear();
      bool all = true;
      for (const auto& h : handles) {
        last.push_back(driver_->Poll(h));
        all = all && done(last.back());
      }
      if (all) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ADD_FAILURE() << "tasks did not reach the expected state; last: " << RunStateName(last.at(0).state) << " "
                  << last.at(0).reason;
    return last;
  }

  static std::vector<TaskStatus> Terminal(SlurmClusterTest* t, const std::vector<std::string>& handles) {
    return t->PollUntil(handles, [](const TaskStatus& s) { return IsTerminal(s.state); });
  }

  std::string JobState(const std::string& handle) {
    auto h = ParseSlurmHandle(handle);
    EXPECT_TRUE(h.ok());
    auto r = cluster_->Run({"scontrol", "show", "job", "-o", h->job_id});
    EXPECT_TRUE(r.ok());
    return ParseKeyValueLine(r->out)["JobState"];
  }

  // Slurm's own record can lag the rank's exit file by a scheduling pass
  // (COMPLETING): wait for it to settle, bounded, and return what it says.
  std::string SettledJobState(const std::string& handle, const std::string& expected) {
    std::string state;
    for (int i = 0; i < 300; ++i) {
      state = JobState(handle);
      if (state == expected) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return state;
  }

  JobSpec spec_;
  CountingRunner* runner_ = nullptr;  // owned by driver_
  std::unique_ptr<SlurmDriver> driver_;
};

TEST_F(SlurmClusterTest, InventoryShowsTwoNodesWithTheirGpus) {
  auto nodes = driver_->Inventory();
  ASSERT_TRUE(nodes.ok()) << nodes.status().message();
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ(driver_->Name(), "slurm/hpc1");
  for (int i = 0; i < 2; ++i) {
    const Node& n = (*nodes)[i];
    EXPECT_EQ(n.name, "slurm/hpc1/node" + std::to_string(i + 1));
    EXPECT_EQ(n.backend, "slurm/hpc1");
    EXPECT_EQ(n.state, NodeState::kUp);
    EXPECT_EQ(n.cpus_milli.raw(), 4000);
    EXPECT_EQ(n.memory_mib.raw(), 4096);
    ASSERT_EQ(n.gpus.size(), 2u);
    EXPECT_EQ(n.gpus[0].model, "T4");
    EXPECT_EQ(n.gpus[1].index, 1);
    EXPECT_EQ(n.attributes.at("Partition"), "debug");
    EXPECT_EQ(n.attributes.at("Provider"), "slurm");
    EXPECT_EQ(n.attributes.at("Cluster"), "hpc1");
    EXPECT_EQ(n.address, "127.0.0.1");
    EXPECT_DOUBLE_EQ(n.price_per_gpu_hour, 2.5);
  }
}

TEST_F(SlurmClusterTest, SingleTaskSucceedsAndItsLogIsCollected) {
  AttemptLaunch launch =
      MakeLaunch(101, {"node1"}, 0,
                 "echo \"out: $GREETING rank=$RANK task=$SKYRUN_TASK_ID\"; echo 'err: to stderr' >&2");
  auto handles = driver_->Launch(launch);
  ASSERT_TRUE(handles.ok()) << handles.status().message();
  ASSERT_EQ(handles->size(), 1u);
  auto st = Terminal(this, *handles);
  EXPECT_EQ(st[0].state, RunState::kSucceeded) << st[0].reason;
  ASSERT_TRUE(st[0].exit_code.has_value());
  EXPECT_EQ(*st[0].exit_code, 0);
  EXPECT_GT(st[0].started_at, 0);
  EXPECT_GE(st[0].ended_at, st[0].started_at);
  std::string log_path = driver_->LogPath((*handles)[0]);
  EXPECT_EQ(log_path, launch.job_dir + "/attempt-1/rank-0/output.log");
  std::string log = ReadFileOrEmpty(log_path);
  EXPECT_NE(log.find("out: hello from skyrun rank=0 task=101-0"), std::string::npos) << log;
  EXPECT_NE(log.find("err: to stderr"), std::string::npos) << log;
  EXPECT_EQ(SettledJobState((*handles)[0], "COMPLETED"), "COMPLETED");
}

TEST_F(SlurmClusterTest, ExitCodeOfARankIsReported) {
  AttemptLaunch launch = MakeLaunch(102, {"node2"}, 0, "echo failing on purpose; exit 75");
  auto handles = driver_->Launch(launch);
  ASSERT_TRUE(handles.ok()) << handles.status().message();
  auto st = Terminal(this, *handles);
  EXPECT_EQ(st[0].state, RunState::kFailed);
  ASSERT_TRUE(st[0].exit_code.has_value());
  EXPECT_EQ(*st[0].exit_code, 75);
  EXPECT_EQ(st[0].reason, "exit code 75");
  EXPECT_EQ(SettledJobState((*handles)[0], "FAILED"), "FAILED");
}

TEST_F(SlurmClusterTest, GangOnTwoNodesWithTwoGpusEachSeesItsRankAndGpus) {
  AttemptLaunch launch = MakeLaunch(
      103, {"node1", "node2"}, 2,
      "echo \"RANK=$RANK NODE_RANK=$SKYRUN_NODE_RANK WORLD_SIZE=$WORLD_SIZE LOCAL_RANK=$LOCAL_RANK "
      "CVD=$CUDA_VISIBLE_DEVICES NODE=$SKYRUN_NODE_NAME MASTER=$MASTER_ADDR:$MASTER_PORT "
      "TASK=$SKYRUN_TASK_ID\"; "
      "echo \"IPS=$(echo $SKYRUN_NODE_IPS)\"; echo \"CKPT=$SKYRUN_CHECKPOINT_DIR\"",
      "echo \"setup on $SLURMD_NODENAME\"");
  auto handles = driver_->Launch(launch);
  ASSERT_TRUE(handles.ok()) << handles.status().message();
  ASSERT_EQ(handles->size(), 2u);
  auto st = Terminal(this, *handles);
  std::set<std::string> nodes_seen;
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(st[r].state, RunState::kSucceeded) << st[r].reason;
    EXPECT_EQ(st[r].rank, r);
    std::string log = ReadFileOrEmpty(driver_->LogPath((*handles)[r]));
    std::string rs = std::to_string(r);
    EXPECT_NE(log.find("RANK=" + rs + " NODE_RANK=" + rs + " WORLD_SIZE=2 LOCAL_RANK=0 CVD=0,1 "),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("MASTER=127.0.0.1:"), std::string::npos) << log;
    EXPECT_NE(log.find("TASK=103-" + rs), std::string::npos) << log;
    EXPECT_NE(log.find("IPS=127.0.0.1 127.0.0.1"), std::string::npos) << log;
    EXPECT_NE(log.find("CKPT=" + launch.checkpoint_dir), std::string::npos) << log;
    // Setup ran once on each node, by that node's only rank, before run.
    auto setup_at = log.find("setup on node");
    EXPECT_NE(setup_at, std::string::npos) << log;
    EXPECT_LT(setup_at, log.find("RANK=")) << log;
    auto node_at = log.find("NODE=slurm/hpc1/");
    ASSERT_NE(node_at, std::string::npos) << log;
    nodes_seen.insert(log.substr(node_at + 5, std::string("slurm/hpc1/nodeX").size()));
  }
  EXPECT_EQ(nodes_seen, (std::set<std::string>{"slurm/hpc1/node1", "slurm/hpc1/node2"}));
  // Slurm itself allocated two GPUs of type T4 on each of the two nodes.
  auto h = ParseSlurmHandle((*handles)[0]);
  auto shown = cluster_->Run({"scontrol", "show", "job", "-o", h->job_id});
  ASSERT_TRUE(shown.ok());
  auto kv = ParseKeyValueLine(shown->out);
  EXPECT_EQ(kv["NumNodes"], "2");
  EXPECT_EQ(kv["TresPerNode"], "gres:gpu:T4:2");
  EXPECT_EQ(kv["JobState"], "COMPLETED");
}

TEST_F(SlurmClusterTest, SetupRunsOncePerNodeAndRanksOnOneNodeGetTheirOwnGpus) {
  AttemptLaunch launch = MakeLaunch(107, {"node1", "node1"}, 1,
                                    "echo \"RANK=$RANK LOCAL_RANK=$LOCAL_RANK CVD=$CUDA_VISIBLE_DEVICES\"",
                                    "echo ran >>\"$SKYRUN_ATTEMPT_DIR/setup-count\"; sleep 1");
  auto handles = driver_->Launch(launch);
  ASSERT_TRUE(handles.ok()) << handles.status().message();
  auto st = Terminal(this, *handles);
  std::set<std::string> gpus;
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(st[r].state, RunState::kSucceeded) << st[r].reason;
    std::string log = ReadFileOrEmpty(driver_->LogPath((*handles)[r]));
    auto at = log.find("RANK=" + std::to_string(r) + " LOCAL_RANK=" + std::to_string(r) + " CVD=");
    ASSERT_NE(at, std::string::npos) << log;
    gpus.insert(log.substr(at + std::string("RANK=0 LOCAL_RANK=0 CVD=").size(), 1));
  }
  EXPECT_EQ(gpus, (std::set<std::string>{"0", "1"}));  // one GPU each, not both GPUs for both
  EXPECT_EQ(ReadFileOrEmpty(launch.job_dir + "/attempt-1/setup-count"), "ran\n");
}

TEST_F(SlurmClusterTest, FailedSetupFailsTheRankWithoutRunning) {
  AttemptLaunch launch = MakeLaunch(108, {"node2"}, 0, "echo should-not-run", "echo broken setup; exit 4");
  auto handles = driver_->Launch(launch);
  ASSERT_TRUE(handles.ok()) << handles.status().message();
  auto st = Terminal(this, *handles);
  EXPECT_EQ(st[0].state, RunState::kFailed);
  EXPECT_EQ(st[0].exit_code, 4);
  std::string log = ReadFileOrEmpty(driver_->LogPath((*handles)[0]));
  EXPECT_NE(log.find("setup failed on node2 with exit code 4"), std::string::npos) << log;
  EXPECT_EQ(log.find("should-not-run"), std::string::npos) << log;
}

TEST_F(SlurmClusterTest, CancelReachesScancelAndTheTaskIsKilled) {
  AttemptLaunch launch = MakeLaunch(104, {"node1"}, 1, "echo started; sleep 300");
  auto handles = driver_->Launch(launch);
  ASSERT_TRUE(handles.ok()) << handles.status().message();
  PollUntil(*handles, [](const TaskStatus& s) { return s.state == RunState::kRunning; });
  Status c = driver_->Cancel((*handles)[0]);
  ASSERT_TRUE(c.ok()) << c.message();
  auto st = Terminal(this, *handles);
  EXPECT_EQ(st[0].state, RunState::kKilled) << st[0].reason;
  EXPECT_NE(st[0].reason.find("CANCELLED"), std::string::npos) << st[0].reason;
  EXPECT_EQ(SettledJobState((*handles)[0], "CANCELLED"), "CANCELLED");
  // Cancelling again is harmless.
  EXPECT_TRUE(driver_->Cancel((*handles)[0]).ok());
}

TEST_F(SlurmClusterTest, APendingLaunchCanBeVoidedAStartedOneIsAdopted) {
  // The first job holds both GPUs of node1, so the second waits behind it.
  AttemptLaunch running = MakeLaunch(109, {"node1"}, 2, "sleep 300");
  auto first = driver_->Launch(running);
  ASSERT_TRUE(first.ok()) << first.status().message();
  PollUntil(*first, [](const TaskStatus& s) { return s.state == RunState::kRunning && s.started_at > 0; });
  AttemptLaunch queued = MakeLaunch(110, {"node1"}, 1, "echo should-not-run");
  auto second = driver_->Launch(queued);
  ASSERT_TRUE(second.ok()) << second.status().message();
  TaskStatus pending = driver_->Poll((*second)[0]);
  EXPECT_EQ(pending.state, RunState::kLaunching);
  EXPECT_NE(pending.reason.find("PENDING"), std::string::npos) << pending.reason;

  Status voided = driver_->VoidIfUnclaimed((*second)[0]);
  EXPECT_TRUE(voided.ok()) << voided.message();
  EXPECT_EQ(JobState((*second)[0]), "CANCELLED");
  Status adopted = driver_->VoidIfUnclaimed((*first)[0]);
  EXPECT_EQ(adopted.code(), StatusCode::kAlreadyExists) << adopted.message();
  EXPECT_EQ(JobState((*first)[0]), "RUNNING");
  EXPECT_TRUE(driver_->Cancel((*first)[0]).ok());
  Terminal(this, *first);
}

// Issue 11: one squeue (and no scontrol) per PollMany however many jobs it
// follows, the same answers as Poll, and Forget leaves nothing in memory.
TEST_F(SlurmClusterTest, PollManyAsksSqueueOnceForAllJobsAndForgetEmptiesTheCache) {
  std::vector<std::string> handles;
  for (auto [id, run] :
       std::vector<std::pair<int64_t, std::string>>{{121, "exit 0"}, {122, "exit 4"}, {123, "sleep 300"}}) {
    auto h = driver_->Launch(MakeLaunch(id, {"node2"}, 0, run));
    ASSERT_TRUE(h.ok()) << h.status().message();
    handles.push_back((*h)[0]);
  }
  std::vector<TaskStatus> st;
  for (int i = 0; i < 600; ++i) {  // bounded against hanging, not a timing assertion
    runner_->Clear();
    st = driver_->PollMany(handles);
    ASSERT_EQ(st.size(), handles.size());
    if (IsTerminal(st[0].state) && IsTerminal(st[1].state) && st[2].state == RunState::kRunning) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(runner_->Count({"squeue", "--json"}), 1);
  EXPECT_EQ(runner_->Count({"scontrol", "show", "job"}), 0);
  EXPECT_EQ(st[0].state, RunState::kSucceeded) << st[0].reason;
  EXPECT_EQ(st[1].state, RunState::kFailed) << st[1].reason;
  ASSERT_TRUE(st[1].exit_code);
  EXPECT_EQ(*st[1].exit_code, 4);
  EXPECT_EQ(st[2].state, RunState::kRunning) << st[2].reason;
  EXPECT_GT(st[2].started_at, 0);
  // Poll, one job at a time, says the same.
  for (size_t i = 0; i < handles.size(); ++i) EXPECT_EQ(driver_->Poll(handles[i]).state, st[i].state);
  // Final ranks are answered from memory: only the running job is asked about.
  runner_->Clear();
  driver_->PollMany({handles[0], handles[1]});
  EXPECT_EQ(runner_->Total(), 0);

  ASSERT_TRUE(driver_->Cancel(handles[2]).ok());
  Terminal(this, {handles[2]});
  EXPECT_GE(driver_->RetainedEntries(), 3u);
  for (const auto& h : handles) driver_->Forget(h);
  EXPECT_EQ(driver_->RetainedEntries(), 0u);
  // A malformed handle is a failed rank, not a crash.
  EXPECT_EQ(driver_->PollMany({"not-a-handle"})[0].state, RunState::kFailed);
}

// Issue 11: another user's job holding a GPU (submitted straight with sbatch)
// is taken off the inventory; skyrun's own running job is not (the scheduler
// books it itself).
TEST_F(SlurmClusterTest, InventoryLeavesOutWhatOtherUsersJobsHold) {
  auto other =
      cluster_->Run({"sbatch", "--parsable", "--no-requeue", "-o", "/dev/null", "-w", "node2", "-c", "2",
                     "--mem=1000", "--gres=gpu:T4:1", "-J", "someone-else", "--wrap", "sleep 300"});
  ASSERT_TRUE(other.ok() && other->exit_code == 0) << (other.ok() ? other->err : other.status().message());
  const std::string other_id = Trim(other->out);
  auto mine = driver_->Launch(MakeLaunch(124, {"node2"}, 1, "sleep 300"));
  ASSERT_TRUE(mine.ok()) << mine.status().message();
  PollUntil(*mine, [](const TaskStatus& s) { return s.state == RunState::kRunning; });
  std::string other_state;
  for (int i = 0; i < 300 && other_state != "RUNNING"; ++i) {
    auto r = cluster_->Run({"scontrol", "show", "job", "-o", other_id});
    if (r.ok()) other_state = ParseKeyValueLine(r->out)["JobState"];
    if (other_state != "RUNNING") std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(other_state, "RUNNING");

  auto nodes = driver_->Inventory();
  ASSERT_TRUE(nodes.ok()) << nodes.status().message();
  ASSERT_EQ(nodes->size(), 2u);
  const Node& node2 = (*nodes)[1];
  EXPECT_EQ(node2.name, "slurm/hpc1/node2");
  EXPECT_EQ(node2.cpus_milli.raw(), 2000);  // 4 CPUs less the other job's 2; skyrun's 1 stays offered
  EXPECT_EQ(node2.memory_mib.raw(), 4096 - 1000);
  EXPECT_EQ(node2.gpus.size(), 1u);  // the other job's GPU is gone, skyrun's is still there
  EXPECT_EQ(node2.attributes.at("CpusTakenByOthers"), "2");
  EXPECT_NE(node2.attributes.at("GpusTakenByOthers"), "none");
  // Whether a job could ever fit is about whole nodes.
  JobSpec two;
  two.name = "two";
  two.resources.accelerators = {{"T4", 2}};
  EXPECT_TRUE(driver_->CheckFits(two).ok());

  EXPECT_TRUE(cluster_->Run({"scancel", other_id}).ok());
  EXPECT_TRUE(driver_->Cancel((*mine)[0]).ok());
  Terminal(this, *mine);
}

// Issue 11: MASTER_PORT is chosen by the batch step on the first node, not by
// the controller on the server's host: the job-id port, or the next one when
// something already listens there; every rank gets the same one.
TEST_F(SlurmClusterTest, MasterPortIsChosenOnTheFirstNodeAndSkipsABusyPort) {
  // The next job id is the one after a throwaway job's (nothing else submits here).
  auto probe = cluster_->Run({"sbatch", "--parsable", "-o", "/dev/null", "--mem=64", "--wrap", "true"});
  ASSERT_TRUE(probe.ok() && probe->exit_code == 0);
  auto probe_id = ParseInt64(Trim(probe->out));
  ASSERT_TRUE(probe_id);
  const int busy = 20000 + static_cast<int>((*probe_id + 1) % 20000);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(busy));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 1) != 0) {
    ::close(fd);
    GTEST_SKIP() << "port " << busy << " is taken on this machine already";
  }
  AttemptLaunch launch = MakeLaunch(125, {"node1", "node2"}, 0, "echo \"PORT=$MASTER_PORT\"");
  for (auto& t : launch.tasks) t.env.erase("MASTER_PORT");  // as the controller sends it now
  auto handles = driver_->Launch(launch);
  ASSERT_TRUE(handles.ok()) << handles.status().message();
  ASSERT_EQ(ParseSlurmHandle((*handles)[0])->job_id, std::to_string(*probe_id + 1))
      << "another job came between";
  auto st = Terminal(this, *handles);
  ::close(fd);
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(st[r].state, RunState::kSucceeded) << st[r].reason;
    EXPECT_NE(
        ReadFileOrEmpty(driver_->LogPath((*handles)[r])).find("PORT=" + std::to_string(busy + 1) + "\n"),
        std::string::npos)
        << ReadFileOrEmpty(driver_->LogPath((*handles)[r]));
  }
}

TEST_F(SlurmClusterTest, TooManyGpusPerTaskIsRefusedWithTheReason) {
  JobSpec spec;
  spec.name = "big";
  spec.resources.accelerators = {{"T4", 4}};
  // CanRun is about what the cluster can do at all; fitting is the
  // scheduler's question over every backend (a bigger one may hold the job).
  EXPECT_TRUE(driver_->CanRun(spec).ok());
  Status s = driver_->CheckFits(spec);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("4 T4 GPUs"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("the most any node of slurm/hpc1 has is 2 (node1: 2 x T4)"), std::string::npos)
      << s.message();

  spec.resources.accelerators = {{"T4", 2}};
  EXPECT_TRUE(driver_->CheckFits(spec).ok());
  spec.mode = JobMode::kGang;
  spec.num_nodes = 3;
  Status gang = driver_->CheckFits(spec);
  EXPECT_FALSE(gang.ok());
  EXPECT_NE(gang.message().find("needs 3 nodes"), std::string::npos) << gang.message();

  JobSpec with_image;
  with_image.name = "img";
  with_image.image = "pytorch:2.3";
  Status image = driver_->CanRun(with_image);
  EXPECT_FALSE(image.ok());
  EXPECT_NE(image.message().find("no container support"), std::string::npos) << image.message();
}

// examples/ddp: torch.distributed (gloo, CPU) across the two Slurm nodes,
// meeting at MASTER_ADDR:MASTER_PORT as the script computed them.
TEST_F(SlurmClusterTest, DdpExampleTrainsAcrossTwoNodes) {
  const std::string example = std::string(SKYRUN_SLURM_TESTDATA) + "/../../examples/ddp";
  if (!fs::exists(example + "/train.py")) GTEST_SKIP() << "no examples/ddp/train.py in this tree";
  ProcessCommandRunner runner;
  auto torch = runner.Run({"/usr/bin/python3", "-c", "import torch.distributed"}, {}, 120000);
  if (!torch.ok() || torch->exit_code != 0) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  AttemptLaunch launch = MakeLaunch(106, {"node1", "node2"}, 0, "/usr/bin/python3 train.py");
  spec_.workdir = fs::canonical(example).string();
  for (auto& t : launch.tasks) {
    t.env["EPOCHS"] = "30";
    t.env["OMP_NUM_THREADS"] = "1";
  }
  auto handles = driver_->Launch(launch);
  ASSERT_TRUE(handles.ok()) << handles.status().message();
  auto st = Terminal(this, *handles);
  for (int r = 0; r < 2; ++r) {
    std::string log = ReadFileOrEmpty(driver_->LogPath((*handles)[r]));
    EXPECT_EQ(st[r].state, RunState::kSucceeded) << st[r].reason << "\n" << log;
    EXPECT_NE(log.find("rank " + std::to_string(r) + "/2 epoch  30"), std::string::npos) << log;
    EXPECT_NE(log.find("weights in sync = True"), std::string::npos) << log;
  }
  EXPECT_TRUE(fs::exists(launch.checkpoint_dir + "/model.pt"));
}

// Last: it takes a node down (and brings it back).
TEST_F(SlurmClusterTest, KilledSlurmdMakesARunningGangNodeFailAndLost) {
  AttemptLaunch launch = MakeLaunch(105, {"node1", "node2"}, 0, "echo started; sleep 300");
  auto handles = driver_->Launch(launch);
  ASSERT_TRUE(handles.ok()) << handles.status().message();
  // Both ranks have started (their wrappers wrote rank.json) before the node dies.
  PollUntil(*handles, [](const TaskStatus& s) { return s.state == RunState::kRunning && s.started_at > 0; });
  for (int i = 0;
       i < 300 &&
       ReadFileOrEmpty(launch.job_dir + "/attempt-1/rank-1/output.log").find("started") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(cluster_->KillSlurmd("node2").ok());
  auto st = Terminal(this, *handles);
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(st[r].state, RunState::kLost) << "rank " << r << ": " << st[r].reason;
    EXPECT_NE(st[r].reason.find("NODE_FAIL"), std::string::npos) << st[r].reason;
    EXPECT_NE(st[r].reason.find("node2"), std::string::npos) << st[r].reason;
  }
  EXPECT_EQ(SettledJobState((*handles)[0], "NODE_FAIL"), "NODE_FAIL");
  auto nodes = driver_->Inventory();
  ASSERT_TRUE(nodes.ok());
  EXPECT_EQ((*nodes)[1].state, NodeState::kDown);
  Status back = cluster_->StartNode("node2");
  EXPECT_TRUE(back.ok()) << back.message();
}

}  // namespace
}  // namespace skyrun
