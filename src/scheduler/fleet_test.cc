#include "scheduler/fleet.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "scheduler/test_nodes.h"

namespace skyrun {
namespace {

using testing_nodes::MakeNode;

TaskPlacement On(const std::string& node, std::vector<int> gpus, int64_t gpu_milli, int64_t cpus = 1000,
                 int64_t mem = 1024) {
  TaskPlacement t;
  t.node = node;
  t.gpu_indices = std::move(gpus);
  t.gpu_milli = MilliGpu(gpu_milli);
  t.cpus_milli = MilliCpu(cpus);
  t.memory_mib = MemoryMiB(mem);
  return t;
}

TEST(FleetTest, IdenticalNodesShareAClassUntilTheirBookingsDiffer) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("a", 8, 64, 4), MakeNode("b", 8, 64, 4), MakeNode("c", 8, 64, 8)});
  EXPECT_EQ(fleet.ClassOf(0), fleet.ClassOf(1));
  EXPECT_NE(fleet.ClassOf(0), fleet.ClassOf(2));
  EXPECT_EQ(fleet.shape_count(), 2);
  TaskPlacement t = On("a", {0}, 1000);
  fleet.Reserve(t);
  EXPECT_NE(fleet.ClassOf(0), fleet.ClassOf(1));
  EXPECT_EQ(fleet.ShapeOf(0), fleet.ShapeOf(1));
  // The same booking on another device of b: the same class again.
  fleet.Reserve(On("b", {3}, 1000));
  EXPECT_EQ(fleet.ClassOf(0), fleet.ClassOf(1));
  fleet.Release(t);
  EXPECT_NE(fleet.ClassOf(0), fleet.ClassOf(1));
}

TEST(FleetTest, NodesWithTwoGpuModelsShareAClassOnlyWhenEachModelHoldsTheSame) {
  Node a = MakeNode("a", 8, 64, 2), b = MakeNode("b", 8, 64, 2), c = MakeNode("c", 8, 64, 2);
  for (Node* n : {&a, &b, &c}) n->gpus[1].model = "V100";
  Fleet fleet;
  fleet.SetNodes({a, b, c});
  fleet.Reserve(On("a", {0}, 1000));  // its A100
  fleet.Reserve(On("b", {1}, 1000));  // its V100
  fleet.Reserve(On("c", {0}, 1000));  // its A100, as on a
  EXPECT_NE(fleet.ClassOf(0), fleet.ClassOf(1));
  EXPECT_EQ(fleet.ClassOf(0), fleet.ClassOf(2));
}

TEST(FleetTest, AttributesAndStateSeparateClasses) {
  Node us = MakeNode("us", 8, 64, 4), de = MakeNode("de", 8, 64, 4), down = MakeNode("down", 8, 64, 4);
  us.attributes["Country"] = "US";
  de.attributes["Country"] = "DE";
  down.attributes["Country"] = "US";
  down.state = NodeState::kDown;
  Fleet fleet;
  fleet.SetNodes({us, de, down});
  std::set<int> classes = {fleet.ClassOf(0), fleet.ClassOf(1), fleet.ClassOf(2)};
  EXPECT_EQ(classes.size(), 3u);
}

TEST(FleetTest, IncrementalFreeCapacityEqualsRecomputed) {
  std::vector<Node> nodes;
  for (int i = 0; i < 6; ++i) nodes.push_back(MakeNode("n" + std::to_string(i), 16, 128, 8));
  Fleet fleet;
  fleet.SetNodes(nodes);
  std::mt19937 rng(7);
  std::vector<TaskPlacement> live;
  for (int step = 0; step < 2000; ++step) {
    if (!live.empty() && rng() % 3 == 0) {
      size_t k = rng() % live.size();
      fleet.Release(live[k]);
      live.erase(live.begin() + static_cast<long>(k));
      continue;
    }
    NodeIndex n = static_cast<NodeIndex>(rng() % nodes.size());
    int gpu = static_cast<int>(rng() % 8);
    if (!fleet.GpuUsed(n, static_cast<size_t>(gpu)).IsZero() || fleet.FreeCpu(n) < MilliCpu(1000)) continue;
    bool share = rng() % 2;
    TaskPlacement t = On(nodes[n].name, {gpu}, share ? 250 : 1000);
    fleet.Reserve(t);
    live.push_back(t);
  }
  // A fleet given only what is still live books exactly the same.
  Fleet fresh;
  fresh.SetNodes(nodes);
  for (const auto& t : live) fresh.Reserve(t);
  for (NodeIndex i = 0; i < fleet.size(); ++i) {
    EXPECT_EQ(fleet.UsageOf(nodes[i].name).gpu_milli_used, fresh.UsageOf(nodes[i].name).gpu_milli_used);
    EXPECT_EQ(fleet.FreeCpu(i), fresh.FreeCpu(i));
    EXPECT_EQ(fleet.FreeMemory(i), fresh.FreeMemory(i));
    EXPECT_EQ(fleet.IdleGpus(i), fresh.IdleGpus(i));
    // And the classes agree: nodes share a class in one exactly when in the other.
    for (NodeIndex j = 0; j < fleet.size(); ++j)
      EXPECT_EQ(fleet.ClassOf(i) == fleet.ClassOf(j), fresh.ClassOf(i) == fresh.ClassOf(j));
  }
}

