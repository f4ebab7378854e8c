// The per-task search's shortcuts decide exactly as the plain search does:
// filters asked once per shape, classes skipped when the picker says they
// cannot fit (MayFit) and why-nots written once per key (WhyNot). The plain
// search is the same profile with a filter in front that is asked on every
// class and a picker that offers none of the shortcuts (no bound per level
// either: it judges every class, the fast one visits a level's nodes from the
// tightest on CPU).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "scheduler/scheduler.h"
#include "scheduler/test_nodes.h"

namespace skyrun {
namespace {

using testing_nodes::FnMatcher;
using testing_nodes::MakeNode;
using testing_nodes::Pending;

// Passes every node, but says it reads more than static facts.
class EveryClass final : public FilterPlugin {
 public:
  std::string_view Name() const override { return "test-every-class"; }
  bool Filter(const TaskContext&, const Fleet&, NodeIndex, std::string*) override { return true; }
};

// best-fit without MayFit, WhyNot and BoundAtIdle.
class PlainBestFit final : public DevicePicker, public ScorePlugin {
 public:
  std::string_view Name() const override { return "test-plain-best-fit"; }
  std::optional<DeviceChoice> Pick(const TaskRequest& task, const Fleet& fleet, NodeIndex node,
                                   std::string* why) override {
    return Inner().picker->Pick(task, fleet, node, why);
  }
  std::optional<double> Score(const TaskContext& ctx, const Fleet& fleet, NodeIndex node,
                              const DeviceChoice& choice) override {
    return Inner().score->Score(ctx, fleet, node, choice);
  }
  bool Uniform(const TaskContext& ctx) const override { return Inner().score->Uniform(ctx); }
  // No BoundAtIdle either: the plain search judges every class.

