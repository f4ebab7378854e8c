// TaskEnvironment: skyrun's and SkyPilot's task variables (issue 15).
#include <gtest/gtest.h>

#include "controller/controller.h"

namespace skyrun {
namespace {

TaskPlacement Task(int rank, const std::string& node, const std::string& address, std::vector<int> gpus) {
  TaskPlacement t;
  t.rank = rank;
  t.node = node;
  t.node_address = address;
  t.gpu_indices = std::move(gpus);
  t.gpu_milli = static_cast<int64_t>(t.gpu_indices.size()) * 1000;
  return t;
}

JobRecord Job() {
  JobRecord job;
  job.id = JobId(42);
  job.name = "mingpt-ddp";
  return job;
}

TEST(TaskEnvTest, SkyPilotVariablesMatchSkyrunsOnEveryRank) {
  Placement placement;
  placement.backend = "local";
  placement.tasks = {Task(0, "n0", "10.0.0.1", {0, 1}), Task(1, "n1", "10.0.0.2", {2, 3})};
  auto e0 = TaskEnvironment(Job(), placement, 0, 1, "/ckpt");
  auto e1 = TaskEnvironment(Job(), placement, 1, 2, "/ckpt");
  EXPECT_EQ(e0["SKYPILOT_NODE_RANK"], "0");
  EXPECT_EQ(e1["SKYPILOT_NODE_RANK"], "1");
  EXPECT_EQ(e1["SKYPILOT_NUM_NODES"], "2");
  EXPECT_EQ(e1["SKYPILOT_NODE_IPS"], "10.0.0.1\n10.0.0.2");
  EXPECT_EQ(e1["SKYPILOT_NUM_GPUS_PER_NODE"], "2");
  EXPECT_EQ(e1["SKYRUN_NUM_GPUS_PER_NODE"], "2");
  // The same on every node and every attempt (torchrun's --rdzv_id), unlike SKYRUN_TASK_ID.
  EXPECT_EQ(e0["SKYPILOT_TASK_ID"], e1["SKYPILOT_TASK_ID"]);
  EXPECT_EQ(e0["SKYPILOT_TASK_ID"], "skyrun-42_mingpt-ddp");
  EXPECT_NE(e0["SKYRUN_TASK_ID"], e1["SKYRUN_TASK_ID"]);
}

TEST(TaskEnvTest, SkyPilotNodeIpsHasOneLinePerNodeEvenOnOneHost) {
  Placement placement;
  placement.tasks = {Task(0, "box-a", "127.0.0.1", {0}), Task(1, "box-b", "127.0.0.1", {0}),
                     Task(2, "box-b", "127.0.0.1", {1})};
  auto env = TaskEnvironment(Job(), placement, 2, 1, "");
  EXPECT_EQ(env["SKYPILOT_NODE_IPS"], "127.0.0.1\n127.0.0.1");
  EXPECT_EQ(env["SKYRUN_NODE_IPS"], "127.0.0.1");
}

TEST(TaskEnvTest, GpuCountIsZeroWithoutGpusAndOneForAShare) {
  Placement cpu;
  cpu.tasks = {Task(0, "n0", "10.0.0.1", {})};
  EXPECT_EQ(TaskEnvironment(Job(), cpu, 0, 1, "")["SKYPILOT_NUM_GPUS_PER_NODE"], "0");
  Placement share;
  share.tasks = {Task(0, "n0", "10.0.0.1", {})};
  share.tasks[0].gpu_indices = {0};
  share.tasks[0].gpu_milli = 500;
  EXPECT_EQ(TaskEnvironment(Job(), share, 0, 1, "")["SKYPILOT_NUM_GPUS_PER_NODE"], "1");
}

TEST(TaskEnvTest, SlurmVariablesOnlyForABatchScript) {
  Placement placement;
  placement.tasks = {Task(0, "box-a", "10.0.0.1", {0}), Task(1, "box-a", "10.0.0.1", {1}),
                     Task(2, "box-b", "10.0.0.2", {0}), Task(3, "box-b", "10.0.0.2", {1})};
  JobRecord job = Job();
  EXPECT_EQ(TaskEnvironment(job, placement, 2, 1, "").count("SLURM_PROCID"), 0u);
  job.spec.slurm_env = true;
  auto env = TaskEnvironment(job, placement, 3, 1, "");
  EXPECT_EQ(env["SLURM_PROCID"], "3");
  EXPECT_EQ(env["SLURM_LOCALID"], "1");
  EXPECT_EQ(env["SLURM_NODEID"], "1");
  EXPECT_EQ(env["SLURM_NNODES"], "2");
  EXPECT_EQ(env["SLURM_NTASKS"], "4");
  EXPECT_EQ(env["SLURM_JOB_NODELIST"], "box-a,box-b");
  EXPECT_EQ(env["SLURM_JOB_ID"], "42");
  EXPECT_EQ(env["SLURM_JOB_NAME"], "mingpt-ddp");
}

}  // namespace
}  // namespace skyrun
