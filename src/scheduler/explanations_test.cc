// The class journal and the explanations kept from it: a waiting job is
// explained, after any change to the fleet, exactly as a scheduler that has
// never seen it explains it (the whole search, every class judged afresh).
#include "scheduler/explanations.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "scheduler/scheduler.h"
#include "scheduler/test_nodes.h"

namespace skyrun {
namespace {

using testing_nodes::GpuBooking;
using testing_nodes::MakeNode;
using testing_nodes::Pending;

TEST(FleetJournalTest, NamesTheClassesABookingChanges) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("a", 8, 64, 2), MakeNode("b", 8, 64, 2), MakeNode("c", 16, 64, 0)});
  const uint64_t start = fleet.journal_end();
  const int shared = fleet.ClassOf(0);
  ASSERT_EQ(fleet.ClassOf(1), shared);
  fleet.Reserve(GpuBooking("a", 0, 1000));
  ASSERT_NE(fleet.ClassOf(0), shared);
  std::optional<std::span<const int>> since = fleet.ClassJournalSince(start);
  ASSERT_TRUE(since.has_value());
  std::vector<int> changed(since->begin(), since->end());
  EXPECT_NE(std::find(changed.begin(), changed.end(), shared), changed.end());
  EXPECT_NE(std::find(changed.begin(), changed.end(), fleet.ClassOf(0)), changed.end());
  EXPECT_EQ(std::find(changed.begin(), changed.end(), fleet.ClassOf(2)), changed.end());

  since = fleet.ClassJournalSince(fleet.journal_end());
  ASSERT_TRUE(since.has_value());
  EXPECT_TRUE(since->empty());
  // A position past the end was never given out.
  EXPECT_FALSE(fleet.ClassJournalSince(fleet.journal_end() + 1).has_value());

  // What a share books on a backend changes every class's fit at once.
  const uint64_t before_caps = fleet.journal_end();
  BackendCapabilities whole;
  whole.gpu_granularity_milli = 1000;
  fleet.SetCapabilities("local", whole);
  EXPECT_FALSE(fleet.ClassJournalSince(before_caps).has_value());

  // Other nodes: class indices start over, so no earlier position holds.
  fleet.SetNodes({MakeNode("a", 8, 64, 1)});
  EXPECT_FALSE(fleet.ClassJournalSince(start).has_value());
  // A copy books apart from the original: it is another fleet.
  Fleet copy = fleet;
  EXPECT_NE(copy.instance_id(), fleet.instance_id());
}

std::vector<Node> Nodes() {
  std::vector<Node> nodes;
  for (int i = 0; i < 12; ++i) {
    Node n = MakeNode("n" + std::to_string(i), 8 + (i % 4) * 8, 64, 4, i % 3 == 0 ? "V100" : "A100");
    if (i == 7) n.state = NodeState::kDown;
    nodes.push_back(std::move(n));
  }
  return nodes;
}

// Judges by static facts only (one verdict per shape).
class SmallNodesRejected final : public JobMatcher {
 public:
  NodeVerdict Judge(const Node& node, const TaskRequest&) override {
    NodeVerdict v;
    if (node.cpus_milli < MilliCpu(16000)) v.reject = "requirements: Cpus >= 16 is FALSE";
    return v;
  }
  bool NodeSpecific() const override { return false; }
  bool Ranks() const override { return false; }
};

