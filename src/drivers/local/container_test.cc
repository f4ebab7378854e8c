#include "drivers/local/container.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace skyrun {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ContainerContext Context(const std::string& runtime, const std::string& image) {
  ContainerContext ctx;
  ctx.runtime = runtime;
  ctx.image = image;
  ctx.cwd = "/state/jobs/1/attempt-1/rank-0/work";
  ctx.env_names = {"CUDA_VISIBLE_DEVICES", "RANK"};
  ctx.gpu_indices = {0, 2};
  ctx.mounts = {{ctx.cwd + "/data", "/data", true}, {ctx.cwd + "/cfg", "cfg", false}};
  ctx.memory_mib = 2048;
  ctx.cpus_milli = 1500;
  return ctx;
}

TEST(ContainerTest, WithoutAnImageTheShellRunsOnTheHost) {
  Result<std::vector<std::string>> argv = RenderTaskArgv(Context("", ""), "echo hi");
  ASSERT_TRUE(argv.ok());
  EXPECT_THAT(*argv, ElementsAre("/bin/bash", "-c", "echo hi"));
  // A runtime alone changes nothing either.
  EXPECT_THAT(*RenderTaskArgv(Context("podman", ""), "echo hi"), ElementsAre("/bin/bash", "-c", "echo hi"));
}

TEST(ContainerTest, AnImageNeedsAKnownRuntime) {
  Result<std::vector<std::string>> argv = RenderTaskArgv(Context("", "pytorch:2.3"), "echo hi");
  EXPECT_EQ(argv.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(argv.status().message(), HasSubstr("set local.runtime"));
  EXPECT_EQ(RenderTaskArgv(Context("lxc", "pytorch:2.3"), "x").status().code(), StatusCode::kInvalidArgument);
}

TEST(ContainerTest, PodmanBindsTheCwdAndAbsoluteMountsAndPassesEnvByName) {
  ContainerContext ctx = Context("podman", "pytorch:2.3");
  Result<std::vector<std::string>> argv = RenderTaskArgv(ctx, "python train.py");
  ASSERT_TRUE(argv.ok());
  const std::vector<std::string> expected = {"podman",
                                             "run",
                                             "--rm",
                                             "--init",
                                             "--network=host",
                                             "-v",
                                             ctx.cwd + ":" + ctx.cwd,
                                             "-w",
                                             ctx.cwd,
                                             "-v",
                                             ctx.cwd + "/data:/data",
                                             "-e",
                                             "CUDA_VISIBLE_DEVICES",
                                             "-e",
                                             "RANK",
                                             "--device",
                                             "nvidia.com/gpu=0",
                                             "--device",
                                             "nvidia.com/gpu=2",
                                             "--cpus",
                                             "1.5",
                                             "--memory",
                                             "2048m",
                                             "pytorch:2.3",
                                             "/bin/bash",
                                             "-c",
                                             "python train.py"};
  EXPECT_EQ(*argv, expected);
}

TEST(ContainerTest, DockerNamesTheGpusInOneFlag) {
  Result<std::vector<std::string>> argv = RenderTaskArgv(Context("docker", "pytorch:2.3"), "true");
  ASSERT_TRUE(argv.ok());
  auto gpus = std::find(argv->begin(), argv->end(), "--gpus");
  ASSERT_NE(gpus, argv->end());
  EXPECT_EQ(*(gpus + 1), "\"device=0,2\"");
}

TEST(ContainerTest, ApptainerPullsRegistryImagesAndKeepsLocalOnes) {
  ContainerContext ctx = Context("apptainer", "pytorch:2.3");
  Result<std::vector<std::string>> argv = RenderTaskArgv(ctx, "true");
  ASSERT_TRUE(argv.ok());
  const std::vector<std::string> expected = {"apptainer", "exec",
                                             "--pwd",     ctx.cwd,
                                             "--bind",    ctx.cwd,
                                             "--bind",    ctx.cwd + "/data:/data",
                                             "--nv",      "docker://pytorch:2.3",
                                             "/bin/bash", "-c",
                                             "true"};
  EXPECT_EQ(*argv, expected);
  ctx.image = "/images/pytorch.sif";
  ctx.gpu_indices.clear();
  argv = RenderTaskArgv(ctx, "true");
  ASSERT_TRUE(argv.ok());
  EXPECT_EQ(std::count(argv->begin(), argv->end(), "--nv"), 0);
  EXPECT_EQ(std::count(argv->begin(), argv->end(), "/images/pytorch.sif"), 1);
}

}  // namespace
}  // namespace skyrun
