// The server's config file: the backends it brokers (local, slurm,
// kubernetes, simcloud), their settings, and the refusal of what it does not know.
#include "server/config.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "drivers/slurm/slurm_driver.h"
#include "server/backends.h"

namespace skyrun {
namespace {

TEST(ServerConfigTest, EmptyFileGivesTheEmbeddedDefaults) {
  auto cfg = ParseServerConfig("", "server.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->listen, "127.0.0.1:8787");
  EXPECT_TRUE(cfg->local.enabled);
  EXPECT_TRUE(cfg->slurm.empty());
  EXPECT_TRUE(cfg->kubernetes.empty());
}

TEST(ServerConfigTest, LogLevelIsReadAndAnUnknownOneRefusedWithItsPlace) {
  auto cfg = ParseServerConfig("", "server.yaml");
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->log_level, "info");
  cfg = ParseServerConfig("log_level: debug\n", "server.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->log_level, "debug");
  cfg = ParseServerConfig("log_level: loud\n", "server.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().message(), "server.yaml:1:12: log_level: must be debug, info, warn or error");
}

TEST(ServerConfigTest, CatalogDirectoriesAndClusterEgress) {
  auto cfg = ParseServerConfig("", "server.yaml");
  ASSERT_TRUE(cfg.ok());
  EXPECT_TRUE(cfg->catalog.builtin);
  EXPECT_TRUE(cfg->catalog.dirs.empty());
  cfg = ParseServerConfig(
      "catalog:\n  dirs: [/srv/catalog]\n  cluster_egress_usd_per_gb: {local: 0.0, slurm/hpc1: 0.01}\n",
      "server.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->catalog.dirs, std::vector<std::string>{"/srv/catalog"});
  EXPECT_EQ(cfg->catalog.cluster_egress_usd_per_gb.at("slurm/hpc1"), 0.01);
  auto relative = ParseServerConfig("catalog:\n  dirs: [catalog]\n", "server.yaml");
  ASSERT_FALSE(relative.ok());
  EXPECT_NE(relative.status().message().find("catalog.dirs"), std::string::npos)
      << relative.status().message();
  auto negative = ParseServerConfig("catalog:\n  cluster_egress_usd_per_gb: {local: -1}\n", "server.yaml");
  EXPECT_FALSE(negative.ok());
  auto nothing = ParseServerConfig("catalog:\n  builtin: false\n", "server.yaml");
  EXPECT_FALSE(nothing.ok());
  auto typo = ParseServerConfig("catalog:\n  dir: [/x]\n", "server.yaml");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("did you mean 'dirs'"), std::string::npos)
      << typo.status().message();
}

TEST(ServerConfigTest, Item4_UploadsDefaultsAndServerPaths) {
  auto cfg = ParseServerConfig("", "server.yaml");
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->uploads.max_bytes, 64LL << 20);
  EXPECT_TRUE(cfg->uploads.server_paths.empty());  // no server path is readable by default
  cfg = ParseServerConfig(
      "uploads: {max_bytes: 1000, tenant_quota_bytes: 5000, server_paths: [/datasets/, /models]}\n",
      "server.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->uploads.max_bytes, 1000);
  EXPECT_EQ(cfg->uploads.tenant_quota_bytes, 5000);
  EXPECT_EQ(cfg->uploads.server_paths, (std::vector<std::string>{"/datasets", "/models"}));
  for (const char* bad :
       {"uploads: {server_paths: [relative]}", "uploads: {server_paths: [/]}",
        "uploads: {server_paths: [/a/../etc]}", "uploads: {max_bytes: 0}", "uploads: {max_byte: 1}"}) {
    EXPECT_FALSE(ParseServerConfig(bad, "server.yaml").ok()) << bad;
  }
}

TEST(ServerConfigTest, ImagesBlockWithRegistriesAndBadValuesLocated) {
  auto cfg = ParseServerConfig("", "server.yaml");
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->images.max_cache_bytes, 20LL << 30);
  EXPECT_EQ(cfg->images.per_tenant_bytes, 10LL << 30);
  cfg = ParseServerConfig(R"(
images:
  max_cache_bytes: 1000
  per_tenant_bytes: 0
  registries:
    registry.example.org: {username: ci, password_file: /etc/skyrun/reg.pw}
    "10.0.0.5:5000": {insecure: true}
)",
                          "server.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->images.max_cache_bytes, 1000);
  EXPECT_EQ(cfg->images.per_tenant_bytes, 0);
  ASSERT_EQ(cfg->images.registries.size(), 2u);
  EXPECT_EQ(cfg->images.registries["registry.example.org"].username, "ci");
  EXPECT_EQ(cfg->images.registries["registry.example.org"].password_file, "/etc/skyrun/reg.pw");
  EXPECT_TRUE(cfg->images.registries["10.0.0.5:5000"].insecure);
  struct Bad {
    const char* yaml;
    const char* says;
  };
  for (const Bad& bad : std::vector<Bad>{
           {"images: {max_cache_bytes: -1}", "images.max_cache_bytes"},
           {"images: {per_tenant_bytes: -1}", "images.per_tenant_bytes"},
           {"images: {max_cache: 1}", "max_cache"},
           {"images: {registries: {r.io: {username: u}}}", "give both username and password_file"},
           {"images: {registries: {r.io: {username: u, password_file: rel}}}", "must be an absolute path"},
           {"images: {registries: {r.io: {password: x}}}", "password"},
           {"images: {registries: [r.io]}", "images.registries"},
       }) {
    auto r = ParseServerConfig(bad.yaml, "server.yaml");
    ASSERT_FALSE(r.ok()) << bad.yaml;
    EXPECT_NE(r.status().message().find(bad.says), std::string::npos)
        << bad.yaml << ": " << r.status().message();
  }
}

TEST(ServerConfigTest, SlurmEntryWithPacing) {
  auto cfg = ParseServerConfig(R"(
local: {enabled: false}
slurm:
  - name: hpc1
    slurm_conf: /etc/slurm/hpc1.conf
    partition: gpu
    price_per_gpu_hour: 1.5
    poll_interval_ms: 500
    inventory_interval_ms: 5000
  - name: hpc2
)",
                               "server.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  ASSERT_EQ(cfg->slurm.size(), 2u);
  EXPECT_EQ(cfg->slurm[0].slurm_conf, "/etc/slurm/hpc1.conf");
  EXPECT_EQ(cfg->slurm[0].poll_interval_ms, 500);
  EXPECT_EQ(cfg->slurm[0].inventory_interval_ms, 5000);
  EXPECT_DOUBLE_EQ(cfg->slurm[0].price_per_gpu_hour, 1.5);
  // Defaults: Slurm is polled every 2 s, its nodes read every 10 s.
  EXPECT_EQ(cfg->slurm[1].poll_interval_ms, 2000);
  EXPECT_EQ(cfg->slurm[1].inventory_interval_ms, 10000);
}

// Issue 11: gpu_models, gpu_memory_mb and default_memory_mib_per_task were
// documented but refused as unknown settings; they reach the driver now.
TEST(ServerConfigTest, SlurmGpuModelsMemoryAndDefaultMemoryCanBeSet) {
  auto cfg = ParseServerConfig(R"(
local: {enabled: false}
slurm:
  - name: hpc1
    gpu_models: {a100: A100-80GB}
    gpu_memory_mb: {A100-80GB: 81920}
    default_memory_mib_per_task: 2048
)",
                               "server.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  ASSERT_EQ(cfg->slurm.size(), 1u);
  EXPECT_EQ(cfg->slurm[0].gpu_models.at("a100"), "A100-80GB");
  EXPECT_EQ(cfg->slurm[0].gpu_memory_mb.at("A100-80GB"), 81920);
  EXPECT_EQ(cfg->slurm[0].default_memory_mib_per_task, 2048);
  SimulatedClock clock;
  auto drivers = BuildDrivers(*cfg, "/tmp/unused-state", &clock);
  ASSERT_TRUE(drivers.ok()) << drivers.status().message();
  auto* slurm = dynamic_cast<SlurmDriver*>((*drivers)[0].get());
  ASSERT_NE(slurm, nullptr);
  EXPECT_EQ(slurm->config().gpu_models.at("a100"), "A100-80GB");
  EXPECT_EQ(slurm->config().default_memory_mib_per_task, 2048);
}

TEST(ServerConfigTest, SlurmPollIntervalOutOfBoundsIsRefusedWithItsPlace) {
  auto cfg = ParseServerConfig("slurm:\n  - name: hpc1\n    poll_interval_ms: 5\n", "server.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cfg.status().message(),
            "server.yaml:3:23: slurm[0].poll_interval_ms: must be 100..60000 (milliseconds)");
}

TEST(ServerConfigTest, KubernetesEntryIsReadWithTheDriversKeys) {
  auto cfg = ParseServerConfig(R"(
kubernetes:
  - name: prod
    namespace: ml
    kubeconfig: /etc/skyrun/prod.kubeconfig
    default_image: registry.example.org/ml/base:1
    queues: {research: research-q}
    price_per_gpu_hour: 2.25
    price_per_cpu_hour: 0.05
    checkpoint_volume: {claim: skyrun-ckpt}
)",
                               "server.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  ASSERT_EQ(cfg->kubernetes.size(), 1u);
  const KubernetesClusterConfig& k = cfg->kubernetes[0];
  EXPECT_EQ(k.BackendName(), "kubernetes/prod");
  EXPECT_EQ(k.k8s_namespace, "ml");
  EXPECT_EQ(k.kubeconfig, "/etc/skyrun/prod.kubeconfig");
  EXPECT_EQ(k.default_image, "registry.example.org/ml/base:1");
  EXPECT_EQ(k.queue_map.at("research"), "research-q");
  EXPECT_DOUBLE_EQ(k.price_per_gpu_hour, 2.25);
  EXPECT_DOUBLE_EQ(k.price_per_cpu_hour, 0.05);
  EXPECT_EQ(k.checkpoint.claim, "skyrun-ckpt");
}

TEST(ServerConfigTest, KubernetesUnknownKeyIsRefusedWithItsPlaceAndASuggestion) {
  auto cfg = ParseServerConfig("kubernetes:\n  - name: prod\n    namespce: ml\n", "server.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      cfg.status().message(),
      "server.yaml: kubernetes[0].namespce (line 3, column 5): unknown key (did you mean 'namespace'?)");
}

TEST(ServerConfigTest, KubernetesBadValuesAreRefused) {
  auto no_name = ParseServerConfig("kubernetes:\n  - namespace: ml\n", "server.yaml");
  ASSERT_FALSE(no_name.ok());
  EXPECT_EQ(no_name.status().message(), "server.yaml:2:5: kubernetes[0]: a Kubernetes cluster needs a name");

  auto bad_ns = ParseServerConfig("kubernetes:\n  - name: prod\n    namespace: Not_A_Label\n", "server.yaml");
  ASSERT_FALSE(bad_ns.ok());
  EXPECT_NE(bad_ns.status().message().find("namespace 'Not_A_Label' must be a DNS label"), std::string::npos)
      << bad_ns.status().message();

  auto price = ParseServerConfig("kubernetes:\n  - name: prod\n    price_per_gpu_hour: -1\n", "server.yaml");
  ASSERT_FALSE(price.ok());
  EXPECT_NE(price.status().message().find("kubernetes[0].price_per_gpu_hour (line 3, column 25): expected a "
                                          "non-negative number"),
            std::string::npos)
      << price.status().message();

  auto not_list = ParseServerConfig("kubernetes: {name: prod}\n", "server.yaml");
  ASSERT_FALSE(not_list.ok());
  EXPECT_EQ(not_list.status().message(), "server.yaml:1:13: kubernetes: expected a list of clusters");
}

TEST(ServerConfigTest, UnknownTopLevelKeyIsRefusedWithASuggestion) {
  auto cfg = ParseServerConfig("kubernets: []\n", "server.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().message(),
            "server.yaml:1:1: kubernets: unknown setting; did you mean 'kubernetes'?");
}

TEST(ServerConfigTest, TwoBackendsWithOneNameAreRefused) {
  auto cfg = ParseServerConfig("slurm:\n  - name: a\n  - name: a\n", "server.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("backend 'slurm/a' is configured twice"), std::string::npos)
      << cfg.status().message();
}

TEST(ServerConfigTest, EveryConfiguredBackendBecomesADriver) {
  auto cfg = ParseServerConfig(R"(
local: {enabled: false}
slurm:
  - {name: hpc1, slurm_conf: /nonexistent/slurm.conf, poll_interval_ms: 1500}
kubernetes:
  - {name: prod, namespace: ml}
)",
                               "server.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  SimulatedClock clock;
  auto drivers = BuildDrivers(*cfg, "/tmp/unused-state", &clock);
  ASSERT_TRUE(drivers.ok()) << drivers.status().message();
  ASSERT_EQ(drivers->size(), 2u);
  EXPECT_EQ((*drivers)[0]->Name(), "slurm/hpc1");
  EXPECT_EQ((*drivers)[0]->PollInterval(), 1500 * kMicrosPerMilli);
  EXPECT_EQ((*drivers)[0]->InventoryInterval(), 10 * kMicrosPerSecond);
  EXPECT_EQ((*drivers)[1]->Name(), "kubernetes/prod");
  // No kubeconfig: nothing is applied and no node is offered, with the reason.
  auto nodes = (*drivers)[1]->Inventory();
  ASSERT_FALSE(nodes.ok());
  EXPECT_NE(nodes.status().message().find("kubeconfig"), std::string::npos) << nodes.status().message();
}

TEST(ServerConfigTest, SimcloudEntryBecomesADriverWithItsPreprovisionedInstances) {
  auto cfg = ParseServerConfig(R"(
local: {enabled: false}
simcloud:
  - name: sim1
    offers:
      - {provider: aws, region: us-east-1, zone: us-east-1a, instance_type: m5.large, cpus: 2,
         memory_gib: 8, price: 0.096}
    provision: [{instance_type: m5.large, zone: us-east-1a, count: 2}]
)",
                               "server.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  ASSERT_EQ(cfg->simcloud.size(), 1u);
  SimulatedClock clock;
  auto drivers = BuildDrivers(*cfg, "/tmp/unused-state", &clock);
  ASSERT_TRUE(drivers.ok()) << drivers.status().message();
  ASSERT_EQ(drivers->size(), 1u);
  Driver& sim = *(*drivers)[0];
  EXPECT_EQ(sim.Name(), "simcloud/sim1");
  ASSERT_NE(sim.Capacity(), nullptr);
  auto nodes = sim.Inventory();
  ASSERT_TRUE(nodes.ok()) << nodes.status().message();
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[1].name, "simcloud/sim1/i-0002");
}

TEST(ServerConfigTest, BadSimcloudEntriesAreRefusedWithTheirPlace) {
  auto unknown = ParseServerConfig("simcloud:\n  - {name: s, ofers: []}\n", "server.yaml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(
      unknown.status().message().find("server.yaml:2:15: simcloud[0].ofers: unknown setting; did you mean "
                                      "'offers'?"),
      std::string::npos)
      << unknown.status().message();
  const std::string offer =
      "offers: [{provider: aws, region: r, zone: z, instance_type: t, cpus: 1, memory_gib: 1, price: 1}]";
  auto twice = ParseServerConfig("simcloud:\n  - {name: s, " + offer + "}\n  - {name: s, " + offer + "}\n",
                                 "server.yaml");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("backend 'simcloud/s' is configured twice"), std::string::npos)
      << twice.status().message();
  auto not_list = ParseServerConfig("simcloud: {name: s}\n", "server.yaml");
  ASSERT_FALSE(not_list.ok());
  EXPECT_NE(not_list.status().message().find("expected a list of simulated clouds"), std::string::npos);
}

TEST(ServerConfigTest, Item8_ApiLimitsAreReadAndCheckedWithTheirPlace) {
  auto cfg =
      ParseServerConfig("api:\n  max_follows_per_tenant: 4\n  head_timeout_seconds: 3\n", "server.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->api.max_follows_per_tenant, 4);
  EXPECT_EQ(cfg->api.head_timeout_seconds, 3);
  EXPECT_EQ(cfg->api.request_threads, 32);
  auto zero = ParseServerConfig("api:\n  stream_threads: 0\n", "server.yaml");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("server.yaml:2:19: api.stream_threads: must be 1..4096"),
            std::string::npos)
      << zero.status().message();
  auto typo = ParseServerConfig("api:\n  max_follows_per_tenat: 4\n", "server.yaml");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("did you mean 'max_follows_per_tenant'"), std::string::npos)
      << typo.status().message();
}

TEST(ServerConfigTest, Item1_LocalSandboxIsOnByDefaultAndReadWithItsUids) {
  auto defaults = ParseServerConfig("", "server.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_TRUE(defaults->local.sandbox.enabled);
  EXPECT_EQ(defaults->local.sandbox.default_uid, 65534);
  EXPECT_FALSE(defaults->local.sandbox.has_task_uid_range);

  auto cfg = ParseServerConfig(R"(
local:
  sandbox:
    task_uid_range: [200000, 265535]
    tenant_uids: {vision: 5000}
    default_uid: 60000
)",
                               "server.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_TRUE(cfg->local.sandbox.has_task_uid_range);
  EXPECT_EQ(cfg->local.sandbox.task_uid_first, 200000);
  EXPECT_EQ(cfg->local.sandbox.task_uid_last, 265535);
  EXPECT_EQ(cfg->local.sandbox.tenant_uids.at("vision"), 5000);
  EXPECT_EQ(cfg->local.sandbox.default_uid, 60000);

  auto off = ParseServerConfig("local:\n  sandbox: {enabled: false}\n", "server.yaml");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->local.sandbox.enabled);
}

TEST(ServerConfigTest, Item1_BadSandboxSettingsAreRefusedWithTheirPlace) {
  auto range = ParseServerConfig("local:\n  sandbox:\n    task_uid_range: [1, 2, 3]\n", "server.yaml");
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.status().message().find("server.yaml:3:"), std::string::npos) << range.status().message();
  EXPECT_NE(range.status().message().find("[first, last]"), std::string::npos);
  auto typo = ParseServerConfig("local:\n  sandbox:\n    enabeld: false\n", "server.yaml");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("did you mean 'enabled'"), std::string::npos)
      << typo.status().message();
}

