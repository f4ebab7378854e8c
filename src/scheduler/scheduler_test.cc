#include "scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <set>

#include "scheduler/test_nodes.h"

namespace skyrun {
namespace {

using testing_nodes::FnMatcher;
using testing_nodes::GpuJob;
using testing_nodes::MakeNode;
using testing_nodes::Pending;

TEST(SchedulerTest, PlacesWholeGpusAndReserves) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("n0", 8, 64, 4)});
  Scheduler sched;
  JobSpec two = GpuJob(1, 2), one = GpuJob(1, 1);
  auto out = sched.Place(Pending(two), fleet);
  ASSERT_TRUE(out.placement) << out.reason;
  EXPECT_EQ(out.placement->tasks[0].gpu_indices, (std::vector<int>{0, 1}));
  auto second = sched.Place(Pending(two), fleet);
  ASSERT_TRUE(second.placement);
  EXPECT_EQ(second.placement->tasks[0].gpu_indices, (std::vector<int>{2, 3}));
  auto third = sched.Place(Pending(one), fleet);
  EXPECT_FALSE(third.placement);
  EXPECT_NE(third.reason.find("n0: 0 of 4 A100 free"), std::string::npos) << third.reason;
}

TEST(SchedulerTest, GangIsAllOrNothing) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("n0", 8, 64, 2), MakeNode("n1", 8, 64, 1)});
  Scheduler sched;
  // 2 ranks x 2 GPUs: only n0 can hold one rank; the gang must not half-start.
  JobSpec gang = GpuJob(2, 2);
  auto out = sched.Place(Pending(gang), fleet);
  EXPECT_FALSE(out.placement);
  EXPECT_EQ(fleet.UsageOf("n0").gpu_milli_used, (std::vector<MilliGpu>{MilliGpu(0), MilliGpu(0)}));
  EXPECT_EQ(fleet.UsageOf("n0").cpus_milli.raw(), 0);
}

TEST(SchedulerTest, GangRanksLandOnDistinctNodesUnlessTasksPerNodeSaysSo) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("n0", 8, 64, 8), MakeNode("n1", 8, 64, 8)});
  Scheduler sched;
  JobSpec gang = GpuJob(2, 1);
  auto out = sched.Place(Pending(gang), fleet);
  ASSERT_TRUE(out.placement) << out.reason;
  std::set<std::string> nodes;
  for (const auto& t : out.placement->tasks) nodes.insert(t.node);
  EXPECT_EQ(nodes.size(), 2u);  // best fit alone would stack both on one node

  // Three ranks on two nodes: only when the spec allows two per node.
  JobSpec three = GpuJob(3, 1);
  EXPECT_FALSE(sched.Place(Pending(three, 2), fleet).placement);
  three.tasks_per_node = 2;
  auto packed = sched.Place(Pending(three, 3), fleet);
  ASSERT_TRUE(packed.placement) << packed.reason;
  std::map<std::string, int> per_node;
  for (const auto& t : packed.placement->tasks) per_node[t.node]++;
  for (const auto& [node, n] : per_node) EXPECT_LE(n, 2) << node;
}

TEST(SchedulerTest, AGangIsPlannedPerBackendAndNeverSplit) {
  // One local 1-GPU node and two Slurm-like 4-GPU nodes; a gang of 2 x 1 GPU.
  Fleet fleet;
  fleet.SetNodes({MakeNode("local-0", 8, 64, 1, "A100", "local"),
                  MakeNode("hpc/a", 8, 64, 4, "A100", "slurm/hpc"),
                  MakeNode("hpc/b", 8, 64, 4, "A100", "slurm/hpc")});
  Scheduler sched;
  JobSpec gang = GpuJob(2, 1);
  EXPECT_TRUE(sched.CheckFeasible(gang, fleet.nodes(), nullptr).ok());
  auto out = sched.Place(Pending(gang), fleet);
  ASSERT_TRUE(out.placement) << out.reason;
  EXPECT_EQ(out.placement->backend, "slurm/hpc");
  for (const auto& t : out.placement->tasks) EXPECT_NE(t.node, "local-0");
}

