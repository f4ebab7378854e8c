// Capacity other users' jobs hold, on outputs recorded from a real Slurm
// 22.05 cluster (tests/slurm/recorded/*_shared.txt, record_outputs.sh): node1
// holds another user's job (2 CPUs, 700 MiB, GPU 0) and rank 0 of a skyrun
// gang (1 CPU, 512 MiB, GPU 1); node2 holds rank 1 of the gang only. Finished
// jobs still print their allocation and must not count.
#include "drivers/slurm/slurm_usage.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "drivers/slurm/slurm_inventory.h"
#include "support/slurm/recorded_output.h"

namespace skyrun {
namespace {

TEST(SlurmUsage, JobDetailsGiveEachJobsAllocationPerNode) {
  auto jobs = ParseScontrolJobDetails(Recorded("scontrol_show_job_detail_shared.txt"));
  ASSERT_TRUE(jobs.ok()) << jobs.status().message();
  ASSERT_EQ(jobs->size(), 6u);
  const SlurmJobAllocation& other = (*jobs)[0];
  EXPECT_EQ(other.name, "otheruser");
  EXPECT_EQ(other.state, "RUNNING");
  ASSERT_EQ(other.nodes.size(), 1u);
  EXPECT_EQ(other.nodes[0].node, "node1");
  EXPECT_EQ(other.nodes[0].cpus, 2);  // CPU_IDs=2-3
  EXPECT_EQ(other.nodes[0].memory_mib, 700);
  EXPECT_EQ(other.nodes[0].gpus, (std::set<int>{0}));
  const SlurmJobAllocation& gang = (*jobs)[1];
  EXPECT_EQ(gang.name, "skyrun-7-gang-a1");
  ASSERT_EQ(gang.nodes.size(), 2u);
  EXPECT_EQ(gang.nodes[1].node, "node2");
  EXPECT_EQ(gang.nodes[1].cpus, 1);
  EXPECT_EQ(gang.nodes[1].gpus, (std::set<int>{0}));
  // A pending job holds nothing; a name with a space stays whole.
  EXPECT_EQ((*jobs)[3].name, "skyrun-10-pending job-a1");
  EXPECT_TRUE((*jobs)[3].nodes.empty());
}

TEST(SlurmUsage, GroupedNodesShareTheirDetail) {
  auto jobs = ParseScontrolJobDetails(
      "JobId=9 JobName=x JobState=RUNNING NumNodes=2 JOB_GRES=gpu:4 Nodes=n[1-2] CPU_IDs=0-1,4 Mem=100 "
      "GRES=gpu:a100:2(IDX:0,2) MinCPUsNode=1 Features=(null)\nNo jobs in the system\n");
  ASSERT_TRUE(jobs.ok()) << jobs.status().message();
  ASSERT_EQ(jobs->size(), 1u);
  ASSERT_EQ((*jobs)[0].nodes.size(), 2u);
  for (const auto& a : (*jobs)[0].nodes) {
    EXPECT_EQ(a.cpus, 3);
    EXPECT_EQ(a.memory_mib, 100);
    EXPECT_EQ(a.gpus, (std::set<int>{0, 2}));
  }
  EXPECT_FALSE(ParseScontrolJobDetails("slurm_load_jobs error: Unable to contact slurm controller").ok());
}

TEST(SlurmUsage, WhatOthersHoldIsTakenOffAndSkyrunsOwnIsNot) {
  auto nodes = ParseScontrolNodes(Recorded("scontrol_show_node_detail_shared.txt"));
  ASSERT_TRUE(nodes.ok()) << nodes.status().message();
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_TRUE((*nodes)[0].gpus_used_known);
  EXPECT_EQ((*nodes)[0].gpus_used, (std::set<int>{0, 1}));
  auto jobs = ParseScontrolJobDetails(Recorded("scontrol_show_job_detail_shared.txt"));
  ASSERT_TRUE(jobs.ok());
  SlurmClusterConfig config;
  std::vector<Node> inventory = SlurmNodesToInventory(*nodes, config);
  ASSERT_EQ(inventory.size(), 2u);
  SubtractTakenByOthers(*nodes, *jobs, &inventory);

  const Node& node1 = inventory[0];
  EXPECT_EQ(node1.cpus_milli.raw(), 2000);  // 4 CPUs, 2 held by the other user
  EXPECT_EQ(node1.memory_mib.raw(), 3396);  // 4096 - 700
  ASSERT_EQ(node1.gpus.size(), 1u);         // GPU 0 is the other user's
  EXPECT_EQ(node1.gpus[0].index, 1);        // GPU 1 is skyrun's own: the scheduler books it
  EXPECT_EQ(node1.attributes.at("GpusTakenByOthers"), "0");
  EXPECT_EQ(node1.attributes.at("CpusTakenByOthers"), "2");

  const Node& node2 = inventory[1];  // only skyrun's rank (and finished jobs) there
  EXPECT_EQ(node2.cpus_milli.raw(), 4000);
  EXPECT_EQ(node2.memory_mib.raw(), 4096);
  EXPECT_EQ(node2.gpus.size(), 2u);
  EXPECT_EQ(node2.attributes.at("GpusTakenByOthers"), "none");
}

TEST(SlurmUsage, WithoutGresUsedNoGpuIsTakenAndTheAttributeSaysUnknown) {
  auto nodes = ParseScontrolNodes(Recorded("scontrol_show_node_mixed.txt"));  // recorded without -d
  ASSERT_TRUE(nodes.ok());
  SlurmClusterConfig config;
  std::vector<Node> inventory = SlurmNodesToInventory(*nodes, config);
  SubtractTakenByOthers(*nodes, {}, &inventory);
  ASSERT_FALSE(inventory.empty());
  EXPECT_EQ(inventory[0].gpus.size(), 2u);
  EXPECT_EQ(inventory[0].attributes.at("GpusTakenByOthers"), "unknown");
  EXPECT_EQ(inventory[0].cpus_milli.raw(), 3000);  // CPUAlloc=1, no skyrun job known
}

TEST(SlurmUsage, GresIndices) {
  EXPECT_EQ(ParseGresIndices("gpu:T4:2(IDX:0-1)"), (std::set<int>{0, 1}));
  EXPECT_EQ(ParseGresIndices("gpu:a100:1(IDX:0),gpu:v100:2(IDX:2-3),shard:4(IDX:0)"),
            (std::set<int>{0, 2, 3}));
  EXPECT_EQ(ParseGresIndices("gpu:2(IDX:1,3)"), (std::set<int>{1, 3}));
  EXPECT_TRUE(ParseGresIndices("gpu:T4:0(IDX:N/A)").empty());
  EXPECT_TRUE(ParseGresIndices("(null)").empty());
  EXPECT_TRUE(ParseGresIndices("gpumem:4(IDX:0)").empty());
}

}  // namespace
}  // namespace skyrun