TEST(ServerConfigTest, SchedulerProfileIsReadAndBadPluginsAreLocated) {
  auto cfg = ParseServerConfig("", "server.yaml");
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->scheduler.profile.scores.size(), DefaultProfileSpec().scores.size());
  cfg = ParseServerConfig(
      "scheduler:\n  profile:\n    plugins: [expression, node-state, max-hourly-cost]\n"
      "    scores: {best-fit: 2}\n",
      "server.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  ASSERT_EQ(cfg->scheduler.profile.plugins.size(), 3u);
  EXPECT_EQ(cfg->scheduler.profile.plugins[2].name, "max-hourly-cost");
  ASSERT_EQ(cfg->scheduler.profile.scores.size(), 1u);
  EXPECT_EQ(cfg->scheduler.profile.scores[0].weight, 2);
  auto bad =
      ParseServerConfig("scheduler:\n  profile:\n    plugins: [expression, node-sate]\n", "server.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(
      bad.status().message().find("server.yaml:3:27: scheduler.profile.plugins[1]: unknown scheduler plugin "
                                  "'node-sate'"),
      std::string::npos)
      << bad.status().message();
  auto typo = ParseServerConfig("scheduler:\n  profil: {}\n", "server.yaml");
  EXPECT_FALSE(typo.ok());
}