TEST(SchedulerTest, SharesPackOntoTheFullestGpu) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("n0", 8, 64, 2)});
  Scheduler sched;
  JobSpec share;
  share.resources.gpu_milli = MilliGpu(500);
  auto a = sched.Place(Pending(share), fleet);
  auto b = sched.Place(Pending(share), fleet);
  ASSERT_TRUE(a.placement && b.placement);
  EXPECT_EQ(a.placement->tasks[0].gpu_indices, b.placement->tasks[0].gpu_indices);
  share.resources.gpu_milli = MilliGpu(600);
  auto c = sched.Place(Pending(share), fleet);
  ASSERT_TRUE(c.placement);
  EXPECT_NE(c.placement->tasks[0].gpu_indices, a.placement->tasks[0].gpu_indices);
  // A whole-GPU task now finds no idle GPU.
  JobSpec whole = GpuJob(1, 1);
  EXPECT_FALSE(sched.Place(Pending(whole), fleet).placement);
}

TEST(SchedulerTest, AShareTakesAWholeGpuWhereTheBackendHandsOutWholeGpus) {
  Fleet fleet;
  BackendCapabilities whole_only;
  whole_only.gpu_granularity_milli = 1000;
  fleet.SetCapabilities("slurm/hpc", whole_only);
  fleet.SetNodes({MakeNode("hpc/a", 8, 64, 1, "A100", "slurm/hpc")});
  Scheduler sched;
  JobSpec share;
  share.resources.gpu_milli = MilliGpu(500);
  auto a = sched.Place(Pending(share), fleet);
  ASSERT_TRUE(a.placement) << a.reason;
  EXPECT_EQ(a.placement->tasks[0].gpu_milli.raw(), 500);  // what the task asked for
  EXPECT_EQ(fleet.UsageOf("hpc/a").gpu_milli_used,
            (std::vector<MilliGpu>{MilliGpu(1000)}));  // what the books hold
  auto b = sched.Place(Pending(share, 2), fleet);
  EXPECT_FALSE(b.placement);
  EXPECT_NE(b.reason.find("books whole GPUs"), std::string::npos) << b.reason;
  fleet.Release(a.placement->tasks[0]);
  EXPECT_EQ(fleet.UsageOf("hpc/a").gpu_milli_used, (std::vector<MilliGpu>{MilliGpu(0)}));
}

// What the picker keeps per shape and request holds for one fleet's shapes
// only: a request judged on a T4 shape is judged afresh on an A100 one with
// the same shape index, in another fleet or after the nodes are replaced.
TEST(SchedulerTest, WhatAShapeSaysIsNotCarriedToOtherNodes) {
  JobSpec share;
  share.resources.gpu_milli = MilliGpu(500);
  share.resources.accelerators["A100"] = 1;
  Scheduler sched;
  Fleet t4;
  t4.SetNodes({MakeNode("t", 8, 64, 1, "T4")});
  auto no = sched.Place(Pending(share, 1), t4);
  EXPECT_FALSE(no.placement);
  EXPECT_NE(no.reason.find("no GPU of a matching model"), std::string::npos) << no.reason;
  Fleet a100;
  a100.SetNodes({MakeNode("a", 8, 64, 1, "A100-80GB")});
  auto yes = sched.Place(Pending(share, 2), a100);
  ASSERT_TRUE(yes.placement) << yes.reason;
  EXPECT_EQ(yes.placement->tasks[0].node, "a");
  // The same fleet object, its nodes replaced.
  t4.SetNodes({MakeNode("a2", 8, 64, 1, "A100-80GB")});
  auto again = sched.Place(Pending(share, 3), t4);
  ASSERT_TRUE(again.placement) << again.reason;
  EXPECT_EQ(again.placement->tasks[0].node, "a2");
}

// A tenant may ask for any number of different amounts: what best fit keeps
// per request is bounded (cleared past 1,024 requests), and decisions after
// it is cleared are the same.
TEST(SchedulerTest, ManyDifferentRequestsStillDecideAlike) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("t", 64, 64, 1, "T4"), MakeNode("a", 64, 64, 1, "A100-80GB")});
  Scheduler sched;
  for (int i = 0; i < 1500; ++i) {
    JobSpec share;
    share.resources.gpu_milli = MilliGpu(100);
    share.resources.cpus_milli = MilliCpu(1 + i);
    if (i % 2) share.resources.accelerators["A100"] = 1;
    auto out = sched.Place(Pending(share, i + 1), fleet);
    ASSERT_TRUE(out.placement) << i << ": " << out.reason;
    // Equal scores go to the lowest node (t), unless the job asks for an A100.
    EXPECT_EQ(out.placement->tasks[0].node, i % 2 ? "a" : "t") << i;
    fleet.Release(out.placement->tasks[0]);
  }
}

