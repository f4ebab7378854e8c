#include "catalog/cluster_offers.h"

#include <gtest/gtest.h>

namespace skyrun::catalog {
namespace {

Node GpuNode(const std::string& name, int a100, int t4) {
  Node n;
  n.name = name;
  n.backend = "slurm/hpc1";
  n.cpus_milli = MilliCpu(64000);
  n.memory_mib = MemoryMiB(512 * 1024);
  int index = 0;
  for (int i = 0; i < a100; ++i) n.gpus.push_back({index++, "A100-80GB", MemoryMiB(81920)});
  for (int i = 0; i < t4; ++i) n.gpus.push_back({index++, "T4", MemoryMiB(15360)});
  n.price_per_gpu_hour = 1.5;
  n.price_per_cpu_hour = 0.01;
  return n;
}

TEST(ClusterOffers, FreeGpusByModelAtTheInternalPrice) {
  Node node = GpuNode("hpc1/n1", 4, 2);
  NodeUsage used;
  used.cpus_milli = MilliCpu(16000);
  used.memory_mib = MemoryMiB(100 * 1024);
  used.gpu_milli_used = {MilliGpu(1000), MilliGpu(500), MilliGpu(0), MilliGpu(0),
                         MilliGpu(0),    MilliGpu(0)};  // GPU 0 whole, GPU 1 half: both not offered
  std::vector<Offer> offers = ClusterOffers({node}, {{"hpc1/n1", used}});
  ASSERT_EQ(offers.size(), 3u);
  EXPECT_EQ(offers[0].provider, "slurm/hpc1");
  EXPECT_EQ(offers[0].region, "slurm/hpc1");
  EXPECT_EQ(offers[0].zone, "hpc1/n1");
  EXPECT_EQ(offers[0].accelerator, "A100-80GB");
  EXPECT_EQ(offers[0].accelerator_count, 2);
  EXPECT_EQ(offers[0].gpu_memory_mib, 81920);
  EXPECT_EQ(offers[0].cpus.raw(), 48000);
  EXPECT_EQ(offers[0].memory.raw(), 412 * 1024);
  EXPECT_DOUBLE_EQ(offers[0].price, 2 * 1.5 + 48 * 0.01);
  EXPECT_FALSE(offers[0].spot_price.has_value());
  EXPECT_EQ(offers[1].accelerator, "T4");
  EXPECT_EQ(offers[1].accelerator_count, 2);
  EXPECT_EQ(offers[2].accelerator, "");
  EXPECT_DOUBLE_EQ(offers[2].price, 0.48);
}

TEST(ClusterOffers, DownNodesAndFullNodesOfferNothing) {
  Node down = GpuNode("n-down", 8, 0);
  down.state = NodeState::kDown;
  Node full = GpuNode("n-full", 1, 0);
  NodeUsage all;
  all.cpus_milli = MilliCpu(64000);
  all.memory_mib = MemoryMiB(512 * 1024);
  all.gpu_milli_used = {MilliGpu(1000)};
  EXPECT_TRUE(ClusterOffers({down, full}, {{"n-full", all}}).empty());
  // Usage beyond capacity (a stale report) does not make negative offers.
  all.cpus_milli = MilliCpu(99000);
  EXPECT_TRUE(ClusterOffers({full}, {{"n-full", all}}).empty());
}

}  // namespace
}  // namespace skyrun::catalog
