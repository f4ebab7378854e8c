// Cost estimates for admission: time limit x the cheapest node that can hold
// each task, at the nodes' internal prices.
#include "budget/estimate.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

Node GpuNode(const std::string& name, const std::string& backend, const std::string& model, int gpus,
             double per_gpu_hour, double per_cpu_hour) {
  Node n;
  n.name = name;
  n.backend = backend;
  n.cpus_milli = MilliCpu(32000);
  n.memory_mib = MemoryMiB(256 * 1024);
  for (int i = 0; i < gpus; ++i) n.gpus.push_back({i, model, MemoryMiB(16384)});
  n.price_per_gpu_hour = per_gpu_hour;
  n.price_per_cpu_hour = per_cpu_hour;
  return n;
}

JobSpec Spec(int v100s, std::optional<int64_t> time_limit) {
  JobSpec s;
  s.resources.cpus_milli = MilliCpu(4000);
  if (v100s > 0) s.resources.accelerators["V100"] = v100s;
  s.time_limit_seconds = time_limit;
  return s;
}

TEST(EstimateTest, TimeLimitTimesTheCheapestNodeThatFits) {
  // slurm: 8 V100 at $2.00/GPU-h and $0.05/CPU-h; local: 2 V100 at $1.50 and $0.10.
  std::vector<Node> nodes = {GpuNode("s1", "slurm/hpc1", "V100", 8, 2.0, 0.05),
                             GpuNode("l1", "local", "V100", 2, 1.5, 0.10),
                             GpuNode("a1", "local", "A100", 8, 0.5, 0)};
  // 2 V100 + 4 CPUs: local costs 2 x 1.5 + 4 x 0.1 = 3.4/h; slurm 4.2/h. 3 h -> $10.20.
  auto e = EstimateJobCost(Spec(2, 3 * 3600), std::nullopt, nodes);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE(e->priced);
  EXPECT_NEAR(e->hourly_usd, 3.4, 1e-9);
  EXPECT_NEAR(e->usd, 10.2, 1e-9);
  // 4 V100 do not fit on local's 2: slurm, 4 x 2 + 4 x 0.05 = 8.2/h.
  e = EstimateJobCost(Spec(4, 3600), std::nullopt, nodes);
  ASSERT_TRUE(e.ok());
  EXPECT_NEAR(e->usd, 8.2, 1e-9);
  EXPECT_NE(e->basis.find("1h (its time limit) x $8.20/h"), std::string::npos) << e->basis;
  EXPECT_NE(e->basis.find("on slurm/hpc1"), std::string::npos) << e->basis;
  // infra keeps it off slurm: nothing can hold it, so it is not priced.
  JobSpec local_only = Spec(4, 3600);
  local_only.resources.infra = {"local"};
  e = EstimateJobCost(local_only, std::nullopt, nodes);
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->priced);
  EXPECT_DOUBLE_EQ(e->usd, 0);
}

TEST(EstimateTest, AGangPaysForEveryNode) {
  std::vector<Node> nodes = {GpuNode("s1", "slurm/hpc1", "V100", 8, 2.0, 0)};
  JobSpec gang = Spec(8, 2 * 3600);
  gang.mode = JobMode::kGang;
  gang.num_nodes = 2;
  auto e = EstimateJobCost(gang, std::nullopt, nodes);
  ASSERT_TRUE(e.ok());
  EXPECT_NEAR(e->usd, 2 * 8 * 2.0 * 2, 1e-9);  // 2 nodes x 8 GPUs x $2 x 2 h
  EXPECT_NE(e->basis.find("2 tasks"), std::string::npos) << e->basis;
}

TEST(EstimateTest, TheLimitComesFromTheSpecTheDefaultOrTheDeadline) {
  std::vector<Node> nodes = {GpuNode("l1", "local", "V100", 1, 1.0, 0)};
  // The default (queue or server) when the spec sets none.
  auto e = EstimateJobCost(Spec(1, std::nullopt), 7200, nodes);
  ASSERT_TRUE(e.ok());
  EXPECT_NEAR(e->usd, 2.0, 1e-9);
  // The deadline when there is no limit at all.
  JobSpec with_deadline = Spec(1, std::nullopt);
  with_deadline.deadline_seconds = 5 * 3600;
  e = EstimateJobCost(with_deadline, std::nullopt, nodes);
  ASSERT_TRUE(e.ok());
  EXPECT_NEAR(e->usd, 5.0, 1e-9);
  EXPECT_NE(e->basis.find("its deadline"), std::string::npos);
  // Neither: refused with what to do.
  e = EstimateJobCost(Spec(1, std::nullopt), std::nullopt, nodes);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(e.status().message().find("set time_limit"), std::string::npos);
}

}  // namespace
}  // namespace skyrun