TEST(ServerConfigTest, TimeLimitDefaultsPerQueueAndForTheServer) {
  auto cfg = ParseServerConfig("", "server.yaml");
  ASSERT_TRUE(cfg.ok());
  EXPECT_FALSE(cfg->scheduler.default_time_limit_seconds.has_value());
  EXPECT_TRUE(cfg->queues.empty());
  EXPECT_EQ(cfg->scheduler.profile.reservations, ProfileSpec::kDefaultReservations);
  cfg = ParseServerConfig(
      "scheduler:\n  default_time_limit: 1d\n  profile: {reservations: 2}\n"
      "queues:\n  short: {default_time_limit: 30m}\n  long: {default_time_limit: '2-00:00:00'}\n  plain:\n",
      "server.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->scheduler.default_time_limit_seconds, 86400);
  EXPECT_EQ(cfg->scheduler.profile.reservations, 2);
  ASSERT_EQ(cfg->queues.size(), 3u);
  EXPECT_EQ(cfg->queues["short"].default_time_limit_seconds, 1800);
  EXPECT_EQ(cfg->queues["long"].default_time_limit_seconds, 2 * 86400);
  EXPECT_FALSE(cfg->queues["plain"].default_time_limit_seconds.has_value());
}

TEST(ServerConfigTest, RetryUntilUpIsOnUnlessTurnedOff) {
  auto cfg = ParseServerConfig("", "server.yaml");
  ASSERT_TRUE(cfg.ok());
  EXPECT_TRUE(cfg->scheduler.retry_until_up);
  cfg = ParseServerConfig("scheduler: {retry_until_up: false}\n", "server.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_FALSE(cfg->scheduler.retry_until_up);
  EXPECT_FALSE(ParseServerConfig("scheduler: {retry_until_up: maybe}\n", "server.yaml").ok());
}

TEST(ServerConfigTest, BlockHoldsAreDurations) {
  auto cfg = ParseServerConfig("", "server.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->scheduler.block_capacity_seconds, 600);
  EXPECT_EQ(cfg->scheduler.block_quota_seconds, 3600);
  cfg = ParseServerConfig("scheduler: {block_capacity: 30m, block_quota: 0}\n", "server.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->scheduler.block_capacity_seconds, 1800);
  EXPECT_EQ(cfg->scheduler.block_quota_seconds, 0);
  auto bad = ParseServerConfig("scheduler:\n  block_capacity: -5m\n", "server.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("server.yaml:2:19: scheduler.block_capacity"), std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(ParseServerConfig("scheduler: {block_quota: [1]}\n", "server.yaml").ok());
}

TEST(ServerConfigTest, BadTimeLimitsAndReservationsSayWhere) {
  struct Case {
    const char* yaml;
    const char* expected;
  };
  for (const Case& c : {
           Case{"queues:\n  short: {default_time_limit: 90}\n",
                "server.yaml:2:31: queues.short.default_time_limit: a bare number is ambiguous"},
           Case{"queues:\n  short: {default_time_limt: 1h}\n",
                "server.yaml:2:11: queues.short.default_time_limt: unknown setting; did you mean "
                "'default_time_limit'?"},
           Case{"queues: [short]\n", "server.yaml:1:9: queues: expected a mapping"},
           Case{"scheduler:\n  default_time_limit: 400d\n",
                "server.yaml:2:23: scheduler.default_time_limit: must be more than 0 and at most 365 days"},
           Case{"scheduler:\n  default_time_limit: 1:90:00\n",
                "server.yaml:2:23: scheduler.default_time_limit: expected a time limit"},
           Case{"scheduler:\n  profile: {reservations: -1}\n",
                "server.yaml:2:27: scheduler.profile.reservations: expected a whole number 0..1000"},
           Case{"scheduler:\n  profile: {reservations: many}\n",
                "server.yaml:2:27: scheduler.profile.reservations: expected a whole number"},
       }) {
    auto cfg = ParseServerConfig(c.yaml, "server.yaml");
    ASSERT_FALSE(cfg.ok()) << c.yaml;
    EXPECT_NE(cfg.status().message().find(c.expected), std::string::npos) << cfg.status().message();
  }
}

}  // namespace
}  // namespace skyrun