 private:
  struct BestFit {
    std::unique_ptr<Plugin> owned = MakePlugin("best-fit");
    DevicePicker* picker = dynamic_cast<DevicePicker*>(owned.get());
    ScorePlugin* score = dynamic_cast<ScorePlugin*>(owned.get());
  };
  // Made on first use: the registry is busy while it builds this plugin.
  BestFit& Inner() const {
    if (!inner_) inner_ = std::make_unique<BestFit>();
    return *inner_;
  }
  mutable std::unique_ptr<BestFit> inner_;
};

Scheduler PlainScheduler() {
  RegisterPlugin("test-every-class", [] { return std::unique_ptr<Plugin>(new EveryClass()); });
  RegisterPlugin("test-plain-best-fit", [] { return std::unique_ptr<Plugin>(new PlainBestFit()); });
  ProfileSpec spec = DefaultProfileSpec();
  spec.plugins.insert(spec.plugins.begin(), ProfileEntry("test-every-class"));
  for (ProfileEntry& e : spec.scores)
    if (e.name == "best-fit") e.name = "test-plain-best-fit";
  spec.device_picker = ProfileEntry("test-plain-best-fit");
  auto s = Scheduler::Create(spec);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return std::move(s).value();
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

std::vector<Node> MixedNodes() {
  std::vector<Node> nodes;
  for (int i = 0; i < 48; ++i) {
    int gpus = (i * 5) % 9;
    Node n = MakeNode("n" + std::to_string(i), 8 + (i * 7) % 40, 32 + (i % 4) * 48, gpus,
                      i % 3 == 0 ? "V100" : "A100", i % 8 == 7 ? "slurm" : "local");
    if (i % 11 == 5 && gpus >= 2) n.gpus[1].model = "V100";  // two models on one node
    if (i == 13) n.state = NodeState::kDown;
    nodes.push_back(std::move(n));
  }
  return nodes;
}

JobSpec MixedJob(int j) {
  JobSpec spec;
  spec.resources.cpus_milli = MilliCpu(500 + (j * 1700) % 9000);
  spec.resources.memory_mib = MemoryMiB(1024 * (1 + (j * 13) % 40));
  switch (j % 6) {
    case 0:  // a share, any model
      spec.resources.gpu_milli = MilliGpu(200 + (j % 5) * 150);
      break;
    case 1:  // a share of one model
      spec.resources.gpu_milli = MilliGpu(300 + (j % 3) * 250);
      spec.resources.accelerators[j % 4 == 1 ? "V100" : "A100"] = 1;
      break;
    case 2:  // whole GPUs, one model
      spec.resources.accelerators[j % 5 == 0 ? "V100" : "A100"] = 1 << (j % 4);
      break;
    case 3:  // whole GPUs, either model
      spec.resources.accelerators["A100"] = 1 + j % 3;
      spec.resources.accelerators["V100"] = 2;
      break;
    case 4:  // CPUs and memory only
      spec.resources.memory_mib = spec.resources.memory_mib * 3;
      break;
    default:  // a gang
      spec.mode = JobMode::kGang;
      spec.num_nodes = 2 + j % 3;
      spec.resources.accelerators["A100"] = 1 + j % 2;
      break;
  }
  return spec;
}

// Many nodes of few shapes: levels of few classes with many nodes each
// (judged class by class) beside levels of about a node per class (walked
// node by node, tightest on CPU first).
std::vector<Node> ManyAlikeNodes() {
  std::vector<Node> nodes;
  for (int i = 0; i < 90; ++i) {
    Node n = MakeNode("m" + std::to_string(i), i % 3 == 0 ? 16 : 32, 128, i % 2 == 0 ? 8 : 4,
                      i % 5 == 0 ? "V100" : "A100");
    nodes.push_back(std::move(n));
  }
  return nodes;
}

void ExpectShortcutsDecideAsThePlainSearch(const std::vector<Node>& nodes) {
  Fleet fast_fleet, plain_fleet;
  BackendCapabilities whole;
  whole.gpu_granularity_milli = 1000;
  for (Fleet* f : {&fast_fleet, &plain_fleet}) {
    f->SetCapabilities("slurm", whole);
    f->SetNodes(nodes);
  }
  Scheduler fast;
  Scheduler plain = PlainScheduler();
  SmallNodesRejected small;
  FnMatcher odd_names([](const Node& n) {
    NodeVerdict v;
    if ((n.name.back() - '0') % 2 == 1) v.reject = "requirements: odd name";
    return v;
  });
  int placed = 0, waiting = 0;
  for (int j = 0; j < 400; ++j) {
    JobSpec spec = MixedJob(j);
    JobMatcher* matcher = j % 7 == 3   ? static_cast<JobMatcher*>(&small)
                          : j % 7 == 5 ? static_cast<JobMatcher*>(&odd_names)
                                       : nullptr;
    PlaceOutcome a = fast.Place(Pending(spec, j + 1, matcher), fast_fleet);
    PlaceOutcome b = plain.Place(Pending(spec, j + 1, matcher), plain_fleet);
    ASSERT_EQ(a.placement.has_value(), b.placement.has_value())
        << "job " << j << ": " << a.reason << b.reason;
    if (!a.placement) {
      ++waiting;
      EXPECT_EQ(a.reason, b.reason) << "job " << j;
      continue;
    }
    ++placed;
    ASSERT_EQ(a.placement->tasks.size(), b.placement->tasks.size());
    for (size_t t = 0; t < a.placement->tasks.size(); ++t) {
      EXPECT_EQ(a.placement->tasks[t].node, b.placement->tasks[t].node) << "job " << j;
      EXPECT_EQ(a.placement->tasks[t].gpu_indices, b.placement->tasks[t].gpu_indices) << "job " << j;
    }
    // Free some again now and then, so the fleet neither fills nor stays empty.
    if (j % 4 == 0) {
      for (const auto& t : a.placement->tasks) fast_fleet.Release(t);
      for (const auto& t : b.placement->tasks) plain_fleet.Release(t);
    }
  }
  EXPECT_GT(placed, 100);
  EXPECT_GT(waiting, 50);
}

TEST(SearchTest, ShortcutsDecideAsThePlainSearch) {
  ExpectShortcutsDecideAsThePlainSearch(MixedNodes());
}

TEST(SearchTest, ShortcutsDecideAsThePlainSearchOnManyNodesAlike) {
  ExpectShortcutsDecideAsThePlainSearch(ManyAlikeNodes());
}

TEST(SearchTest, AModelBusyOnOneNodeDoesNotHideItIdleOnAnother) {
  // a and b each have an A100 and a V100; a's A100 and b's V100 are taken.
  // Their bookings sort alike, but an A100 job fits only on b.
  Node a = MakeNode("a", 8, 64, 2), b = MakeNode("b", 8, 64, 2);
  for (Node* n : {&a, &b}) n->gpus[1].model = "V100";
  Fleet fleet;
  fleet.SetNodes({a, b});
  fleet.Reserve(testing_nodes::GpuBooking("a", 0, 1000));
  fleet.Reserve(testing_nodes::GpuBooking("b", 1, 1000));
  JobSpec spec = testing_nodes::GpuJob(1, 1, "A100");
  Scheduler sched;
  PlaceOutcome out = sched.Place(Pending(spec), fleet);
  ASSERT_TRUE(out.placement) << out.reason;
  EXPECT_EQ(out.placement->tasks[0].node, "b");
  EXPECT_EQ(out.placement->tasks[0].gpu_indices, (std::vector<int>{0}));
}

}  // namespace
}  // namespace skyrun
