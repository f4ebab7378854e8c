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
  t.gpu_milli = MilliGpu(static_cast<int64_t>(t.gpu_indices.size()) * 1000);
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
  share.tasks[0].gpu_milli = MilliGpu(500);
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
  EXPECT_EQ(env["SLURM_NODELIST"], "box-a,box-b");
  EXPECT_EQ(env["SLURM_JOB_ID"], "42");
  EXPECT_EQ(env["SLURM_JOBID"], "42");
  EXPECT_EQ(env["SLURM_JOB_NAME"], "mingpt-ddp");
  EXPECT_EQ(env.count("SLURM_ARRAY_TASK_ID"), 0u);  // no array
}

TEST(TaskEnvTest, NodeListIsCompressedAsSlurmWritesIt) {
  Placement placement;
  placement.tasks = {Task(0, "node3", "10.0.0.3", {}), Task(1, "node1", "10.0.0.1", {}),
                     Task(2, "node2", "10.0.0.2", {}), Task(3, "node5", "10.0.0.5", {})};
  JobRecord job = Job();
  job.spec.slurm_env = true;
  EXPECT_EQ(TaskEnvironment(job, placement, 0, 1, "")["SLURM_JOB_NODELIST"], "node[1-3,5]");
}

TEST(TaskEnvTest, ArrayElementsGetSlurmsArrayVariables) {
  Placement placement;
  placement.tasks = {Task(0, "node1", "10.0.0.1", {})};
  JobRecord job = Job();
  job.id = JobId(45);
  job.name = "sweep_[8]";
  job.spec.name = "sweep";
  job.spec.slurm_env = true;
  job.spec.array.indices = {0, 4, 8, 12};
  job.spec.array.step = 4;
  job.spec.array.task_id = 8;
  job.spec.array.array_job_id = 43;
  auto env = TaskEnvironment(job, placement, 0, 1, "");
  EXPECT_EQ(env["SLURM_ARRAY_JOB_ID"], "43");
  EXPECT_EQ(env["SLURM_ARRAY_TASK_ID"], "8");
  EXPECT_EQ(env["SLURM_ARRAY_TASK_COUNT"], "4");
  EXPECT_EQ(env["SLURM_ARRAY_TASK_MIN"], "0");
  EXPECT_EQ(env["SLURM_ARRAY_TASK_MAX"], "12");
  EXPECT_EQ(env["SLURM_ARRAY_TASK_STEP"], "4");
  EXPECT_EQ(env["SLURM_JOB_ID"], "45");
  EXPECT_EQ(env["SLURM_JOB_NAME"], "sweep");  // not sweep_[8]: every element has the script's name
  // The first element is the array: its own id.
  job.spec.array.task_id = 0;
  job.spec.array.array_job_id = 0;
  EXPECT_EQ(TaskEnvironment(job, placement, 0, 1, "")["SLURM_ARRAY_JOB_ID"], "45");
}

// An array written in YAML (`array:`): skyrun's own variables, no SLURM_*.
TEST(TaskEnvTest, YamlArrayElementsGetSkyrunArrayVariablesOnly) {
  Placement placement;
  placement.tasks = {Task(0, "node1", "10.0.0.1", {})};
  JobRecord job = Job();
  job.id = JobId(46);
  job.spec.array.indices = {1, 3, 5};
  job.spec.array.task_id = 3;
  job.spec.array.array_job_id = 44;
  auto env = TaskEnvironment(job, placement, 0, 1, "");
  EXPECT_EQ(env["SKYRUN_ARRAY_JOB_ID"], "44");
  EXPECT_EQ(env["SKYRUN_ARRAY_TASK_ID"], "3");
  EXPECT_EQ(env["SKYRUN_ARRAY_TASK_COUNT"], "3");
  EXPECT_EQ(env.count("SLURM_ARRAY_TASK_ID"), 0u);
}

}  // namespace
}  // namespace skyrun