TEST(SchedulerTest, ReleaseUndoesReserve) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("n0", 8, 64, 4)});
  Scheduler sched;
  JobSpec spec = GpuJob(2, 2);
  spec.tasks_per_node = 2;
  auto out = sched.Place(Pending(spec), fleet);
  ASSERT_TRUE(out.placement) << out.reason;
  for (const auto& t : out.placement->tasks) fleet.Release(t);
  EXPECT_EQ(fleet.UsageOf("n0").gpu_milli_used,
            (std::vector<MilliGpu>{MilliGpu(0), MilliGpu(0), MilliGpu(0), MilliGpu(0)}));
  EXPECT_EQ(fleet.UsageOf("n0").cpus_milli.raw(), 0);
}

TEST(SchedulerTest, ModelNamesAndFeasibility) {
  Scheduler sched;
  std::vector<Node> nodes = {MakeNode("n0", 8, 64, 4, "A100-80GB"), MakeNode("n1", 8, 64, 8, "V100")};
  EXPECT_TRUE(sched.CheckFeasible(GpuJob(1, 4, "A100"), nodes, nullptr).ok());
  EXPECT_TRUE(sched.CheckFeasible(GpuJob(1, 4, "a100-80gb"), nodes, nullptr).ok());
  EXPECT_FALSE(sched.CheckFeasible(GpuJob(1, 4, "H100"), nodes, nullptr).ok());
  Status too_many = sched.CheckFeasible(GpuJob(1, 16, "A100"), nodes, nullptr);
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

TEST(SchedulerTest, MatcherFiltersAndRankBeatsPacking) {
  Fleet fleet;
  // n-busy is the tighter fit (best fit would pick it); n-fast has the higher rank.
  fleet.SetNodes({MakeNode("n-busy", 8, 64, 2), MakeNode("n-fast", 8, 64, 4), MakeNode("n-no", 8, 64, 8)});
  Scheduler sched;
  FnMatcher matcher([](const Node& n) {
    NodeVerdict v;
    if (n.name == "n-no") v.reject = "requirements: Country == \"US\" is FALSE";
    v.rank_defined = n.name != "n-no";
    v.rank = n.name == "n-fast" ? 10 : 1;
    return v;
  });
  JobSpec one = GpuJob(1, 1), eight = GpuJob(1, 8);
  auto out = sched.Place(Pending(one, 1, &matcher), fleet);
  ASSERT_TRUE(out.placement) << out.reason;
  EXPECT_EQ(out.placement->tasks[0].node, "n-fast");
  // Without a matcher the tightest fit wins.
  auto plain = sched.Place(Pending(one, 2), fleet);
  ASSERT_TRUE(plain.placement);
  EXPECT_EQ(plain.placement->tasks[0].node, "n-busy");
  // A job only the rejected node could hold says why that node is out.
  auto big = sched.Place(Pending(eight, 3, &matcher), fleet);
  EXPECT_FALSE(big.placement);
  EXPECT_NE(big.reason.find("n-no: requirements: Country == \"US\" is FALSE"), std::string::npos)
      << big.reason;
  EXPECT_FALSE(sched.CheckFeasible(eight, fleet.nodes(), &matcher).ok());
}

TEST(SchedulerTest, UndefinedRankComesAfterDefined) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("a", 8, 64, 1), MakeNode("b", 8, 64, 4)});
  Scheduler sched;
  FnMatcher matcher([](const Node& n) {
    NodeVerdict v;
    v.rank_defined = n.name == "b";
    v.rank = -100;  // a low rank still beats no rank
    return v;
  });
  JobSpec one = GpuJob(1, 1);
  auto out = sched.Place(Pending(one, 1, &matcher), fleet);
  ASSERT_TRUE(out.placement);
  EXPECT_EQ(out.placement->tasks[0].node, "b");
}

TEST(SchedulerTest, WaitReasonsAreSummarisedPerClassWithCounts) {
  Fleet fleet;
  std::vector<Node> nodes;
  for (int i = 0; i < 6; ++i) nodes.push_back(MakeNode("busy-" + std::to_string(i), 8, 64, 2));
  nodes.push_back(MakeNode("down-0", 8, 64, 8));
  nodes.back().state = NodeState::kDown;
  fleet.SetNodes(nodes);
  Scheduler sched;
  JobSpec four = GpuJob(1, 4);
  auto out = sched.Place(Pending(four), fleet);
  ASSERT_FALSE(out.placement);
  EXPECT_NE(out.reason.find("6 nodes (busy-0, busy-1, busy-2, ...): 2 of 2 A100 free"), std::string::npos)
      << out.reason;
  EXPECT_NE(out.reason.find("down-0: node is DOWN"), std::string::npos) << out.reason;
}

