#include "uploads/pack.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.h"
#include "uploads/archive.h"
#include "uploads/spec_inputs.h"

namespace skyrun::uploads {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class PackTest : public ::testing::Test {
 protected:
  std::string Sub(const std::string& rel) const { return tmp_.Sub(rel); }
  test_support::TempDir tmp_{"pack_test"};
  std::string dir_ = tmp_.path();
};

TEST_F(PackTest, PacksWhatTheSpecNamesAtItsRelativePaths) {
  fs::create_directories(Sub("spec/app/pkg"));
  std::ofstream(Sub("spec/app/pkg/m.py")) << "m";
  std::ofstream(Sub("spec/weights.bin")) << "w";
  std::ofstream(Sub("spec/units.csv")) << "u";
  std::ofstream(Sub("spec/unrelated")) << "not packed";
  fs::create_symlink("pkg/m.py", Sub("spec/app/alias.py"));
  JobSpec spec;
  spec.workdir = "./app";
  fs::create_directories(Sub("datasets"));
  std::ofstream(Sub("datasets/x")) << "server file";
  spec.file_mounts = {{"/w.bin", "weights.bin"}, {"/abs", Sub("datasets/x")}, {"/s3", "s3://b/k"}};
  spec.partition.profile = "units.csv";
  auto packed = PackSpecInputs(spec, Sub("spec"));
  ASSERT_TRUE(packed.ok()) << packed.status().message();
  EXPECT_EQ(packed->sha256, Sha256Hex(packed->archive));
  auto entries = ParseArchive(packed->archive);
  ASSERT_TRUE(entries.ok());
  std::vector<std::string> paths;
  for (const auto& e : *entries) paths.push_back(e.path);
  EXPECT_THAT(paths, ::testing::UnorderedElementsAre("app", "app/pkg", "app/pkg/m.py", "app/alias.py",
                                                     "weights.bin", "units.csv"));
  // Unpacked, the spec's relative paths hold on the server.
  fs::create_directories(Sub("server"));
  ASSERT_TRUE(UnpackArchive(packed->archive, Sub("server")).ok());
  auto problems = CheckSpecInputs(spec, Sub("server"), {Sub("datasets")});
  EXPECT_TRUE(problems.empty()) << problems[0].message;
  EXPECT_FALSE(CheckSpecInputs(spec, Sub("server"), {}).empty());  // the server path is not declared
}

TEST_F(PackTest, NothingToPackGivesNoArchive) {
  JobSpec spec;
  spec.file_mounts = {{"/abs", "/datasets/x"}};
  auto packed = PackSpecInputs(spec, dir_);
  ASSERT_TRUE(packed.ok());
  EXPECT_TRUE(packed->archive.empty());
}

TEST_F(PackTest, Item3_LinkOutOfTheWorkdirIsRefusedAtThePacker) {
  fs::create_directories(Sub("spec/app"));
  fs::create_symlink("/etc", Sub("spec/app/link"));
  JobSpec spec;
  spec.workdir = "app";
  auto packed = PackSpecInputs(spec, Sub("spec"));
  ASSERT_FALSE(packed.ok());
  EXPECT_THAT(packed.status().message(), HasSubstr("points outside the directory"));
  fs::remove(Sub("spec/app/link"));
  fs::create_symlink("../secret", Sub("spec/app/link"));
  EXPECT_FALSE(PackSpecInputs(spec, Sub("spec")).ok());
}

TEST_F(PackTest, Item4_RelativePathsMustStayInTheSpecDirectory) {
  JobSpec spec;
  spec.workdir = "../elsewhere";
  auto packed = PackSpecInputs(spec, Sub("spec"));
  ASSERT_FALSE(packed.ok());
  EXPECT_THAT(packed.status().message(), HasSubstr("must stay inside the spec file's directory"));
}

TEST_F(PackTest, Item4_ServerChecksRefuseEscapesAndUndeclaredServerPaths) {
  fs::create_directories(Sub("upload/app"));
  fs::create_symlink("app", Sub("upload/l"));
  JobSpec spec;
  spec.workdir = "../../etc";
  spec.file_mounts = {{"/a", "/etc/shadow"}, {"/b", "/datasets/../etc/shadow"}, {"/c", "l"}};
  spec.partition.profile = "missing.csv";
  auto problems = CheckSpecInputs(spec, Sub("upload"), {"/datasets"});
  ASSERT_EQ(problems.size(), 5u);
  std::string all;
  for (const auto& p : problems) all += p.message + "\n";
  EXPECT_THAT(all, HasSubstr("workdir: '../../etc': a relative path must stay inside"));
  EXPECT_THAT(all, HasSubstr("file_mounts[/a]: '/etc/shadow' is not under a server path this server allows; "
                             "allowed roots: /datasets"));
  EXPECT_THAT(all, HasSubstr("'..' is not allowed"));
  EXPECT_THAT(all, HasSubstr("file_mounts[/c]: 'l': is a symbolic link"));
  EXPECT_THAT(all, HasSubstr("partition.profile: 'missing.csv': is not in the job's upload"));
  // No upload at all: relative paths are refused, naming the upload.
  JobSpec rel;
  rel.workdir = "app";
  EXPECT_THAT(CheckSpecInputs(rel, "", {})[0].message, HasSubstr("carries no upload"));
  EXPECT_EQ(CheckSpecInputs(rel, "", {})[0].yaml_path, std::vector<std::string>{"workdir"});
}

}  // namespace
}  // namespace skyrun::uploads
