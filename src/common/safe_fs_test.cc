#include "common/safe_fs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.h"

namespace skyrun {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class SafeFsTest : public ::testing::Test {
 protected:
  std::string Sub(const std::string& rel) const { return root_ + "/" + rel; }
  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  test_support::TempDir tmp_{"safe_fs_test"};
  std::string root_ = tmp_.path();
};

TEST_F(SafeFsTest, SplitRefusesEscapes) {
  EXPECT_EQ(*SplitBeneath("./a//b/", "p"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(SplitBeneath(".", "p")->empty());
  for (const char* bad : {"", "/etc", "../x", "a/../../x", "a/.."}) {
    EXPECT_EQ(SplitBeneath(bad, "p").status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST_F(SafeFsTest, LinkStaysInsideIsLexical) {
  EXPECT_TRUE(LinkStaysInside("a/l", "b"));
  EXPECT_TRUE(LinkStaysInside("a/l", "../b"));
  EXPECT_TRUE(LinkStaysInside("a/b/l", "../../c"));
  EXPECT_FALSE(LinkStaysInside("l", "../x"));
  EXPECT_FALSE(LinkStaysInside("a/l", "../../x"));
  EXPECT_FALSE(LinkStaysInside("a/l", "/outside"));
  EXPECT_FALSE(LinkStaysInside("a/l", "b/../../../x"));
  EXPECT_FALSE(LinkStaysInside("a/l", ""));
}

// Item 3: a target path that goes through a planted link is refused, and
// nothing is written where the link points.
TEST_F(SafeFsTest, Item3_CopyNeverWritesThroughALink) {
  fs::create_directories(Sub("outside"));
  fs::create_directories(Sub("src"));
  fs::create_directories(Sub("task"));
  std::ofstream(Sub("src/f")) << "payload";
  fs::create_symlink(Sub("outside"), Sub("task/link"));
  Status s = CopyBeneath(Sub("src"), "f", Sub("task"), "link/x", "file_mounts source");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("symbolic link"));
  EXPECT_FALSE(fs::exists(Sub("outside/x")));
  // A final component that is a link is not written through either.
  std::ofstream(Sub("outside/victim")) << "keep";
  fs::create_symlink(Sub("outside/victim"), Sub("task/v"));
  EXPECT_FALSE(CopyBeneath(Sub("src"), "f", Sub("task"), "v", "m").ok());
  EXPECT_EQ(Read(Sub("outside/victim")), "keep");
}

TEST_F(SafeFsTest, Item3_CopyRefusesLinksThatLeaveTheTree) {
  fs::create_directories(Sub("src/d"));
  std::ofstream(Sub("src/d/a")) << "A";
  fs::create_symlink("a", Sub("src/d/in"));
  fs::create_directories(Sub("task"));
  ASSERT_TRUE(CopyBeneath(Sub("src"), "d", Sub("task"), "w", "workdir").ok());
  EXPECT_EQ(Read(Sub("task/w/in")), "A");
  EXPECT_TRUE(fs::is_symlink(Sub("task/w/in")));
  fs::create_symlink("/etc", Sub("src/d/out"));
  Status s = CopyBeneath(Sub("src"), "d", Sub("task"), "w2", "workdir");
  EXPECT_THAT(s.message(), HasSubstr("outside the copied tree"));
  // A source reached through a link is refused too.
  fs::create_symlink(Sub("outside"), Sub("src/via"));
  EXPECT_FALSE(CopyBeneath(Sub("src"), "via/x", Sub("task"), "y", "m").ok());
}

TEST_F(SafeFsTest, ReadFileBeneathFollowsNoLink) {
  fs::create_directories(Sub("r/sub"));
  std::ofstream(Sub("r/sub/f")) << "data";
  std::ofstream(Sub("secret")) << "s3cr3t";
  fs::create_symlink(Sub("secret"), Sub("r/l"));
  EXPECT_EQ(*ReadFileBeneath(Sub("r"), "sub/f", 100, "p"), "data");
  auto r = ReadFileBeneath(Sub("r"), "l", 100, "p");
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), ::testing::Not(HasSubstr("s3cr3t")));
  EXPECT_FALSE(ReadFileBeneath(Sub("r"), "../secret", 100, "p").ok());
  EXPECT_FALSE(ReadFileBeneath(Sub("r"), "sub/f", 2, "p").ok());
  EXPECT_EQ(*KindBeneath(Sub("r"), "l", "p"), EntryKind::kSymlink);
  EXPECT_EQ(*KindBeneath(Sub("r"), "sub", "p"), EntryKind::kDirectory);
  EXPECT_EQ(*KindBeneath(Sub("r"), "nope", "p"), EntryKind::kMissing);
}

}  // namespace
}  // namespace skyrun