TEST(SchedulerTest, TheCycleOrdersByPriorityThenSubmission) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("n0", 8, 64, 1)});
  Scheduler sched;
  JobSpec low = GpuJob(1, 1), high = GpuJob(1, 1);
  high.priority = 1000;
  std::vector<Decision> d = sched.Schedule({Pending(low, 1), Pending(high, 2)}, fleet, 0);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].job, JobId(2));
  EXPECT_EQ(d[0].kind, Decision::Kind::kPlace);
  EXPECT_EQ(d[1].kind, Decision::Kind::kWait);
}

TEST(SchedulerTest, AnUnschedulableJobIsNotPlannedAgainUntilCapacityIsFreed) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("n0", 8, 64, 2)});
  Scheduler sched;
  JobSpec hog = GpuJob(1, 2), big = GpuJob(1, 2);
  std::vector<Decision> first = sched.Schedule({Pending(hog, 1), Pending(big, 2)}, fleet, 0);
  ASSERT_EQ(first[0].kind, Decision::Kind::kPlace);
  ASSERT_EQ(first[1].kind, Decision::Kind::kWait);
  EXPECT_TRUE(first[1].evaluated);
  std::vector<Decision> again = sched.Schedule({Pending(big, 2)}, fleet, 1);
  EXPECT_FALSE(again[0].evaluated);
  EXPECT_EQ(again[0].reason, first[1].reason);
  EXPECT_EQ(sched.last_cycle().unchanged, 1);
  fleet.Release(first[0].placement.tasks[0]);
  std::vector<Decision> freed = sched.Schedule({Pending(big, 2)}, fleet, 2);
  EXPECT_EQ(freed[0].kind, Decision::Kind::kPlace);
}

// A tenant names GPU models: a name with the separators of a text signature
// ("A:1|B" asked once reads as "A" or "B" asked once) must not make a job
// that fits wait like one that does not.
TEST(SchedulerTest, ModelNamesCannotMakeTwoDifferentJobsLookTheSame) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("n0", 8, 64, 1, "A")});
  Scheduler sched;
  JobSpec odd, plain;
  odd.resources.cpus_milli = plain.resources.cpus_milli = MilliCpu(1000);
  odd.resources.accelerators["A:1|B"] = 1;
  plain.resources.accelerators["A"] = 1;
  plain.resources.accelerators["B"] = 1;
  std::vector<Decision> d = sched.Schedule({Pending(odd, 1), Pending(plain, 2)}, fleet, 0);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].kind, Decision::Kind::kWait);
  EXPECT_EQ(d[1].kind, Decision::Kind::kPlace) << d[1].reason;
  EXPECT_EQ(sched.last_cycle().equivalent, 0);
}

TEST(SchedulerTest, JobsAskingTheSameAsOneThatDidNotFitWaitWithoutPlanning) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("n0", 8, 64, 1)});
  Scheduler sched;
  JobSpec a = GpuJob(1, 2), b = GpuJob(1, 2), c = GpuJob(1, 1);
  std::vector<Decision> d = sched.Schedule({Pending(a, 1), Pending(b, 2), Pending(c, 3)}, fleet, 0);
  EXPECT_EQ(d[0].kind, Decision::Kind::kWait);
  EXPECT_EQ(d[1].kind, Decision::Kind::kWait);
  EXPECT_EQ(d[1].reason, d[0].reason);
  EXPECT_EQ(d[2].kind, Decision::Kind::kPlace);
  EXPECT_EQ(sched.last_cycle().equivalent, 1);
  EXPECT_EQ(sched.last_cycle().planned, 2);
}

TEST(SchedulerTest, AGangThatCannotFitIsToldByThePreFilter) {
  Fleet fleet;
  std::vector<Node> nodes;
  for (int i = 0; i < 10; ++i) nodes.push_back(MakeNode("n" + std::to_string(i), 8, 64, 8));
  fleet.SetNodes(nodes);
  Scheduler sched;
  JobSpec gang = GpuJob(40, 8);
  auto out = sched.Place(Pending(gang), fleet);
  ASSERT_FALSE(out.placement);
  EXPECT_NE(out.reason.find("needs 40 ranks"), std::string::npos) << out.reason;
  EXPECT_NE(out.reason.find("local has room for 10"), std::string::npos) << out.reason;
}