// What a class keeps about its members equals what they say, after every booking.
void ExpectClassFactsHold(const Fleet& fleet) {
  for (int c = 0; c < static_cast<int>(fleet.classes().size()); ++c) {
    const Fleet::NodeClass& cls = fleet.classes()[static_cast<size_t>(c)];
    NodeIndex lowest = kNoNode;
    int64_t most_cpu = 0;
    for (const auto& [cpu, m] : cls.members) {
      if (lowest == kNoNode || m < lowest) lowest = m;
      most_cpu = std::max(most_cpu, fleet.FreeCpu(m).raw());
      EXPECT_EQ(cls.idle_gpus, fleet.IdleGpus(m));
      int64_t most_gpu = 0;
      for (size_t p = 0; p < fleet.node(m).gpus.size(); ++p)
        most_gpu = std::max(most_gpu, kMilliPerUnit - fleet.GpuUsed(m, p).raw());
      EXPECT_EQ(cls.most_gpu_free, most_gpu);
    }
    EXPECT_EQ(fleet.LowestOf(c), lowest) << "class " << c;
    EXPECT_EQ(cls.MostFreeCpu(), most_cpu);
  }
}

// Every level lists exactly its classes with nodes, once, and the same
// grouped by shape.
void ExpectLevelsHold(const Fleet& fleet) {
  std::vector<int> listed(fleet.classes().size(), 0);
  for (size_t idle = 0; idle < fleet.levels().size(); ++idle) {
    const Fleet::Level& level = fleet.levels()[idle];
    std::vector<int> by_class = level.classes;
    std::vector<int> by_shape;
    std::vector<int> shapes = level.shapes;
    for (int s : level.shapes) {
      const auto& same = level.of_shape[static_cast<size_t>(s)];
      EXPECT_FALSE(same.empty()) << "level " << idle << " lists shape " << s << " without a class";
      EXPECT_EQ(level.shape_pos[static_cast<size_t>(s)],
                std::find(level.shapes.begin(), level.shapes.end(), s) - level.shapes.begin());
      for (const auto& [most_cpu, c] : same) {
        EXPECT_EQ(fleet.classes()[static_cast<size_t>(c)].shape, s);
        EXPECT_EQ(fleet.classes()[static_cast<size_t>(c)].MostFreeCpu(), most_cpu) << "class " << c;
        by_shape.push_back(c);
      }
    }
    for (size_t s = 0; s < level.of_shape.size(); ++s) {
      if (std::find(shapes.begin(), shapes.end(), static_cast<int>(s)) == shapes.end()) {
        EXPECT_TRUE(level.of_shape[s].empty()) << "shape " << s << " has classes but is not listed";
      }
    }
    std::sort(shapes.begin(), shapes.end());
    EXPECT_EQ(std::adjacent_find(shapes.begin(), shapes.end()), shapes.end());
    std::sort(by_class.begin(), by_class.end());
    std::sort(by_shape.begin(), by_shape.end());
    EXPECT_EQ(by_class, by_shape) << "level " << idle;
    for (int c : level.classes) {
      const Fleet::NodeClass& cls = fleet.classes()[static_cast<size_t>(c)];
      EXPECT_FALSE(cls.members.empty());
      EXPECT_EQ(cls.idle_gpus, static_cast<int>(idle));
      ++listed[static_cast<size_t>(c)];
    }
  }
  for (size_t c = 0; c < listed.size(); ++c)
    EXPECT_EQ(listed[c], fleet.classes()[c].members.empty() ? 0 : 1) << "class " << c;
}

