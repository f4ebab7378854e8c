#include "drivers/kubernetes/kube_inventory.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace skyrun {
namespace {

std::string SourceDir() {
  if (const char* dir = std::getenv("SKYRUN_SOURCE_DIR"); dir && *dir) return dir;
  return SKYRUN_KUBERNETES_SOURCE_DIR;
}

nlohmann::json RecordedNodes() {
  std::ifstream in(SourceDir() + "/tests/kubernetes/recorded/nodes.json");
  EXPECT_TRUE(in);
  return nlohmann::json::parse(in, nullptr, false);
}

KubernetesClusterConfig Prod() {
  KubernetesClusterConfig c;
  c.name = "prod";
  c.price_per_gpu_hour = 2.5;
  return c;
}

const Node* Find(const std::vector<Node>& nodes, const std::string& name) {
  for (const auto& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

TEST(KubeInventoryTest, GpuModelsUseTheCatalogsNames) {
  EXPECT_EQ(GpuModelFromProduct("NVIDIA-A100-SXM4-80GB"), "A100-80GB");
  EXPECT_EQ(GpuModelFromProduct("NVIDIA-A100-SXM4-40GB"), "A100");
  EXPECT_EQ(GpuModelFromProduct("NVIDIA-A100-PCIE-40GB"), "A100");
  EXPECT_EQ(GpuModelFromProduct("NVIDIA-A100-80GB-PCIe"), "A100-80GB");
  EXPECT_EQ(GpuModelFromProduct("NVIDIA-H100-80GB-HBM3"), "H100");
  EXPECT_EQ(GpuModelFromProduct("Tesla-V100-SXM2-16GB"), "V100");
  EXPECT_EQ(GpuModelFromProduct("Tesla-V100-SXM2-32GB"), "V100-32GB");
  EXPECT_EQ(GpuModelFromProduct("Tesla-T4"), "T4");
  EXPECT_EQ(GpuModelFromProduct("NVIDIA-L4"), "L4");
  EXPECT_EQ(GpuModelFromProduct("NVIDIA-A10G"), "A10G");
  EXPECT_EQ(GpuModelFromProduct("NVIDIA-L40S"), "L40S");
  EXPECT_EQ(GpuModelFromProduct("NVIDIA-RTX-A6000"), "A6000");
  EXPECT_EQ(GpuModelFromProduct("Quadro-RTX-6000"), "RTX6000");
  EXPECT_EQ(GpuModelFromProduct("NVIDIA-GH200-480GB"), "GH200");
  EXPECT_EQ(GpuModelFromProduct("NVIDIA-A100-SXM4-80GB-MIG-1g.10gb"), "A100-80GB");
}

TEST(KubeInventoryTest, ParsesTheRecordedNodeList) {
  auto nodes = ParseKubeNodeList(RecordedNodes(), Prod());
  ASSERT_TRUE(nodes.ok()) << nodes.status().ToString();
  ASSERT_EQ(nodes->size(), 7u);

  const Node* a = Find(*nodes, "kubernetes/prod/gpu-a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->backend, "kubernetes/prod");
  EXPECT_EQ(a->state, NodeState::kUp)
      << "the nvidia.com/gpu taint is tolerated by default: " << a->limits_note;
  EXPECT_EQ(a->cpus_milli.raw(), 95500);
  EXPECT_EQ(a->memory_mib.raw(), 1056581140LL / 1024);
  ASSERT_EQ(a->gpus.size(), 8u);
  EXPECT_EQ(a->gpus[7].index, 7);
  EXPECT_EQ(a->gpus[0].model, "A100-80GB");
  EXPECT_EQ(a->gpus[0].memory_mb.raw(), 81920);
  EXPECT_EQ(a->address, "10.0.2.21");
  EXPECT_EQ(a->attributes.at("Region"), "us-east-1");
  EXPECT_EQ(a->attributes.at("Zone"), "us-east-1a");
  EXPECT_EQ(a->attributes.at("InstanceType"), "p4de.24xlarge");
  EXPECT_EQ(a->attributes.at("Provider"), "kubernetes");
  EXPECT_EQ(a->attributes.at("Cluster"), "prod");
  EXPECT_EQ(a->attributes.at("GpuProduct"), "NVIDIA-A100-SXM4-80GB");
  EXPECT_EQ(a->attributes.at("nvidia.com/gpu.count"), "8") << "every label is an attribute";
  EXPECT_DOUBLE_EQ(a->price_per_gpu_hour, 2.5);
  EXPECT_TRUE(a->limits_enforced);

  const Node* b = Find(*nodes, "kubernetes/prod/gpu-b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->gpus[0].model, "A100");

  const Node* cpu = Find(*nodes, "kubernetes/prod/cpu-node-1");
  ASSERT_NE(cpu, nullptr);
  EXPECT_TRUE(cpu->gpus.empty());
  EXPECT_EQ(cpu->cpus_milli.raw(), 15890);
  EXPECT_EQ(cpu->state, NodeState::kUp);

  const Node* cp = Find(*nodes, "kubernetes/prod/control-plane-1");
  ASSERT_NE(cp, nullptr);
  EXPECT_EQ(cp->state, NodeState::kDrain);
  EXPECT_NE(cp->limits_note.find("node-role.kubernetes.io/control-plane:NoSchedule"), std::string::npos)
      << cp->limits_note;

  const Node* old = Find(*nodes, "kubernetes/prod/gpu-old");
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(old->state, NodeState::kDown);
  EXPECT_EQ(old->gpus[0].model, "V100-32GB");

  const Node* t4 = Find(*nodes, "kubernetes/prod/gpu-t4-1");
  ASSERT_NE(t4, nullptr);
  EXPECT_EQ(t4->state, NodeState::kDrain);
  EXPECT_EQ(t4->limits_note, "cordoned (unschedulable)");

  const Node* share = Find(*nodes, "kubernetes/prod/gpu-share-1");
  ASSERT_NE(share, nullptr);
  EXPECT_EQ(share->gpus.size(), 1u);
  EXPECT_EQ(share->gpus[0].model, "A10G");
  EXPECT_EQ(share->attributes.at("Zone"), "us-east-1b");
}

TEST(KubeInventoryTest, TaintsNotToleratedDrainTheNode) {
  KubernetesClusterConfig strict = Prod();
  strict.tolerated_taints.clear();
  auto nodes = ParseKubeNodeList(RecordedNodes(), strict);
  ASSERT_TRUE(nodes.ok());
  const Node* a = Find(*nodes, "kubernetes/prod/gpu-a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->state, NodeState::kDrain);
  EXPECT_NE(a->limits_note.find("nvidia.com/gpu:NoSchedule"), std::string::npos);
}

TEST(KubeInventoryTest, RefusesWhatIsNotANodeList) {
  EXPECT_FALSE(ParseKubeNodeList(nlohmann::json::parse("[]"), Prod()).ok());
  EXPECT_FALSE(ParseKubeNodeList(nlohmann::json::parse(R"({"kind": "PodList", "items": []})"), Prod()).ok());
  auto bad_cpu = ParseKubeNodeList(nlohmann::json::parse(R"({"kind": "List", "items": [
      {"metadata": {"name": "n1"}, "status": {"allocatable": {"cpu": "lots"}}}]})"),
                                   Prod());
  ASSERT_FALSE(bad_cpu.ok());
  EXPECT_NE(bad_cpu.status().message().find("node n1"), std::string::npos) << bad_cpu.status().message();
  auto empty = ParseKubeNodeList(nlohmann::json::parse(R"({"kind": "List", "items": []})"), Prod());
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace skyrun
