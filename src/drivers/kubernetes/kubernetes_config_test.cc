#include "drivers/kubernetes/kubernetes_config.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

Result<KubernetesClusterConfig> Parse(const std::string& yaml) {
  return ParseKubernetesClusterConfig(YAML::Load(yaml), "config.yaml: kubernetes[0]");
}

TEST(KubernetesConfigTest, ParsesAFullEntry) {
  auto c = Parse(R"(
name: prod
namespace: ml
kubeconfig: /etc/skyrun/prod.kubeconfig
context: prod-admin
default_image: registry.example.org/base:1
image_pull_policy: Always
queues: {research: research-q, ads: ads}
checkpoint_volume: {claim: skyrun-ckpt, mount_path: /ckpt}
gpu_share: {cores_resource: "", memory_percentage_resource: volcano.sh/vgpu-memory-percentage}
tolerated_taints: [nvidia.com/gpu, dedicated]
max_retry: 5
ttl_seconds_after_finished: 600
price_per_gpu_hour: 1.5
request_timeout: 10
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->name, "prod");
  EXPECT_EQ(c->BackendName(), "kubernetes/prod");
  EXPECT_EQ(c->k8s_namespace, "ml");
  EXPECT_EQ(c->kubeconfig, "/etc/skyrun/prod.kubeconfig");
  EXPECT_EQ(c->context, "prod-admin");
  EXPECT_EQ(c->image_pull_policy, "Always");
  EXPECT_EQ(c->queue_map.at("research"), "research-q");
  EXPECT_EQ(c->checkpoint.claim, "skyrun-ckpt");
  EXPECT_EQ(c->checkpoint.default_mount_path, "/ckpt");
  EXPECT_EQ(c->gpu_share.number_resource, "volcano.sh/vgpu-number");  // default kept
  EXPECT_EQ(c->gpu_share.cores_resource, "");
  EXPECT_EQ(c->tolerated_taints, (std::vector<std::string>{"nvidia.com/gpu", "dedicated"}));
  EXPECT_EQ(c->max_retry, 5);
  EXPECT_EQ(c->ttl_seconds_after_finished, 600);
  EXPECT_DOUBLE_EQ(c->price_per_gpu_hour, 1.5);
  EXPECT_EQ(c->request_timeout_seconds, 10);
}

TEST(KubernetesConfigTest, DefaultsAreValid) {
  EXPECT_TRUE(ValidateKubernetesClusterConfig(KubernetesClusterConfig()).ok());
  auto c = Parse("name: lab");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->k8s_namespace, "default");
  EXPECT_EQ(c->scheduler_name, "volcano");
  EXPECT_TRUE(c->kubeconfig.empty());
}

TEST(KubernetesConfigTest, UnknownKeysAreRefusedWithASuggestion) {
  auto c = Parse("name: prod\nnamspace: ml\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("kubernetes[0].namspace (line 2, column 1): unknown key"),
            std::string::npos)
      << c.status().message();
  EXPECT_NE(c.status().message().find("did you mean 'namespace'"), std::string::npos);
  auto nested = Parse("name: prod\ncheckpoint_volume: {clam: x}\n");
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.status().message().find("checkpoint_volume.clam"), std::string::npos);
}

TEST(KubernetesConfigTest, EveryProblemIsListed) {
  auto c = Parse(R"(
name: Prod_Cluster
namespace: ML
image_pull_policy: Sometimes
queues: {research: Research Q}
checkpoint_volume: {claim: ckpt, host_path: relative/dir}
)");
  ASSERT_FALSE(c.ok());
  const std::string& m = c.status().message();
  for (const char* want : {"name 'Prod_Cluster'", "namespace 'ML'", "image_pull_policy 'Sometimes'",
                           "queues.research", "either claim or host_path", "host_path 'relative/dir'"}) {
    EXPECT_NE(m.find(want), std::string::npos) << want << " missing from: " << m;
  }
}

TEST(KubernetesConfigTest, WrongTypes) {
  EXPECT_FALSE(Parse("name: prod\nmax_retry: many\n").ok());
  EXPECT_FALSE(Parse("name: prod\nmax_retry: -1\n").ok());
  EXPECT_FALSE(Parse("name: prod\nqueues: [a, b]\n").ok());
  EXPECT_FALSE(Parse("name: prod\ntolerated_taints: gpu\n").ok());
  EXPECT_FALSE(Parse("name: prod\nprice_per_gpu_hour: cheap\n").ok());
  EXPECT_FALSE(Parse("- name: prod\n").ok());
}

TEST(KubernetesConfigTest, VolumesMakeClaimsOnlyWhenConfigured) {
  auto off = Parse("name: prod\n");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->volumes.enabled);
  auto on = Parse(
      "name: prod\nvolumes: {storage_class: nfs-rwx, size_bytes: 1000000, access_mode: ReadWriteOnce}\n");
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  EXPECT_TRUE(on->volumes.enabled);
  EXPECT_EQ(on->volumes.storage_class, "nfs-rwx");
  EXPECT_EQ(on->volumes.size_bytes, 1000000);
  EXPECT_EQ(on->volumes.access_mode, "ReadWriteOnce");
  auto defaults = Parse("name: prod\nvolumes: {}\n");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_TRUE(defaults->volumes.enabled);
  EXPECT_EQ(defaults->volumes.access_mode, "ReadWriteMany");
  for (const char* bad : {"volumes: {storage_class: Bad_Class}", "volumes: {size_bytes: 0}",
                          "volumes: {access_mode: ReadOnlyMany}", "volumes: {storage: x}", "volumes: [a]"}) {
    EXPECT_FALSE(Parse(std::string("name: prod\n") + bad + "\n").ok()) << bad;
  }
}

}  // namespace
}  // namespace skyrun
