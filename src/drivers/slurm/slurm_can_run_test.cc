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

// A cluster without volumes_root refuses volumes at submission rather than
// run the job without its data.
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

// With volumes_root, a task in an image binds its volumes there; a task
// without one only where the cluster allows bubblewrap on its nodes.
TEST(SlurmCanRunTest, VolumesNeedAnImageOrBwrap) {
  SlurmClusterConfig config;
  config.volumes_root = "/shared/volumes";
  JobSpec spec;
  spec.name = "vol";
  spec.volumes = {{"data", "/data", false}};
  {
    SlurmDriver driver(config, std::make_unique<ProcessCommandRunner>());
    Status s = driver.CanRun(spec);
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(s.message().find("volumes_bwrap"), std::string::npos) << s.message();
  }
  config.container = "apptainer";
  {
    SlurmDriver driver(config, std::make_unique<ProcessCommandRunner>());
    EXPECT_FALSE(driver.CanRun(spec).ok());
    spec.image = "docker://ubuntu";
    EXPECT_TRUE(driver.CanRun(spec).ok()) << driver.CanRun(spec).message();
    spec.volumes = {{"data", "/x:/etc", false}};
    EXPECT_FALSE(driver.CanRun(spec).ok());
    spec.volumes = {{"data", "/data", false}};
    spec.image.clear();
    spec.roles = {Role{}, Role{}};
    spec.roles[0].image = "docker://ubuntu";
    EXPECT_FALSE(driver.CanRun(spec).ok()) << "role 1 runs without an image";
    spec.roles[1].image = "docker://debian";
    EXPECT_TRUE(driver.CanRun(spec).ok()) << driver.CanRun(spec).message();
    spec.roles.clear();
  }
  config.container = "none";
  config.volumes_bwrap = true;
  {
    SlurmDriver driver(config, std::make_unique<ProcessCommandRunner>());
    EXPECT_TRUE(driver.CanRun(spec).ok()) << driver.CanRun(spec).message();
  }
}

}  // namespace
}  // namespace skyrun
