#include "scheduler/profile.h"

#include <gtest/gtest.h>

#include "scheduler/scheduler.h"
#include "scheduler/test_nodes.h"

namespace skyrun {
namespace {

using testing_nodes::FnMatcher;
using testing_nodes::GpuJob;
using testing_nodes::MakeNode;
using testing_nodes::Pending;

TEST(ProfileTest, TheDefaultProfileBuilds) {
  auto p = BuildProfile(DefaultProfileSpec());
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->queue_sort->Name(), "priority-fifo");
  EXPECT_EQ(p->device_picker->Name(), "best-fit");
  ASSERT_EQ(p->scores.size(), 2u);
  EXPECT_EQ(p->filters.size(), 3u);
  EXPECT_EQ(p->pre_filters.size(), 1u);
}

TEST(ProfileTest, ErrorsSayWhereTheEntryWasWritten) {
  ProfileSpec s = DefaultProfileSpec();
  s.plugins.push_back({"nodes-taint", 1, "server.yaml:12:7 scheduler.profile.plugins[3]"});
  auto p = BuildProfile(s);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("server.yaml:12:7"), std::string::npos) << p.status().message();
  EXPECT_NE(p.status().message().find("unknown scheduler plugin 'nodes-taint'"), std::string::npos);
  EXPECT_NE(p.status().message().find("best-fit"), std::string::npos);  // the known ones are listed

  ProfileSpec not_a_score = DefaultProfileSpec();
  not_a_score.scores.push_back({"node-state", 1, "s.yaml:3:5"});
  EXPECT_NE(
      BuildProfile(not_a_score).status().message().find("s.yaml:3:5: 'node-state' is not a score plugin"),
      std::string::npos);

  ProfileSpec negative = DefaultProfileSpec();
  negative.scores[1].weight = -1;
  EXPECT_FALSE(BuildProfile(negative).ok());

  ProfileSpec bad_sort = DefaultProfileSpec();
  bad_sort.queue_sort = {"best-fit", 1, "s.yaml:2:3"};
  EXPECT_NE(BuildProfile(bad_sort).status().message().find("not a queue sort"), std::string::npos);
}

// Registered by this test: scores nodes by how many GPUs they have in all.
class MostGpus final : public ScorePlugin {
 public:
  std::string_view Name() const override { return "most-gpus"; }
  std::optional<double> Score(const TaskContext&, const Fleet& fleet, NodeIndex n,
                              const DeviceChoice&) override {
    return static_cast<double>(fleet.node(n).gpus.size());
  }
};

TEST(ProfileTest, RegisteredPluginsAreBuiltByNameAndWeightsDecide) {
  RegisterPlugin("most-gpus", [] { return std::unique_ptr<Plugin>(new MostGpus()); });
  Fleet fleet;
  fleet.SetNodes({MakeNode("small", 8, 64, 2), MakeNode("big", 8, 64, 8)});
  JobSpec one = GpuJob(1, 1);
  // best-fit alone: the small node (fewer idle GPUs left).
  ProfileSpec packing = DefaultProfileSpec();
  auto a = Scheduler::Create(packing);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->Place(Pending(one), fleet).placement->tasks[0].node, "small");
  // most-gpus weighted over best-fit: the big node. Both normalised to 0..100,
  // so a weight of 2 against 1 wins wherever the two disagree.
  ProfileSpec spread = DefaultProfileSpec();
  spread.scores.push_back({"most-gpus", 2});
  auto b = Scheduler::Create(spread);
  ASSERT_TRUE(b.ok()) << b.status().message();
  Fleet fresh;
  fresh.SetNodes({MakeNode("small", 8, 64, 2), MakeNode("big", 8, 64, 8)});
  EXPECT_EQ(b->Place(Pending(one), fresh).placement->tasks[0].node, "big");
}

TEST(ProfileTest, ScoresAreNormalisedSoScaleDoesNotMatter) {
  // Ranks 1000 vs 1001 and 0 vs 1 normalise alike: the higher wins by the full weight.
  for (double base : {0.0, 1000.0, -5e6}) {
    Fleet fleet;
    fleet.SetNodes({MakeNode("tight", 8, 64, 1), MakeNode("loose", 8, 64, 8)});
    FnMatcher m([base](const Node& n) {
      NodeVerdict v;
      v.rank_defined = true;
      v.rank = base + (n.name == "loose" ? 1 : 0);
      return v;
    });
    Scheduler sched;
    JobSpec one = GpuJob(1, 1);
    auto out = sched.Place(Pending(one, 1, &m), fleet);
    ASSERT_TRUE(out.placement);
    EXPECT_EQ(out.placement->tasks[0].node, "loose") << base;
  }
}

