// SlurmDriver::CanRun without a cluster (it asks Slurm nothing): what the
// sbatch renderer would refuse at launch is refused at submission.
#include <gtest/gtest.h>

#include <memory>

#include "drivers/slurm/command_runner.h"
#include "drivers/slurm/slurm_driver.h"

namespace skyrun {
namespace {

TEST(SlurmCanRunTest, Item6_BindPathsThatWouldSplitAreRefusedAtSubmission) {
  SlurmClusterConfig config;
  config.container = "apptainer";
  SlurmDriver driver(config, std::make_unique<ProcessCommandRunner>());
  JobSpec spec;
  spec.name = "binds";
  spec.image = "docker://ubuntu";
  spec.file_mounts = {{"/data,/etc:/host-etc", "/srv/data"}};
  Status s = driver.CanRun(spec);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("container bind list"), std::string::npos) << s.message();
  spec.file_mounts = {{"/data", "/srv/data"}};
  EXPECT_TRUE(driver.CanRun(spec).ok()) << driver.CanRun(spec).message();
  spec.workdir = "/srv/a:b";
  EXPECT_FALSE(driver.CanRun(spec).ok());
}

// Volumes are bound by the local pool only: a Slurm cluster refuses them at
// submission rather than run the job without its data.
TEST(SlurmCanRunTest, VolumesAreRefusedAtSubmission) {
  SlurmDriver driver(SlurmClusterConfig{}, std::make_unique<ProcessCommandRunner>());
  JobSpec spec;
  spec.name = "vol";
  EXPECT_TRUE(driver.CanRun(spec).ok());
  spec.volumes = {{"data", "/data", false}};
  Status s = driver.CanRun(spec);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("cannot mount volumes"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace skyrun