TEST(ExplanationsTest, AWaitingJobIsExplainedAsAFreshSchedulerWould) {
  Fleet fleet;
  fleet.SetNodes(Nodes());
  Scheduler kept;  // keeps its explanations from one Place to the next
  JobSpec big;
  big.resources.cpus_milli = MilliCpu(12000);
  big.resources.accelerators["A100"] = 3;
  JobSpec share;
  share.resources.cpus_milli = MilliCpu(2000);
  share.resources.gpu_milli = MilliGpu(700);
  JobSpec two;
  two.resources.cpus_milli = MilliCpu(4000);
  two.resources.memory_mib = MemoryMiB(8192);
  two.resources.accelerators["A100"] = 2;
  two.resources.accelerators["V100"] = 2;
  SmallNodesRejected small;
  struct Case {
    const JobSpec* spec;
    JobMatcher* matcher;
  };
  const std::vector<Case> cases = {{&big, nullptr}, {&share, nullptr}, {&two, &small}};
  std::vector<TaskPlacement> booked;
  int waits = 0, fits = 0;
  size_t cursor = 0;
  for (int step = 0; step < 150; ++step) {
    // Change the fleet: fill it GPU by GPU (part of one now and then), empty
    // it in a scattered order, fill it again.
    if (step / 50 == 1) {
      if (!booked.empty()) {
        size_t k = static_cast<size_t>(step) * 5 % booked.size();
        fleet.Release(booked[k]);
        booked.erase(booked.begin() + static_cast<ptrdiff_t>(k));
      }
    } else {
      for (int tries = 0; tries < 48; ++tries, ++cursor) {
        const int gpu = static_cast<int>(cursor / 12 % 4);
        TaskPlacement t =
            GpuBooking("n" + std::to_string(cursor * 7 % 12), gpu, cursor % 3 == 0 ? 400 : 1000);
        t.cpus_milli = MilliCpu(2000);
        if (!fleet.UsageOf(t.node).gpu_milli_used[static_cast<size_t>(gpu)].IsZero()) continue;
        fleet.Reserve(t);
        booked.push_back(t);
        break;
      }
    }
    for (const Case& c : cases) {
      Fleet copy = fleet;
      Scheduler fresh;
      PlaceOutcome a = kept.Place(Pending(*c.spec, step + 1, c.matcher), fleet);
      PlaceOutcome b = fresh.Place(Pending(*c.spec, step + 1, c.matcher), copy);
      ASSERT_EQ(a.placement.has_value(), b.placement.has_value()) << "step " << step << ": " << a.reason;
      if (a.placement) {
        ++fits;
        EXPECT_EQ(a.placement->tasks[0].node, b.placement->tasks[0].node) << "step " << step;
        fleet.Release(a.placement->tasks[0]);
        continue;
      }
      ++waits;
      EXPECT_EQ(a.reason, b.reason) << "step " << step;
    }
  }
  EXPECT_GT(waits, 40);
  EXPECT_GT(fits, 40);
}

// Why-not texts are the tenant's to vary (an expression's reason): the
// groups numbered for a fleet stay bounded, and what is explained after
// they were dropped still reads right.
TEST(ExplanationsTest, ATenantCannotGrowTheGroupsWithoutBound) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("a", 8, 64, 1), MakeNode("b", 16, 64, 1)});
  Explanations explanations;
  auto no_text = [](int, const Explanations::Verdict&) -> std::optional<std::string> { return std::nullopt; };
  auto key_text = [](int) { return std::string("unused"); };
  const int requests = static_cast<int>(Explanations::kMaxGroups) + 5000;
  for (int r = 0; r < requests; ++r) {
    const std::string text = "requirements: take " + std::to_string(r) + " is FALSE";
    auto judge = [&text](int) {
      Explanations::Verdict v;
      v.kind = Explanations::Verdict::Kind::kText;
      v.text = text;
      return v;
    };
    Explanations::Entry& e = explanations.Update("request " + std::to_string(r), fleet, judge, no_text);
    ASSERT_LE(explanations.GroupCount(fleet), Explanations::kMaxGroups + fleet.classes().size()) << r;
    ASSERT_LE(explanations.EntryCount(fleet), Explanations::kMaxEntries) << r;
    if (r % 10000 == 0 || r == requests - 1) {
      EXPECT_FALSE(Explanations::AnyFits(e));
      EXPECT_EQ(explanations.Text(e, fleet, key_text), "a, b: " + text) << r;
    }
  }
  EXPECT_LT(explanations.GroupCount(fleet), static_cast<size_t>(requests));
}

}  // namespace
}  // namespace skyrun
