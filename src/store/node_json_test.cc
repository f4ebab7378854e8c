#include "store/node_json.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

TEST(NodeJsonTest, EveryFieldRoundTrips) {
  Node n;
  n.name = "hpc1/node7";
  n.backend = "slurm/hpc1";
  n.state = NodeState::kDrain;
  n.cpus_milli = MilliCpu(96000);
  n.memory_mib = MemoryMiB(1 << 20);
  n.gpus = {GpuDevice{0, "H100", MemoryMiB(81559)}, GpuDevice{1, "H100", MemoryMiB(81559)}};
  n.links = {{GpuLink::kNvLink, GpuLink::kPcieSwitch}, {GpuLink::kSameSocket, GpuLink::kCrossSocket}};
  n.attributes = {{"Region", "eu-west"}, {"Country", "DE"}, {"label/team", "a b \"c\""}};
  n.price_per_gpu_hour = 2.75;
  n.price_per_cpu_hour = 0.04;
  n.limits_enforced = true;
  n.limits_note = "cgroup v2";
  n.address = "10.0.0.7";

  auto back = NodeFromJson(NodeToJson(n));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->name, n.name);
  EXPECT_EQ(back->backend, n.backend);
  EXPECT_EQ(back->state, NodeState::kDrain);
  EXPECT_EQ(back->cpus_milli, n.cpus_milli);
  EXPECT_EQ(back->memory_mib, n.memory_mib);
  ASSERT_EQ(back->gpus.size(), 2u);
  EXPECT_EQ(back->gpus[1].index, 1);
  EXPECT_EQ(back->gpus[1].model, "H100");
  EXPECT_EQ(back->gpus[1].memory_mb.raw(), 81559);
  EXPECT_EQ(back->links, n.links);
  EXPECT_EQ(back->attributes, n.attributes);
  EXPECT_DOUBLE_EQ(back->price_per_gpu_hour, 2.75);
  EXPECT_DOUBLE_EQ(back->price_per_cpu_hour, 0.04);
  EXPECT_TRUE(back->limits_enforced);
  EXPECT_EQ(back->limits_note, "cgroup v2");
  EXPECT_EQ(back->address, "10.0.0.7");
}

TEST(NodeJsonTest, MissingKeysTakeDefaultsAndUnknownKeysAreIgnored) {
  auto node = NodeFromJson(R"({"name": "n1", "from_the_future": [1, 2]})");
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ(node->name, "n1");
  EXPECT_EQ(node->state, NodeState::kUp);
  EXPECT_EQ(node->address, "127.0.0.1");
  EXPECT_TRUE(node->gpus.empty());
}

TEST(NodeJsonTest, BadTextIsAnError) {
  EXPECT_EQ(NodeFromJson("{not json").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(NodeFromJson("[1]").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(NodeFromJson(R"({"cpus_milli": "lots"})").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(NodeFromJson(R"({"links": [["WARP"]]})").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(NodeFromJson(R"({"state": "SLEEPING"})").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace skyrun
