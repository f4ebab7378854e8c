#include "image/image_user.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "support/temp_dir.h"

namespace skyrun::image {
namespace {

namespace fs = std::filesystem;

class ImageUserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("rootfs/etc/passwd",
               "root:x:0:0:root:/root:/bin/bash\n"
               "app:x:1000:1001::/home/app:/bin/sh\n"
               "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
    dir_.Write("rootfs/etc/group", "root:x:0:\nstaff:x:50:\napp:x:1001:\n");
  }
  Result<std::optional<ImageUser>> Resolve(const std::string& user) const {
    return ResolveImageUser(dir_.Sub("rootfs"), user);
  }
  std::pair<int64_t, int64_t> Ids(const std::string& user) const {
    auto r = Resolve(user);
    EXPECT_TRUE(r.ok()) << user << ": " << r.status().message();
    if (!r.ok() || !r->has_value()) return {-1, -1};
    return {(*r)->uid, (*r)->gid};
  }

  test_support::TempDir dir_{"image-user"};
};

TEST_F(ImageUserTest, EveryFormOciAllows) {
  auto none = Resolve("");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(Ids("4242:4343"), std::make_pair(int64_t{4242}, int64_t{4343}));
  EXPECT_EQ(Ids("4242"), std::make_pair(int64_t{4242}, int64_t{0}));     // not in passwd: group 0
  EXPECT_EQ(Ids("1000"), std::make_pair(int64_t{1000}, int64_t{1001}));  // passwd's primary group
  EXPECT_EQ(Ids("app"), std::make_pair(int64_t{1000}, int64_t{1001}));
  EXPECT_EQ(Ids("app:staff"), std::make_pair(int64_t{1000}, int64_t{50}));
  EXPECT_EQ(Ids("app:7"), std::make_pair(int64_t{1000}, int64_t{7}));
  EXPECT_EQ(Ids("1000:staff"), std::make_pair(int64_t{1000}, int64_t{50}));
  EXPECT_EQ(Ids("nobody"), std::make_pair(int64_t{65534}, int64_t{65534}));
  EXPECT_EQ(Ids("root"), std::make_pair(int64_t{0}, int64_t{0}));
}

TEST_F(ImageUserTest, UnknownNamesAndMalformedValuesAreRefused) {
  for (const std::string& bad :
       std::vector<std::string>{"ghost", "app:ghosts", ":50", "app:", "4294967295", "-1", "1:2:3",
                                "99999999999", std::string("a\nb"), std::string(300, 'a')}) {
    auto r = Resolve(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_NE(Resolve("ghost").status().message().find("/etc/passwd has no user 'ghost'"), std::string::npos);
}

// A link planted in the image never sends the lookup to a host file: the
// host's /etc/passwd lists root, which the image's (a link) must not give.
TEST_F(ImageUserTest, LinksInTheImageAreNotFollowed) {
  fs::remove(dir_.Sub("rootfs/etc/passwd"));
  fs::create_symlink("/etc/passwd", dir_.Sub("rootfs/etc/passwd"));
  EXPECT_FALSE(Resolve("root").ok());
  fs::remove_all(dir_.Sub("rootfs/etc"));
  fs::create_directories(dir_.Sub("host-etc"));
  dir_.Write("host-etc/passwd", "root:x:0:0::/:/bin/sh\n");
  fs::create_symlink(dir_.Sub("host-etc"), dir_.Sub("rootfs/etc"));
  EXPECT_FALSE(Resolve("root").ok());
  // Without any /etc: numeric ids still work, names do not.
  fs::remove(dir_.Sub("rootfs/etc"));
  EXPECT_EQ(Ids("5:6"), std::make_pair(int64_t{5}, int64_t{6}));
  EXPECT_FALSE(Resolve("app").ok());
}

}  // namespace
}  // namespace skyrun::image
