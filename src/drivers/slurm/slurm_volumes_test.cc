// Volumes on a real Slurm cluster (slurm_test_cluster.h: slurmctld, two
// slurmd, munge on this machine): the cluster's volumes_root is the server's
// volume store itself (one host, so the "shared filesystem" is the same path),
// ranks without an image get their volumes under bubblewrap (volumes_bwrap).
// A job writes into tenant alpha's volume, the next job of alpha (on the
// other node) reads it, the store's own directory (what the local pool binds)
// holds it; tenant beta's job naming a volume of that name gets its own (none
// here: refused on the node), and cannot reach alpha's by its host path.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "common/clock.h"
#include "drivers/slurm/slurm_driver.h"
#include "storage/volume_store.h"
#include "support/golden.h"
#include "support/slurm/slurm_cluster_suite.h"

namespace skyrun {
namespace {

using test_support::ReadFileOrEmpty;

class SlurmVolumesTest : public SlurmClusterSuite {
 protected:
  static void SetUpTestSuite() { StartCluster({}); }
  static void TearDownTestSuite() { StopCluster(); }

  void SetUp() override {
    SlurmClusterSuite::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    root_ = cluster_->dir() + "/volumes";
    store_ = std::make_unique<storage::VolumeStore>(root_, storage::VolumeQuota{}, &clock_);
    SlurmClusterConfig config = DriverConfig();
    config.volumes_root = root_;
    config.volumes_bwrap = true;
    driver_ = std::make_unique<SlurmDriver>(config, std::make_unique<ProcessCommandRunner>());
  }

  // Runs one single-task job of `tenant` with `spec` on `node` to its end;
  // returns its status, and its log in *log.
  TaskStatus RunJob(int64_t job_id, const std::string& tenant, const JobSpec& spec, const std::string& node,
                    std::string* log) {
    AttemptLaunch launch;
    launch.job_id = JobId(job_id);
    launch.job_name = spec.name;
    launch.tenant = tenant;
    launch.spec = &spec;
    launch.job_dir = cluster_->dir() + "/jobs/" + std::to_string(job_id);
    TaskLaunch t;
    t.rank = 0;
    t.task_dir = SlurmRankDir(launch.job_dir, 1, 0);
    t.placement.node = "slurm/hpc1/" + node;
    t.placement.cpus_milli = MilliCpu(1000);
    t.placement.memory_mib = MemoryMiB(128);
    t.run = spec.run;
    launch.tasks.push_back(t);
    TaskStatus st;
    Status can = driver_->CanRun(spec);
    EXPECT_TRUE(can.ok()) << can.message();
    auto handles = driver_->Launch(launch);
    if (!handles.ok()) {
      ADD_FAILURE() << handles.status().message();
      return st;
    }
    for (int i = 0; i < 600; ++i) {  // a bound against hanging, not a timing assertion
      st = driver_->Poll((*handles)[0]);
      if (IsTerminal(st.state)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    *log = ReadFileOrEmpty(launch.job_dir + "/attempt-1/rank-0/output.log") +
           ReadFileOrEmpty(launch.job_dir + "/attempt-1/batch.log");
    return st;
  }

  static JobSpec Spec(const std::string& name, const std::vector<VolumeMount>& volumes,
                      const std::string& run) {
    JobSpec spec;
    spec.name = name;
    spec.volumes = volumes;
    spec.run = run;
    return spec;
  }

  SimulatedClock clock_{1000};
  std::string root_;
  std::unique_ptr<storage::VolumeStore> store_;
  std::unique_ptr<SlurmDriver> driver_;
};

TEST_F(SlurmVolumesTest, DataWrittenByOneJobIsReadByTheTenantsNextJobNeverByAnother) {
  ASSERT_TRUE(store_->Create("alpha", "data", 0).ok());
  ASSERT_TRUE(store_->Create("alpha", "other", 0).ok());
  auto alpha_dir = store_->DataDir("alpha", "data");
  ASSERT_TRUE(alpha_dir.ok());
  std::string log;

  TaskStatus w = RunJob(901, "alpha",
                        Spec("writer", {{"data", "/data", false}},
                             "echo ALPHA-SECRET > \"$SKYRUN_MOUNT_ROOT/data/f\" && echo wrote; "
                             "ls " +
                                 root_ + " 2>&1 | wc -l"),
                        "node1", &log);
  ASSERT_EQ(w.state, RunState::kSucceeded) << w.reason << "\n" << log;
  EXPECT_NE(log.find("wrote"), std::string::npos) << log;
  EXPECT_NE(log.find("\n0\n"), std::string::npos) << "the store's root is hidden (empty):\n" << log;
  // The store's own directory holds it: what the local pool binds for alpha.
  EXPECT_EQ(ReadFileOrEmpty(*alpha_dir + "/f"), "ALPHA-SECRET\n");

  TaskStatus r = RunJob(902, "alpha",
                        Spec("reader", {{"data", "/in", true}},
                             "cat \"$SKYRUN_MOUNT_ROOT/in/f\"; "
                             "(echo x > \"$SKYRUN_MOUNT_ROOT/in/g\") 2>/dev/null && echo WROTE-RO; "
                             "true"),
                        "node2", &log);
  ASSERT_EQ(r.state, RunState::kSucceeded) << r.reason << "\n" << log;
  EXPECT_NE(log.find("ALPHA-SECRET"), std::string::npos) << log;
  EXPECT_EQ(log.find("WROTE-RO"), std::string::npos) << "a read-only volume was written:\n" << log;
  EXPECT_FALSE(std::filesystem::exists(*alpha_dir + "/g"));

  // Beta names a volume "data" too: its own, which it never created. The
  // server refuses that at submission; a launch that gets here anyway fails
  // on the node, and never binds alpha's.
  TaskStatus b =
      RunJob(903, "beta", Spec("thief", {{"data", "/data", false}}, "cat \"$SKYRUN_MOUNT_ROOT/data/f\""),
             "node1", &log);
  EXPECT_EQ(b.state, RunState::kFailed) << log;
  EXPECT_EQ(log.find("ALPHA-SECRET"), std::string::npos) << log;
  EXPECT_NE(log.find("volume 'data' is not at"), std::string::npos) << log;

  // With a volume of its own, beta still cannot reach alpha's by its path.
  ASSERT_TRUE(store_->Create("beta", "mine", 0).ok());
  TaskStatus b2 = RunJob(904, "beta",
                         Spec("peek", {{"mine", "/m", false}},
                              "cat " + *alpha_dir +
                                  "/f; ls \"$SKYRUN_MOUNT_ROOT/m\"; "
                                  "echo peeked"),
                         "node1", &log);
  EXPECT_EQ(b2.state, RunState::kSucceeded) << b2.reason << "\n" << log;
  EXPECT_NE(log.find("peeked"), std::string::npos) << log;
  EXPECT_EQ(log.find("ALPHA-SECRET"), std::string::npos) << log;
}

}  // namespace
}  // namespace skyrun
