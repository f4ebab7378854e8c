// The pure parts of SlurmDriver: the inventory built from recorded
// `scontrol show node` output, the fit check that refuses impossible jobs, and
// the handle format.
#include <gtest/gtest.h>

#include "drivers/slurm/slurm_driver.h"
#include "support/slurm/recorded_output.h"

namespace skyrun {
namespace {

std::vector<SlurmNodeInfo> RecordedNodes(const std::string& name) {
  auto nodes = ParseScontrolNodes(Recorded(name));
  EXPECT_TRUE(nodes.ok()) << nodes.status().message();
  return nodes.ok() ? *nodes : std::vector<SlurmNodeInfo>{};
}

SlurmClusterConfig Config() {
  SlurmClusterConfig c;
  c.name = "hpc1";
  c.price_per_gpu_hour = 1.25;
  c.price_per_cpu_hour = 0.05;
  return c;
}

TEST(SlurmInventory, NodesFromRecordedOutput) {
  SlurmClusterConfig c = Config();
  c.gpu_memory_mb = {{"T4", 15360}};
  auto nodes = SlurmNodesToInventory(RecordedNodes("scontrol_show_node_down.txt"), c);
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].name, "slurm/hpc1/node1");
  EXPECT_EQ(nodes[0].state, NodeState::kUp);
  EXPECT_EQ(nodes[1].state, NodeState::kDown);
  EXPECT_EQ(nodes[1].attributes.at("State"), "DOWN+NOT_RESPONDING");
  EXPECT_EQ(nodes[1].attributes.at("SlurmNode"), "node2");
  EXPECT_EQ(nodes[0].attributes.at("CpusAllocated"), "1");
  EXPECT_EQ(nodes[0].cpus_milli.raw(), 4000);
  ASSERT_EQ(nodes[0].gpus.size(), 2u);
  EXPECT_EQ(nodes[0].gpus[1].index, 1);
  EXPECT_EQ(nodes[0].gpus[1].memory_mb.raw(), 15360);
  EXPECT_DOUBLE_EQ(nodes[0].price_per_gpu_hour, 1.25);
  EXPECT_DOUBLE_EQ(nodes[0].price_per_cpu_hour, 0.05);
}

TEST(SlurmInventory, GresTypesMapToModelsAndPartitionsFilter) {
  SlurmNodeInfo a;
  a.name = "a1";
  a.state = "IDLE";
  a.cpus = 64;
  a.memory_mib = 512000;
  a.gres = ParseGres("gpu:a100:8(S:0-1)");
  a.partitions = {"gpu", "long"};
  SlurmNodeInfo b = a;
  b.name = "c1";
  b.gres = {};
  b.partitions = {"cpu"};
  SlurmClusterConfig c = Config();
  c.gpu_models = {{"a100", "A100-80GB"}};
  c.partition = "gpu";
  auto nodes = SlurmNodesToInventory({a, b}, c);
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].gpus.size(), 8u);
  EXPECT_EQ(nodes[0].gpus[0].model, "A100-80GB");
  EXPECT_EQ(nodes[0].attributes.at("Partition"), "gpu,long");
}

TEST(SlurmFit, TooManyGpusPerTaskNamesTheBiggestNode) {
  auto nodes = SlurmNodesToInventory(RecordedNodes("scontrol_show_node_idle.txt"), Config());
  JobSpec spec;
  spec.name = "huge";
  spec.resources.accelerators = {{"T4", 3}};
  Status s = CheckFitsOnNodes(spec, nodes, "slurm/hpc1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      s.message(),
      "slurm/hpc1 cannot run job 'huge': each task asks for 3 T4 GPUs, but the most any node of slurm/hpc1 "
      "has is 2 (node1: 2 x T4). Ask for at most 2 GPUs per task (and more tasks), or let skyrun place the "
      "job elsewhere.");
  spec.resources.accelerators = {{"t4", 2}};  // model names match regardless of case
  EXPECT_TRUE(CheckFitsOnNodes(spec, nodes, "slurm/hpc1").ok());
  // Any one of several models will do.
  spec.resources.accelerators = {{"A100", 8}, {"T4", 1}};
  EXPECT_TRUE(CheckFitsOnNodes(spec, nodes, "slurm/hpc1").ok());
}

