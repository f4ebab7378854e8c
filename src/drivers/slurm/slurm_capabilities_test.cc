// What the Slurm backend says it can honour must be what its sbatch script
// asks for: a GPU share takes a whole GPU (--gres=gpu:1), Slurm binds the
// GPUs, and a placement's nodes become --nodelist.
#include <gtest/gtest.h>

#include "drivers/slurm/sbatch_render.h"
#include "drivers/slurm/slurm_driver.h"

namespace skyrun {
namespace {

AttemptLaunch ShareLaunch(const JobSpec* spec, int64_t gpu_milli) {
  AttemptLaunch l;
  l.job_id = JobId(3);
  l.job_name = spec->name;
  l.spec = spec;
  l.job_dir = "/srv/skyrun/jobs/3";
  TaskLaunch t;
  t.placement.node = "slurm/hpc1/node2";
  t.placement.gpu_indices = {0};
  t.placement.gpu_milli = MilliGpu(gpu_milli);
  t.placement.gpu_model = "T4";
  t.placement.cpus_milli = MilliCpu(1000);
  t.placement.memory_mib = MemoryMiB(512);
  t.run = "python infer.py";
  t.env["CUDA_VISIBLE_DEVICES"] = "0";  // the controller's idea, which Slurm overrides
  l.tasks.push_back(t);
  return l;
}

TEST(SlurmCapabilities, AShareIsAWholeGpuInTheScriptAndInTheCapabilities) {
  const BackendCapabilities caps = SlurmCapabilities();
  EXPECT_EQ(caps.gpu_granularity_milli, 1000);
  EXPECT_FALSE(caps.skyrun_binds_gpus);
  EXPECT_TRUE(caps.pins_nodes);

  JobSpec spec;
  spec.name = "infer";
  SbatchOptions options;
  for (int64_t milli : {1, 500, 999}) {
    auto script = RenderSbatch(ShareLaunch(&spec, milli), options);
    ASSERT_TRUE(script.ok()) << script.status().message();
    // One whole GPU per share: what the granularity rounds a share up to.
    const int64_t whole = (milli + caps.gpu_granularity_milli - 1) / caps.gpu_granularity_milli;
    EXPECT_NE(script->find("#SBATCH --gres=gpu:T4:" + std::to_string(whole) + "\n"), std::string::npos)
        << *script;
    EXPECT_NE(script->find("#SBATCH --nodelist=node2\n"), std::string::npos) << *script;
    // Slurm, not skyrun, says which device: the controller's index is not exported.
    EXPECT_EQ(script->find("CUDA_VISIBLE_DEVICES=0"), std::string::npos) << *script;
  }
}

TEST(SlurmCapabilities, TheDriverAnswersTheSameForEveryCluster) {
  SlurmClusterConfig config;
  config.name = "other";
  SlurmDriver driver(config, std::make_unique<ProcessCommandRunner>());
  const BackendCapabilities caps = driver.Capabilities();
  EXPECT_EQ(caps.gpu_granularity_milli, SlurmCapabilities().gpu_granularity_milli);
  EXPECT_EQ(caps.skyrun_binds_gpus, SlurmCapabilities().skyrun_binds_gpus);
  EXPECT_EQ(caps.pins_nodes, SlurmCapabilities().pins_nodes);
}

}  // namespace
}  // namespace skyrun
