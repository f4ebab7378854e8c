#include "scheduler/scheduler.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

Node MakeNode(const std::string& name, int cpus, int64_t mem_gib, int gpus, const std::string& model = "A100-80GB") {
  Node n;
  n.name = name;
  n.backend = "local";
  n.cpus_milli = cpus * 1000;
  n.memory_mib = mem_gib * 1024;
  for (int i = 0; i < gpus; ++i) n.gpus.push_back({i, model, 81920});
  return n;
}

JobSpec GpuJob(int nodes, int gpus_per_task, const std::string& model = "A100") {
  JobSpec s;
  s.mode = nodes > 1 ? JobMode::kGang : JobMode::kSingle;
  s.num_nodes = nodes;
  s.resources.cpus_milli = 1000;
  s.resources.accelerators[model] = gpus_per_task;
  return s;
}

TEST(SchedulerTest, PlacesWholeGpusAndReserves) {
  ClusterSnapshot snap;
  snap.SetNodes({MakeNode("n0", 8, 64, 4)});
  Scheduler sched;
  auto out = sched.Place(GpuJob(1, 2), snap);
  ASSERT_TRUE(out.placement) << out.reason;
  EXPECT_EQ(out.placement->tasks[0].gpu_indices, (std::vector<int>{0, 1}));
  auto second = sched.Place(GpuJob(1, 2), snap);
  ASSERT_TRUE(second.placement);
  EXPECT_EQ(second.placement->tasks[0].gpu_indices, (std::vector<int>{2, 3}));
  auto third = sched.Place(GpuJob(1, 1), snap);
  EXPECT_FALSE(third.placement);
  EXPECT_NE(third.reason.find("0 of 4 A100 free"), std::string::npos) << third.reason;
}

TEST(SchedulerTest, GangIsAllOrNothing) {
  ClusterSnapshot snap;
  snap.SetNodes({MakeNode("n0", 8, 64, 2), MakeNode("n1", 8, 64, 1)});
  Scheduler sched;
  // 2 ranks x 2 GPUs: only n0 can hold one rank; the gang must not half-start.
  auto out = sched.Place(GpuJob(2, 2), snap);
  EXPECT_FALSE(out.placement);
  EXPECT_EQ(snap.UsageOf("n0").gpu_milli_used, (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(snap.UsageOf("n0").cpus_milli, 0);
}

TEST(SchedulerTest, SharesPackOntoTheFullestGpu) {
  ClusterSnapshot snap;
  snap.SetNodes({MakeNode("n0", 8, 64, 2)});
  Scheduler sched;
  JobSpec share;
  share.resources.gpu_milli = 500;
  auto a = sched.Place(share, snap);
  auto b = sched.Place(share, snap);
  ASSERT_TRUE(a.placement && b.placement);
  EXPECT_EQ(a.placement->tasks[0].gpu_indices, b.placement->tasks[0].gpu_indices);
  share.resources.gpu_milli = 600;
  auto c = sched.Place(share, snap);
  ASSERT_TRUE(c.placement);
  EXPECT_NE(c.placement->tasks[0].gpu_indices, a.placement->tasks[0].gpu_indices);
  // A whole-GPU task now finds no idle GPU.
  EXPECT_FALSE(sched.Place(GpuJob(1, 1), snap).placement);
}

TEST(SchedulerTest, ReleaseUndoesReserve) {
  ClusterSnapshot snap;
  snap.SetNodes({MakeNode("n0", 8, 64, 4)});
  Scheduler sched;
  auto out = sched.Place(GpuJob(2, 2), snap);
  ASSERT_TRUE(out.placement);
  for (const auto& t : out.placement->tasks) snap.Release(t);
  EXPECT_EQ(snap.UsageOf("n0").gpu_milli_used, (std::vector<int64_t>{0, 0, 0, 0}));
  EXPECT_EQ(snap.UsageOf("n0").cpus_milli, 0);
}

TEST(SchedulerTest, ModelNamesAndFeasibility) {
  Scheduler sched;
  std::vector<Node> nodes = {MakeNode("n0", 8, 64, 4, "A100-80GB"), MakeNode("n1", 8, 64, 8, "V100")};
  EXPECT_TRUE(sched.CheckFeasible(GpuJob(1, 4, "A100"), nodes).ok());
  EXPECT_TRUE(sched.CheckFeasible(GpuJob(1, 4, "a100-80gb"), nodes).ok());
  EXPECT_FALSE(sched.CheckFeasible(GpuJob(1, 4, "H100"), nodes).ok());
  Status too_many = sched.CheckFeasible(GpuJob(1, 16, "A100"), nodes);
  EXPECT_EQ(too_many.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(too_many.message().find("can never fit"), std::string::npos);
}

TEST(SchedulerTest, InfraFiltersBackends) {
  EXPECT_TRUE(InfraAllows({}, "local"));
  EXPECT_TRUE(InfraAllows({"slurm"}, "slurm/hpc1"));
  EXPECT_TRUE(InfraAllows({"slurm/hpc1"}, "slurm/hpc1"));
  EXPECT_FALSE(InfraAllows({"slurm/hpc2"}, "slurm/hpc1"));
  EXPECT_FALSE(InfraAllows({"local"}, "slurm/hpc1"));
}

TEST(SchedulerTest, PredicateFiltersAndRankBeatsPacking) {
  ClusterSnapshot snap;
  // n-busy is the tighter fit (best fit would pick it); n-fast has the higher rank.
  snap.SetNodes({MakeNode("n-busy", 8, 64, 2), MakeNode("n-fast", 8, 64, 4), MakeNode("n-no", 8, 64, 8)});
  Scheduler sched;
  NodePredicate pred = [](const Node& n, const TaskRequest&) {
    NodeVerdict v;
    if (n.name == "n-no") v.reject = "requirements: Country == \"US\" is FALSE";
    v.rank_defined = n.name != "n-no";
    v.rank = n.name == "n-fast" ? 10 : 1;
    return v;
  };
  auto out = sched.Place(GpuJob(1, 1), snap, pred);
  ASSERT_TRUE(out.placement) << out.reason;
  EXPECT_EQ(out.placement->tasks[0].node, "n-fast");
  // Without a predicate the tightest fit wins.
  auto plain = sched.Place(GpuJob(1, 1), snap);
  ASSERT_TRUE(plain.placement);
  EXPECT_EQ(plain.placement->tasks[0].node, "n-busy");
  // A job only the rejected node could hold says why that node is out.
  auto big = sched.Place(GpuJob(1, 8), snap, pred);
  EXPECT_FALSE(big.placement);
  EXPECT_NE(big.reason.find("n-no: requirements: Country == \"US\" is FALSE"), std::string::npos) << big.reason;
  Status feasible = sched.CheckFeasible(GpuJob(1, 8), snap.nodes(), pred);
  EXPECT_FALSE(feasible.ok());
}

TEST(SchedulerTest, UndefinedRankComesAfterDefined) {
  ClusterSnapshot snap;
  snap.SetNodes({MakeNode("a", 8, 64, 1), MakeNode("b", 8, 64, 4)});
  Scheduler sched;
  NodePredicate pred = [](const Node& n, const TaskRequest&) {
    NodeVerdict v;
    v.rank_defined = n.name == "b";
    v.rank = -100;  // a low rank still beats no rank
    return v;
  };
  auto out = sched.Place(GpuJob(1, 1), snap, pred);
  ASSERT_TRUE(out.placement);
  EXPECT_EQ(out.placement->tasks[0].node, "b");
}

}  // namespace
}  // namespace skyrun