TEST(SlurmFit, MissingModelCpuMemoryAndGangSize) {
  auto nodes = SlurmNodesToInventory(RecordedNodes("scontrol_show_node_idle.txt"), Config());
  JobSpec spec;
  spec.name = "j";
  spec.resources.accelerators = {{"H100", 1}};
  Status model = CheckFitsOnNodes(spec, nodes, "slurm/hpc1");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.message().find("no node of slurm/hpc1 has H100 GPUs (GPU models here: T4)"),
            std::string::npos)
      << model.message();

  spec.resources.accelerators.clear();
  spec.resources.cpus_milli = MilliCpu(8000);
  Status cpus = CheckFitsOnNodes(spec, nodes, "slurm/hpc1");
  ASSERT_FALSE(cpus.ok());
  EXPECT_NE(cpus.message().find("asks for 8 CPUs, but the most any node of slurm/hpc1 has is 4"),
            std::string::npos)
      << cpus.message();

  spec.resources.cpus_milli = MilliCpu(1000);
  spec.resources.memory_mib = MemoryMiB(8192);
  Status mem = CheckFitsOnNodes(spec, nodes, "slurm/hpc1");
  ASSERT_FALSE(mem.ok());
  EXPECT_NE(mem.message().find("8192 MiB"), std::string::npos) << mem.message();

  spec.resources.memory_mib = MemoryMiB(1024);
  spec.mode = JobMode::kGang;
  spec.num_nodes = 2;
  EXPECT_TRUE(CheckFitsOnNodes(spec, nodes, "slurm/hpc1").ok());
  spec.num_nodes = 3;
  EXPECT_FALSE(CheckFitsOnNodes(spec, nodes, "slurm/hpc1").ok());
}

TEST(SlurmFit, MilliGpuNeedsOneGpuAndPsWorkerRolesAreCheckedEach) {
  auto nodes = SlurmNodesToInventory(RecordedNodes("scontrol_show_node_idle.txt"), Config());
  JobSpec spec;
  spec.name = "share";
  spec.resources.gpu_milli = MilliGpu(250);
  EXPECT_TRUE(CheckFitsOnNodes(spec, nodes, "slurm/hpc1").ok());
  EXPECT_FALSE(CheckFitsOnNodes(spec, {}, "slurm/hpc1").ok());

  JobSpec ps;
  ps.name = "ps";
  ps.mode = JobMode::kPsWorker;
  Role server{"ps", 1, {}, "", "ps"};
  Role worker{"worker", 4, {}, "", "w"};
  worker.resources.accelerators = {{"T4", 4}};
  ps.roles = {server, worker};
  Status s = CheckFitsOnNodes(ps, nodes, "slurm/hpc1");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("each 'worker' task asks for 4 T4 GPUs"), std::string::npos) << s.message();
}

TEST(SlurmHandle, RoundTrip) {
  SlurmHandle h{"4242", 3, "/srv/jobs/7/attempt-2/rank-3"};
  std::string text = FormatSlurmHandle(h);
  EXPECT_EQ(text, "4242:3:/srv/jobs/7/attempt-2/rank-3");
  auto back = ParseSlurmHandle(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->job_id, "4242");
  EXPECT_EQ(back->rank, 3);
  EXPECT_EQ(back->rank_dir, "/srv/jobs/7/attempt-2/rank-3");
  // A directory with ':' in it survives (only the first two separate).
  auto colon = ParseSlurmHandle("9:0:/data/a:b/rank-0");
  ASSERT_TRUE(colon.ok());
  EXPECT_EQ(colon->rank_dir, "/data/a:b/rank-0");
  EXPECT_FALSE(ParseSlurmHandle("local-supervisor-dir").ok());
  EXPECT_FALSE(ParseSlurmHandle("x:0:/d").ok());
  EXPECT_FALSE(ParseSlurmHandle("9:-1:/d").ok());
  EXPECT_FALSE(ParseSlurmHandle("9:0:").ok());
}

}  // namespace
}  // namespace skyrun