// Ranks every node the same, so the scheduler must score every node class.
class SameRankEverywhere final : public JobMatcher {
 public:
  NodeVerdict Judge(const Node&, const TaskRequest&) override { return {"", 0, true}; }
  bool NodeSpecific() const override { return false; }
};

TEST(SchedulerTest, VisitingClassesByIdleGpusPicksWhatScoringEveryClassPicks) {
  // Mixed nodes and a mix of shares, whole GPUs, CPU-only tasks and gangs:
  // a job without a rank (best fit alone decides, classes visited from the
  // fullest level and the visit stops early) must land exactly where the
  // same job with a rank that is equal everywhere (every class scored) does.
  std::vector<Node> nodes;
  for (int i = 0; i < 40; ++i) {
    int gpus = (i * 7) % 9;
    nodes.push_back(MakeNode("n" + std::to_string(i), 8 + (i * 5) % 24, 64 + (i % 3) * 64, gpus,
                             i % 4 == 0 ? "V100" : "A100"));
  }
  Fleet fast_fleet, full_fleet;
  fast_fleet.SetNodes(nodes);
  full_fleet.SetNodes(nodes);
  Scheduler fast, full;
  SameRankEverywhere same;
  int placed = 0;
  for (int j = 0; j < 160; ++j) {
    JobSpec spec = GpuJob(j % 11 == 0 ? 2 : 1, 1 << (j % 4), j % 5 == 0 ? "V100" : "A100");
    spec.resources.cpus_milli = MilliCpu(500 + (j * 300) % 4000);
    if (j % 3 == 0) {
      spec.resources.accelerators.clear();
      if (j % 2 == 0) {
        spec.resources.gpu_milli = MilliGpu(250 + (j % 4) * 125);
        spec.resources.accelerators["A100"] = 1;
      }
    }
    auto a = fast.Place(Pending(spec, j + 1), fast_fleet);
    auto b = full.Place(Pending(spec, j + 1, &same), full_fleet);
    ASSERT_EQ(a.placement.has_value(), b.placement.has_value())
        << "job " << j << ": " << a.reason << b.reason;
    if (!a.placement) {
      EXPECT_EQ(a.reason, b.reason) << "job " << j;
      continue;
    }
    ++placed;
    ASSERT_EQ(a.placement->tasks.size(), b.placement->tasks.size());
    for (size_t t = 0; t < a.placement->tasks.size(); ++t) {
      EXPECT_EQ(a.placement->tasks[t].node, b.placement->tasks[t].node) << "job " << j;
      EXPECT_EQ(a.placement->tasks[t].gpu_indices, b.placement->tasks[t].gpu_indices) << "job " << j;
    }
  }
  EXPECT_GT(placed, 40);
  EXPECT_LT(placed, 160);  // the fleet fills: failures are compared too
}

TEST(SchedulerTest, AShareMayFitTighterOnANodeWithMoreIdleGpus) {
  // n0 (no idle GPU, 400 milli free on its one) and n1 (one idle GPU, its
  // other with 200 milli free) are both left with 0 idle GPUs by a 300
  // milli share; n1 has less CPU left, so best fit takes it although n0 is
  // the fuller node: the visit from the fullest level must not stop at n0.
  Fleet fleet;
  fleet.SetNodes({MakeNode("n0", 32, 64, 1), MakeNode("n1", 8, 64, 2)});
  fleet.Reserve(testing_nodes::GpuBooking("n0", 0, 600));
  fleet.Reserve(testing_nodes::GpuBooking("n1", 0, 800));
  JobSpec share;
  share.resources.cpus_milli = MilliCpu(1000);
  share.resources.gpu_milli = MilliGpu(300);
  Scheduler sched;
  auto out = sched.Place(Pending(share), fleet);
  ASSERT_TRUE(out.placement) << out.reason;
  EXPECT_EQ(out.placement->tasks[0].node, "n1");
  EXPECT_EQ(out.placement->tasks[0].gpu_indices, (std::vector<int>{1}));
}

}  // namespace
}  // namespace skyrun
