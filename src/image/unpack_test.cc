#include "image/unpack.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/oci_registry.h"
#include "support/temp_dir.h"

namespace skyrun::image {
namespace {

namespace fs = std::filesystem;
using test_support::LayerBuilder;
using test_support::TempDir;
using test_support::ZstdCompress;

class UnpackTest : public ::testing::Test {
 protected:
  // Writes the layers as blobs and unpacks them into a fresh rootfs.
  Status Unpack(const std::vector<std::string>& tars, bool gzip = false) {
    return UnpackAs(tars, gzip ? LayerCompression::kGzip : LayerCompression::kNone, rootfs());
  }
  // Into `into` (created), every layer compressed as `compression` says.
  Status UnpackAs(const std::vector<std::string>& blobs, LayerCompression compression,
                  const std::string& into) {
    std::vector<LayerFile> files;
    for (size_t i = 0; i < blobs.size(); ++i) {
      std::string name = "layer" + std::to_string(i) + "-" + std::to_string(++written_);
      files.push_back({dir_.Write(name, blobs[i]), name, compression});
    }
    fs::create_directories(into);
    return UnpackLayers(files, fs::canonical(into).string(), max_bytes_);
  }
  std::string rootfs() const { return dir_.Sub("outside/rootfs"); }
  std::string Read(const std::string& rel) const {
    std::ifstream in(rootfs() + "/" + rel);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  bool Exists(const std::string& path) const {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }

  TempDir dir_{"unpack"};
  int64_t max_bytes_ = 1 << 30;
  int written_ = 0;
};

// Every entry under `root`: "path type mode [content or link target]", sorted.
std::vector<std::string> Tree(const std::string& root) {
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    std::string line = it->path().string().substr(root.size()) + " " + std::to_string(st.st_mode);
    if (S_ISLNK(st.st_mode)) {
      line += " -> " + fs::read_symlink(it->path()).string();
    } else if (S_ISREG(st.st_mode)) {
      std::ifstream in(it->path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      line += " " + ss.str();
    }
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(UnpackTest, LayersInOrderWithGzip) {
  std::string base = LayerBuilder().Dir("etc").File("etc/a", "one").File("etc/b", "two").Build(true);
  std::string top = LayerBuilder().File("etc/a", "uno").Build(true);
  ASSERT_TRUE(Unpack({base, top}, true).ok());
  EXPECT_EQ(Read("etc/a"), "uno");
  EXPECT_EQ(Read("etc/b"), "two");
}

// A layer compressed with zstd (by the zstd program) unpacks to the same
// tree as its gzip twin, whiteouts, links and modes included.
TEST_F(UnpackTest, ZstdLayersUnpackToTheSameTreeAsTheirGzipTwins) {
  LayerBuilder base = LayerBuilder()
                          .Dir("etc")
                          .File("etc/a", "one")
                          .File("etc/b", std::string(100000, 'b'))
                          .File("bin/tool", "#!/bin/sh\n", 0755)
                          .Symlink("etc/link", "a")
                          .Dir("opq")
                          .File("opq/old", "o");
  LayerBuilder top = LayerBuilder()
                         .File("etc/a", "uno")
                         .File("etc/.wh.b", "")
                         .File("opq/.wh..wh..opq", "")
                         .File("opq/new", "n");
  const std::string gz_root = dir_.Sub("gz/rootfs"), zst_root = dir_.Sub("zst/rootfs");
  ASSERT_TRUE(UnpackAs({base.Build(true), top.Build(true)}, LayerCompression::kGzip, gz_root).ok());
  Status zst = UnpackAs({ZstdCompress(base.Build(false)), ZstdCompress(top.Build(false))},
                        LayerCompression::kZstd, zst_root);
  ASSERT_TRUE(zst.ok()) << zst.message();
  std::vector<std::string> tree = Tree(fs::canonical(zst_root).string());
  EXPECT_EQ(tree, Tree(fs::canonical(gz_root).string()));
  EXPECT_EQ(tree.size(), 7u);  // /bin /bin/tool /etc /etc/a /etc/link /opq /opq/new; no etc/b
  std::ifstream a(zst_root + "/etc/a");
  std::string text;
  std::getline(a, text);
  EXPECT_EQ(text, "uno");
  EXPECT_FALSE(fs::exists(zst_root + "/etc/b"));
}

// A zstd layer with a damaged frame, one cut short, and one whose media type
// says zstd but whose bytes are gzip are refused; nothing is guessed.
TEST_F(UnpackTest, CorruptZstdLayersAreRefused) {
  std::string tar = LayerBuilder().Dir("d").File("d/f", std::string(50000, 'x') + "tail").Build(false);
  std::string good = ZstdCompress(tar);
  ASSERT_GT(good.size(), 20u);
  ASSERT_TRUE(UnpackAs({good}, LayerCompression::kZstd, dir_.Sub("ok/rootfs")).ok());
  std::string damaged = good;
  for (size_t i = damaged.size() / 2; i < damaged.size() / 2 + 8 && i < damaged.size(); ++i)
    damaged[i] ^= 0x5a;
  EXPECT_FALSE(UnpackAs({damaged}, LayerCompression::kZstd, dir_.Sub("bad1/rootfs")).ok());
  EXPECT_FALSE(
      UnpackAs({good.substr(0, good.size() / 2)}, LayerCompression::kZstd, dir_.Sub("bad2/rootfs")).ok());
  EXPECT_FALSE(
      UnpackAs({LayerBuilder().File("f", "x").Build(true)}, LayerCompression::kZstd, dir_.Sub("bad3/rootfs"))
          .ok());
  // And the other way: zstd bytes under a gzip media type.
  EXPECT_FALSE(UnpackAs({good}, LayerCompression::kGzip, dir_.Sub("bad4/rootfs")).ok());
}

TEST_F(UnpackTest, WhiteoutsRemoveLowerFiles) {
  std::string base = LayerBuilder()
                         .Dir("app")
                         .File("app/keep", "k")
                         .File("app/gone", "g")
                         .Dir("opq")
                         .File("opq/old1", "1")
                         .Dir("opq/sub")
                         .File("opq/sub/old2", "2")
                         .Build(false);
  std::string top =
      LayerBuilder().File("app/.wh.gone", "").File("opq/.wh..wh..opq", "").File("opq/new", "n").Build(false);
  ASSERT_TRUE(Unpack({base, top}).ok());
  EXPECT_EQ(Read("app/keep"), "k");
  EXPECT_FALSE(Exists(rootfs() + "/app/gone"));
  EXPECT_FALSE(Exists(rootfs() + "/app/.wh.gone"));
  EXPECT_FALSE(Exists(rootfs() + "/opq/old1"));
  EXPECT_FALSE(Exists(rootfs() + "/opq/sub"));
  EXPECT_EQ(Read("opq/new"), "n");
  EXPECT_FALSE(Exists(rootfs() + "/opq/.wh..wh..opq"));
}

TEST_F(UnpackTest, DotDotEntriesAreRefused) {
  Status s = Unpack({LayerBuilder().File("../escape", "x").Build(false)});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'..'"), std::string::npos) << s.message();
  EXPECT_FALSE(Exists(dir_.Sub("outside/escape")));
  Status deep = Unpack({LayerBuilder().Dir("a").File("a/../../escape2", "x").Build(false)});
  ASSERT_FALSE(deep.ok());
  EXPECT_FALSE(Exists(dir_.Sub("outside/escape2")));
}

TEST_F(UnpackTest, AbsolutePathsStayInside) {
  ASSERT_TRUE(Unpack({LayerBuilder().File("/etc/abs", "in").Build(false)}).ok());
  EXPECT_EQ(Read("etc/abs"), "in");
}

TEST_F(UnpackTest, SymlinksAreNeverFollowedOnTheHost) {
  // A layer plants a link to the host's directory, then writes through it.
  std::string host_dir = dir_.Sub("outside/host");
  fs::create_directories(host_dir);
  Status s = Unpack({LayerBuilder().Symlink("evil", host_dir).File("evil/pwned", "x").Build(false)});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("symbolic link"), std::string::npos) << s.message();
  EXPECT_FALSE(Exists(host_dir + "/pwned"));
  // The same across layers, and with a relative link that climbs out.
  fs::remove_all(rootfs());
  Status two = Unpack({LayerBuilder().Symlink("up", "../../..").Build(false),
                       LayerBuilder().File("up/pwned2", "x").Build(false)});
  ASSERT_FALSE(two.ok());
  EXPECT_FALSE(Exists(dir_.Sub("pwned2")));
  // A whiteout through a link removes nothing outside.
  fs::remove_all(rootfs());
  std::string victim = dir_.Write("outside/host/victim", "v");
  Status wh = Unpack({LayerBuilder().Symlink("lnk", host_dir).Build(false),
                      LayerBuilder().File("lnk/.wh.victim", "").Build(false)});
  ASSERT_FALSE(wh.ok());
  EXPECT_TRUE(Exists(victim));
  // An absolute link target is fine as a link inside the rootfs.
  fs::remove_all(rootfs());
  ASSERT_TRUE(Unpack({LayerBuilder().Symlink("bin", "/usr/bin").Build(false)}).ok());
  EXPECT_EQ(fs::read_symlink(rootfs() + "/bin").string(), "/usr/bin");
}

TEST_F(UnpackTest, HardLinksStayInside) {
  std::string secret = dir_.Write("outside/secret", "s");
  Status s = Unpack({LayerBuilder().Hardlink("stolen", "../secret").Build(false)});
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(Exists(rootfs() + "/stolen"));
  fs::remove_all(rootfs());
  ASSERT_TRUE(Unpack({LayerBuilder().File("a", "same").Hardlink("b", "a").Build(false)}).ok());
  EXPECT_EQ(Read("b"), "same");
}

TEST_F(UnpackTest, DevicesSkippedSetuidDropped) {
  ASSERT_TRUE(
      Unpack({LayerBuilder().CharDevice("null").File("su", "x", 04755).File("sg", "y", 02755).Build(false)})
          .ok());
  EXPECT_FALSE(Exists(rootfs() + "/null"));
  struct stat st;
  ASSERT_EQ(::stat((rootfs() + "/su").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::stat((rootfs() + "/sg").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

TEST_F(UnpackTest, TarBombIsRefused) {
  max_bytes_ = 100;
  Status s = Unpack({LayerBuilder().File("big", std::string(200, 'x')).Build(true)}, true);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("more than 100 bytes"), std::string::npos);
}

TEST_F(UnpackTest, GarbageIsRefused) {
  Status s = Unpack({"this is not a tar file at all, not even close......"});
  EXPECT_FALSE(s.ok());
}

TEST(CleanLayerPathTest, Forms) {
  EXPECT_EQ(CleanLayerPath("./a//b/c/").value(), "a/b/c");
  EXPECT_EQ(CleanLayerPath("/a").value(), "a");
  EXPECT_EQ(CleanLayerPath("./").value(), "");
  EXPECT_FALSE(CleanLayerPath("a/../b").has_value());
}

}  // namespace
}  // namespace skyrun::image