TEST(ProfileTest, MaxHourlyCostPermitsOnlyCheapEnoughPlans) {
  auto sched = Scheduler::Create(DefaultProfileSpec());
  ASSERT_TRUE(sched.ok());
  Node pricey = MakeNode("pricey", 8, 64, 2);
  pricey.price_per_gpu_hour = 3.0;
  Fleet fleet;
  fleet.SetNodes({pricey});
  JobSpec job = GpuJob(1, 2);
  job.resources.max_hourly_cost = 5.0;
  auto out = sched->Place(Pending(job), fleet);
  EXPECT_FALSE(out.placement);
  EXPECT_NE(out.reason.find("max_hourly_cost"), std::string::npos) << out.reason;
  EXPECT_EQ(fleet.UsageOf("pricey").gpu_milli_used,
            (std::vector<MilliGpu>{MilliGpu(0), MilliGpu(0)}));  // the plan was undone
  job.resources.max_hourly_cost = 6.0;
  EXPECT_TRUE(sched->Place(Pending(job, 2), fleet).placement);
}

// The cap as a filter: best-fit would take the pricier node (it leaves fewer
// idle GPUs there), but a node over the task's part of the cap is left out.
TEST(ProfileTest, MaxHourlyCostSendsAJobToANodeItCanAffordInsteadOfWaiting) {
  auto sched = Scheduler::Create(DefaultProfileSpec());
  ASSERT_TRUE(sched.ok());
  Node pricey = MakeNode("pricey", 8, 64, 1);
  pricey.price_per_gpu_hour = 4.0;
  Node cheap = MakeNode("cheap", 8, 64, 4);
  cheap.price_per_gpu_hour = 1.0;
  Fleet fleet;
  fleet.SetNodes({pricey, cheap});
  JobSpec free_to_spend = GpuJob(1, 1);
  auto out = sched->Place(Pending(free_to_spend), fleet);
  ASSERT_TRUE(out.placement);
  EXPECT_EQ(out.placement->tasks[0].node, "pricey");  // best-fit alone
  fleet.Release(out.placement->tasks[0]);

  JobSpec capped = GpuJob(1, 1);
  capped.resources.max_hourly_cost = 2.0;
  out = sched->Place(Pending(capped, 2), fleet);
  ASSERT_TRUE(out.placement) << out.reason;
  EXPECT_EQ(out.placement->tasks[0].node, "cheap");
  EXPECT_DOUBLE_EQ(out.placement->hourly_price, 1.0);
}

// Share pricing: one GPU of an 8-GPU node whose whole price is far over the
// cap fits under it; a gang of two splits the cap between its ranks.
TEST(ProfileTest, MaxHourlyCostWeighsTheTasksShareNotTheWholeNode) {
  auto sched = Scheduler::Create(DefaultProfileSpec());
  ASSERT_TRUE(sched.ok());
  Node big = MakeNode("big", 64, 512, 8);
  big.price_per_gpu_hour = 3.0;
  big.price_per_cpu_hour = 0.05;
  Node big2 = big;
  big2.name = "big2";
  Fleet fleet;
  fleet.SetNodes({big, big2});
  JobSpec one = GpuJob(1, 1);  // 1 GPU, 1 CPU: $3.05/hour of a $27.20/hour node
  one.resources.max_hourly_cost = 3.10;
  auto out = sched->Place(Pending(one), fleet);
  ASSERT_TRUE(out.placement) << out.reason;
  EXPECT_NEAR(out.placement->hourly_price, 3.05, 1e-9);
  fleet.Release(out.placement->tasks[0]);

  JobSpec gang = GpuJob(2, 1);  // two ranks at $3.05 each: $6.10 in all
  gang.resources.max_hourly_cost = 6.00;
  out = sched->Place(Pending(gang, 2), fleet);
  EXPECT_FALSE(out.placement);
  EXPECT_NE(out.reason.find("over its part of max_hourly_cost ($3.00/hour)"), std::string::npos)
      << out.reason;
  gang.resources.max_hourly_cost = 6.10;
  out = sched->Place(Pending(gang, 3), fleet);
  ASSERT_TRUE(out.placement) << out.reason;
  EXPECT_NEAR(out.placement->hourly_price, 6.10, 1e-9);
}

}  // namespace
}  // namespace skyrun
