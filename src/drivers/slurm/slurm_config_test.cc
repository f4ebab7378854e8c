// One `slurm:` entry of the server config, read by the Slurm driver's own
// parser: every key documented in docs/backends-slurm.md, and refusals that
// name the file, line, column and key.
#include "drivers/slurm/slurm_config.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

Result<SlurmClusterConfig> Parse(const std::string& yaml) {
  YAML::Node root = YAML::Load(yaml);
  return ParseSlurmClusterConfig(root["slurm"][0], "server.yaml", "slurm[0]");
}

TEST(SlurmConfig, EveryDocumentedKeyCanBeSet) {
  auto c = Parse(R"(slurm:
  - name: hpc1
    slurm_conf: /etc/slurm/hpc1.conf
    partition: gpu
    account: ml
    qos: normal
    container: pyxis
    gpu_models: {a100: A100-80GB, h100: H100-80GB}
    gpu_memory_mb: {A100-80GB: 81920, H100-80GB: 81559}
    default_memory_mib_per_task: 4096
    command_timeout_ms: 5000
    poll_interval_ms: 500
    inventory_interval_ms: 20000
    price_per_gpu_hour: 2.5
    price_per_cpu_hour: 0.04
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->name, "hpc1");
  EXPECT_EQ(c->slurm_conf, "/etc/slurm/hpc1.conf");
  EXPECT_EQ(c->partition, "gpu");
  EXPECT_EQ(c->account, "ml");
  EXPECT_EQ(c->qos, "normal");
  EXPECT_EQ(c->container, "pyxis");
  EXPECT_EQ(c->gpu_models,
            (std::map<std::string, std::string>{{"a100", "A100-80GB"}, {"h100", "H100-80GB"}}));
  EXPECT_EQ(c->gpu_memory_mb, (std::map<std::string, int64_t>{{"A100-80GB", 81920}, {"H100-80GB", 81559}}));
  EXPECT_EQ(c->default_memory_mib_per_task, 4096);
  EXPECT_EQ(c->command_timeout_ms, 5000);
  EXPECT_EQ(c->poll_interval_ms, 500);
  EXPECT_EQ(c->inventory_interval_ms, 20000);
  EXPECT_DOUBLE_EQ(c->price_per_gpu_hour, 2.5);
  EXPECT_DOUBLE_EQ(c->price_per_cpu_hour, 0.04);
}

TEST(SlurmConfig, DefaultsForWhatIsNotSaid) {
  auto c = Parse("slurm:\n  - name: small\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  SlurmClusterConfig defaults;
  EXPECT_EQ(c->container, "none");
  EXPECT_TRUE(c->gpu_models.empty());
  EXPECT_EQ(c->default_memory_mib_per_task, defaults.default_memory_mib_per_task);
  EXPECT_EQ(c->poll_interval_ms, 2000);
  EXPECT_EQ(c->inventory_interval_ms, 10000);
  EXPECT_EQ(c->command_timeout_ms, 30000);
}

TEST(SlurmConfig, AnUnknownKeyIsRefusedWithItsPlaceAndASuggestion) {
  auto c = Parse("slurm:\n  - name: hpc1\n    gpu_model: {a100: A100}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(),
            "server.yaml:3:5: slurm[0].gpu_model: unknown setting; did you mean 'gpu_models'?");
}

TEST(SlurmConfig, BadValuesAreRefusedWithTheirPlace) {
  struct Case {
    std::string yaml;
    std::string message;
  };
  for (const Case& k : std::vector<Case>{
           {"slurm:\n  - name: a\n    gpu_memory_mb: {A100: -1}\n",
            "server.yaml:3:27: slurm[0].gpu_memory_mb.A100: expected skyrun GPU model: device memory in MB "
            "(> 0), "
            "e.g. {A100-80GB: 81920}"},
           {"slurm:\n  - name: a\n    gpu_memory_mb: {A100: lots}\n",
            "server.yaml:3:27: slurm[0].gpu_memory_mb.A100: wrong type, skyrun GPU model: device memory in "
            "MB "
            "(> 0), e.g. {A100-80GB: 81920}"},
           {"slurm:\n  - name: a\n    gpu_models: [a100]\n",
            "server.yaml:3:17: slurm[0].gpu_models: expected a mapping, GRES type: skyrun GPU model, e.g. "
            "{a100: A100-80GB}"},
           {"slurm:\n  - name: a\n    default_memory_mib_per_task: 0\n",
            "server.yaml:3:34: slurm[0].default_memory_mib_per_task: must be at least 1 (MiB, sbatch --mem)"},
           {"slurm:\n  - name: a\n    default_memory_mib_per_task: 1GiB\n",
            "server.yaml:3:34: slurm[0].default_memory_mib_per_task: wrong type"},
           {"slurm:\n  - name: a\n    poll_interval_ms: 5\n",
            "server.yaml:3:23: slurm[0].poll_interval_ms: must be 100..60000 (milliseconds)"},
           {"slurm:\n  - name: a\n    container: docker\n",
            "server.yaml:3:16: slurm[0].container: must be none, pyxis or apptainer"},
           {"slurm:\n  - name: a\n    price_per_gpu_hour: -2\n",
            "server.yaml:3:25: slurm[0].price_per_gpu_hour: must not be negative"},
           {"slurm:\n  - partition: gpu\n", "server.yaml:2:5: slurm[0]: a Slurm cluster needs a name"},
       }) {
    auto c = Parse(k.yaml);
    ASSERT_FALSE(c.ok()) << k.yaml;
    EXPECT_EQ(c.status().message(), k.message) << k.yaml;
  }
}

TEST(SlurmConfig, VolumesRootAndBwrap) {
  auto c = Parse("slurm:\n  - {name: hpc1, volumes_root: /shared/skyrun/volumes, volumes_bwrap: true}\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->volumes_root, "/shared/skyrun/volumes");
  EXPECT_TRUE(c->volumes_bwrap);
  auto d = Parse("slurm:\n  - {name: hpc1}\n");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->volumes_root, "");
  EXPECT_FALSE(d->volumes_bwrap);
  for (const char* bad : {"relative/path", "/", "/a/../b", "'/a:b'", "'/a b'"}) {
    auto e = Parse(std::string("slurm:\n  - {name: hpc1, volumes_root: ") + bad + "}\n");
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_NE(e.status().message().find("slurm[0].volumes_root"), std::string::npos) << e.status().message();
  }
  EXPECT_FALSE(Parse("slurm:\n  - {name: hpc1, volumes_bwrap: maybe}\n").ok());
}

}  // namespace
}  // namespace skyrun