TEST(FleetTest, LevelsListEveryClassWithNodesByShape) {
  std::vector<Node> nodes;
  for (int i = 0; i < 12; ++i) nodes.push_back(MakeNode("n" + std::to_string(i), 8 + 8 * (i % 3), 128, 4));
  Fleet fleet;
  fleet.SetNodes(nodes);
  ASSERT_EQ(fleet.shape_count(), 3);
  ExpectLevelsHold(fleet);
  std::mt19937 rng(5);
  std::vector<TaskPlacement> live;
  for (int step = 0; step < 1500; ++step) {
    if (!live.empty() && rng() % 2 == 0) {
      size_t k = rng() % live.size();
      fleet.Release(live[k]);
      live.erase(live.begin() + static_cast<long>(k));
    } else {
      NodeIndex n = static_cast<NodeIndex>(rng() % nodes.size());
      int gpu = static_cast<int>(rng() % 4);
      int64_t share = rng() % 3 ? 500 : 1000;
      if (fleet.FreeCpu(n) < MilliCpu(1000) ||
          fleet.GpuUsed(n, static_cast<size_t>(gpu)) + MilliGpu(share) > MilliGpu(kMilliPerUnit))
        continue;
      TaskPlacement t = On(nodes[n].name, {gpu}, share);
      fleet.Reserve(t);
      live.push_back(t);
    }
    ExpectLevelsHold(fleet);
  }
  // And again after the nodes are replaced (the lists are rebuilt).
  nodes.pop_back();
  fleet.SetNodes(nodes);
  ExpectLevelsHold(fleet);
}

TEST(FleetTest, ClassFactsFollowEveryBooking) {
  std::vector<Node> nodes;
  for (int i = 0; i < 8; ++i) nodes.push_back(MakeNode("n" + std::to_string(i), 16, 128, i % 2 ? 4 : 0));
  Fleet fleet;
  fleet.SetNodes(nodes);
  std::mt19937 rng(11);
  std::vector<TaskPlacement> live;
  for (int step = 0; step < 600; ++step) {
    if (!live.empty() && rng() % 3 == 0) {
      size_t k = rng() % live.size();
      fleet.Release(live[k]);
      live.erase(live.begin() + static_cast<long>(k));
    } else {
      NodeIndex n = static_cast<NodeIndex>(rng() % nodes.size());
      if (fleet.FreeCpu(n) < MilliCpu(1000)) continue;
      TaskPlacement t = On(nodes[n].name, {}, 0);
      if (!nodes[n].gpus.empty()) {
        int gpu = static_cast<int>(rng() % 4);
        int64_t share = rng() % 2 ? 250 : 1000;
        if (fleet.GpuUsed(n, static_cast<size_t>(gpu)) + MilliGpu(share) > MilliGpu(kMilliPerUnit)) continue;
        t = On(nodes[n].name, {gpu}, share);
      }
      fleet.Reserve(t);
      live.push_back(t);
    }
    ExpectClassFactsHold(fleet);
    ExpectLevelsHold(fleet);
  }
}

TEST(FleetTest, BookingsSurviveANodeLeavingAndComingBack) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("a", 8, 64, 2), MakeNode("b", 8, 64, 2)});
  TaskPlacement t = On("b", {1}, 1000);
  fleet.Reserve(t);
  fleet.SetNodes({MakeNode("a", 8, 64, 2)});
  EXPECT_EQ(fleet.UsageOf("b").gpu_milli_used, (std::vector<MilliGpu>{MilliGpu(0), MilliGpu(1000)}));
  fleet.SetNodes({MakeNode("a", 8, 64, 2), MakeNode("b", 8, 64, 2)});
  EXPECT_EQ(fleet.IdleGpus(fleet.IndexOf("b")), 1);
  fleet.Release(t);
  EXPECT_EQ(fleet.IdleGpus(fleet.IndexOf("b")), 2);
}

TEST(FleetTest, GenerationMovesWhenCapacityIsFreedNotWhenTaken) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("a", 8, 64, 2)});
  uint64_t g = fleet.generation();
  TaskPlacement t = On("a", {0}, 1000);
  fleet.Reserve(t);
  EXPECT_EQ(fleet.generation(), g);
  fleet.Unreserve(t);
  EXPECT_EQ(fleet.generation(), g);
  fleet.Reserve(t);
  fleet.Release(t);
  EXPECT_GT(fleet.generation(), g);
  // The same inventory read again is no change; a node that changes is.
  g = fleet.generation();
  fleet.SetNodes({MakeNode("a", 8, 64, 2)});
  EXPECT_EQ(fleet.generation(), g);
  fleet.SetNodes({MakeNode("a", 8, 64, 4)});
  EXPECT_GT(fleet.generation(), g);
}

TEST(FleetTest, FindsNodesByName) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("a", 8, 64, 2), MakeNode("b", 8, 64, 2)});
  EXPECT_EQ(fleet.IndexOf("b"), 1);
  EXPECT_EQ(fleet.IndexOf("zz"), kNoNode);
  ASSERT_NE(fleet.FindNode("a"), nullptr);
  EXPECT_EQ(fleet.FindNode("a")->name, "a");
}

}  // namespace
}  // namespace skyrun
