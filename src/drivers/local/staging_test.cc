#include "drivers/local/staging.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "drivers/local/local_test_util.h"

namespace skyrun {
namespace {

using ::testing::HasSubstr;
using testing_local::ReadFileOrEmpty;
using testing_local::TempDir;

TEST(StagingTest, MountTargetsLandUnderTheCwd) {
  EXPECT_EQ(*MountTargetUnder("/w", "/data"), "/w/data");
  EXPECT_EQ(*MountTargetUnder("/w", "//data/x/"), "/w/data/x/");
  EXPECT_EQ(*MountTargetUnder("/w", "cfg/a.yaml"), "/w/cfg/a.yaml");
  EXPECT_EQ(*MountTargetUnder("/w", "a/../b"), "/w/b");
  for (const char* bad : {"../x", "/../x", "a/../../x", "/", ".", ""}) {
    Result<std::string> r = MountTargetUnder("/w", bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(StagingTest, CopiesWorkdirAndMountsRelativeToTheBaseDir) {
  TempDir dir;
  namespace fs = std::filesystem;
  fs::create_directories(dir.Sub("spec/src/pkg"));
  std::ofstream(dir.Sub("spec/src/pkg/m.py")) << "module\n";
  std::ofstream(dir.Sub("spec/weights.bin")) << "w\n";
  fs::create_symlink("pkg/m.py", dir.Sub("spec/src/link.py"));
  JobSpec spec;
  spec.base_dir = dir.Sub("spec");
  spec.workdir = "./src";
  spec.file_mounts = {{"/models/w.bin", "weights.bin"}};
  Result<StagedFiles> staged = StageTaskFiles(spec, dir.Sub("task/work"));
  ASSERT_TRUE(staged.ok()) << staged.status().ToString();
  EXPECT_EQ(staged->cwd, dir.Sub("task/work"));
  EXPECT_EQ(ReadFileOrEmpty(dir.Sub("task/work/pkg/m.py")), "module\n");
  EXPECT_TRUE(fs::is_symlink(dir.Sub("task/work/link.py")));
  EXPECT_EQ(ReadFileOrEmpty(dir.Sub("task/work/link.py")), "module\n");
  EXPECT_EQ(ReadFileOrEmpty(dir.Sub("task/work/models/w.bin")), "w\n");
  ASSERT_EQ(staged->mounts.size(), 1u);
  EXPECT_TRUE(staged->mounts[0].absolute);
  EXPECT_EQ(staged->mounts[0].target, "/models/w.bin");
  EXPECT_EQ(staged->mounts[0].host_path, dir.Sub("task/work/models/w.bin"));
}

TEST(StagingTest, NothingToStageStillMakesAnEmptyCwd) {
  TempDir dir;
  Result<StagedFiles> staged = StageTaskFiles(JobSpec{}, dir.Sub("t/work"));
  ASSERT_TRUE(staged.ok());
  EXPECT_TRUE(std::filesystem::is_directory(dir.Sub("t/work")));
  EXPECT_TRUE(std::filesystem::is_empty(dir.Sub("t/work")));
}

TEST(StagingTest, RefusesWhatItCannotStage) {
  TempDir dir;
  JobSpec spec;
  spec.base_dir = dir.path();
  spec.file_mounts = {{"/data", "s3://bucket/data"}};
  Result<StagedFiles> r = StageTaskFiles(spec, dir.Sub("a"));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("not a local path"));

  spec.file_mounts = {{"/data", "missing"}};
  r = StageTaskFiles(spec, dir.Sub("b"));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("missing does not exist"));

  std::ofstream(dir.Sub("f")) << "x";
  spec.file_mounts = {{"../escape", "f"}};
  r = StageTaskFiles(spec, dir.Sub("c"));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

// Item 3: a workdir holding a link, and a mount whose target goes through it,
// never write where the link points.
TEST(StagingTest, Item3_SymlinkInWorkdirDoesNotEscape) {
  TempDir dir;
  namespace fs = std::filesystem;
  fs::create_directories(dir.Sub("outside"));
  fs::create_directories(dir.Sub("upload/app/sub"));
  std::ofstream(dir.Sub("upload/f")) << "payload";
  JobSpec spec;
  spec.base_dir = dir.Sub("upload");
  spec.workdir = "app";
  spec.file_mounts = {{"link/x", "./f"}};

  fs::create_symlink(dir.Sub("outside"), dir.Sub("upload/app/link"));  // absolute, out of the tree
  Result<StagedFiles> r = StageTaskFiles(spec, dir.Sub("t1"));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("outside the copied tree"));
  EXPECT_FALSE(fs::exists(dir.Sub("outside/x")));

  fs::remove(dir.Sub("upload/app/link"));
  fs::create_symlink("sub", dir.Sub("upload/app/link"));  // inside: kept as a link, never walked through
  r = StageTaskFiles(spec, dir.Sub("t2"));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("link is a symbolic link; staging never follows links"));
  EXPECT_FALSE(fs::exists(dir.Sub("t2/sub/x")));
  EXPECT_FALSE(fs::exists(dir.Sub("upload/app/sub/x")));
}

TEST(StagingTest, Item4_RelativePathsNeedAnUpload) {
  TempDir dir;
  JobSpec spec;
  spec.workdir = "app";
  Result<StagedFiles> r = StageTaskFiles(spec, dir.Sub("t"));
  EXPECT_THAT(r.status().message(), HasSubstr("has no upload"));
}

TEST(StagingTest, VolumesBindUnderTheCwdOnlyForTheirTenant) {
  TempDir dir;
  namespace fs = std::filesystem;
  SimulatedClock clock(0);
  storage::VolumeStore volumes(dir.Sub("volumes"), {}, &clock);
  ASSERT_TRUE(volumes.Create("alpha", "data", 0).ok());
  ASSERT_TRUE(volumes.Create("alpha", "ckpt", 0).ok());
  JobSpec spec;
  spec.volumes = {{"data", "/data", true}, {"ckpt", "state/ckpt", false}};
  spec.checkpoint_dir = "/state/ckpt/run1";
  fs::create_directories(dir.Sub("work"));
  Result<std::vector<SandboxBind>> binds = VolumeBinds(spec, dir.Sub("work"), "alpha", volumes);
  ASSERT_TRUE(binds.ok()) << binds.status().ToString();
  ASSERT_EQ(binds->size(), 2u);
  EXPECT_EQ((*binds)[0].source, *volumes.DataDir("alpha", "data"));
  EXPECT_EQ((*binds)[0].target, dir.Sub("work/data"));
  EXPECT_TRUE((*binds)[0].read_only);
  EXPECT_EQ((*binds)[1].target, dir.Sub("work/state/ckpt"));
  EXPECT_EQ(CheckpointInVolume(spec, dir.Sub("work")), dir.Sub("work/state/ckpt/run1"));
  spec.checkpoint_dir = "/elsewhere";
  EXPECT_EQ(CheckpointInVolume(spec, dir.Sub("work")), "");

  // Another tenant names the same volume: not found, naming it.
  Result<std::vector<SandboxBind>> theirs = VolumeBinds(spec, dir.Sub("work"), "beta", volumes);
  EXPECT_EQ(theirs.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(theirs.status().message(), HasSubstr("no volume 'data'"));
}

TEST(StagingTest, AVolumeTargetTheWorkdirHoldsIsRefused) {
  TempDir dir;
  namespace fs = std::filesystem;
  SimulatedClock clock(0);
  storage::VolumeStore volumes(dir.Sub("volumes"), {}, &clock);
  ASSERT_TRUE(volumes.Create("alpha", "data", 0).ok());
  JobSpec spec;
  spec.volumes = {{"data", "/data", false}};
  fs::create_directories(dir.Sub("work"));
  // A link planted by the workdir would redirect the mount.
  fs::create_symlink("/etc", dir.Sub("work/data"));
  Result<std::vector<SandboxBind>> binds = VolumeBinds(spec, dir.Sub("work"), "alpha", volumes);
  EXPECT_EQ(binds.status().code(), StatusCode::kInvalidArgument);
  fs::remove(dir.Sub("work/data"));
  fs::create_directories(dir.Sub("work/data"));
  std::ofstream(dir.Sub("work/data/x")) << "x";
  EXPECT_EQ(VolumeBinds(spec, dir.Sub("work"), "alpha", volumes).status().code(),
            StatusCode::kInvalidArgument);
  fs::remove(dir.Sub("work/data/x"));
  EXPECT_TRUE(VolumeBinds(spec, dir.Sub("work"), "alpha", volumes).ok());
}

}  // namespace
}  // namespace skyrun
