// ImageManager against a real registry (Debian's docker-registry on
// loopback): pulls, the cache, corruption, quotas, tenant scoping, sharing.
#include "image/image_manager.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/oci_registry.h"
#include "support/temp_dir.h"

namespace skyrun::image {
namespace {

namespace fs = std::filesystem;
using test_support::LayerBuilder;
using test_support::LoopbackRegistry;
using test_support::PushedLayer;
using test_support::TempDir;

class ImageManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!registry_.Start(&why)) GTEST_SKIP() << why;
    base_ = LayerBuilder().Dir("etc").File("etc/os-release", "ID=test\n").File("etc/gone", "x").Build(true);
    top_ = LayerBuilder().File("etc/.wh.gone", "").File("hello.txt", "hi\n").Build(false);
    digest_ = registry_.Push("ml/py", "v1", {{base_, true}, {top_, false}},
                             R"({"Env":["PATH=/usr/bin","A=1"],"WorkingDir":"/w","Cmd":["echo","x"]})");
  }
  std::unique_ptr<ImageManager> Open(ImageSettings settings = {}) {
    auto m = ImageManager::Open(dir_.Sub("images"), std::move(settings));
    EXPECT_TRUE(m.ok()) << m.status().message();
    return m.ok() ? std::move(m).value() : nullptr;
  }
  std::string Ref(const std::string& repo_tag = "ml/py:v1") const {
    return registry_.host() + "/" + repo_tag;
  }

  LoopbackRegistry registry_;
  TempDir dir_{"images"};
  std::string base_, top_, digest_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_F(ImageManagerTest, PullsUnpacksAndCaches) {
  auto m = Open();
  auto first = m->Pull(Ref(), "alice");
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->image.digest, digest_);
  EXPECT_EQ(first->blobs_fetched, 3);  // config + 2 layers
  EXPECT_TRUE(first->unpacked);
  EXPECT_EQ(ReadFile(first->image.rootfs + "/hello.txt"), "hi\n");
  EXPECT_EQ(ReadFile(first->image.rootfs + "/etc/os-release"), "ID=test\n");
  EXPECT_FALSE(fs::exists(first->image.rootfs + "/etc/gone"));
  EXPECT_EQ(first->image.config.working_dir, "/w");
  EXPECT_EQ(first->image.config.cmd, (std::vector<std::string>{"echo", "x"}));
  // The layers and the config, as stored.
  EXPECT_GT(first->image.size_bytes, static_cast<int64_t>(base_.size() + top_.size()));
  auto second = m->Pull(Ref(), "alice");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->blobs_fetched, 0);
  EXPECT_FALSE(second->unpacked);
  EXPECT_EQ(registry_.BlobGets(test_support::DigestOf(base_)), 1);
  // A restart keeps the index and the blobs.
  m.reset();
  auto reopened = Open();
  ASSERT_EQ(reopened->List("alice").size(), 1u);
  auto third = reopened->Pull(Ref(), "alice");
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->blobs_fetched, 0);
}

TEST_F(ImageManagerTest, CorruptBlobIsRefetched) {
  auto m = Open();
  ASSERT_TRUE(m->Pull(Ref(), "alice").ok());
  std::string blob = dir_.Sub("images/blobs/sha256/" + test_support::DigestOf(base_).substr(7));
  ASSERT_TRUE(fs::exists(blob));
  std::ofstream(blob, std::ios::binary | std::ios::trunc) << "corrupted";
  auto again = m->Pull(Ref(), "alice");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->corrupt_blobs_refetched, 1);
  EXPECT_EQ(again->blobs_fetched, 1);
  EXPECT_EQ(test_support::DigestOf(ReadFile(blob)), test_support::DigestOf(base_));
}

// A tar+zstd layer is pulled, its digest checked as a gzip one's is (a
// corrupted copy in the cache is refetched), and unpacked like its gzip twin.
TEST_F(ImageManagerTest, ZstdLayersArePulledCheckedAndUnpacked) {
  const std::string zstd = test_support::ZstdCompress(
      LayerBuilder().Dir("etc").File("etc/os-release", "ID=test\n").File("etc/gone", "x").Build(false));
  ASSERT_FALSE(zstd.empty());
  registry_.Push("ml/zst", "v1",
                 {{zstd, false, "application/vnd.oci.image.layer.v1.tar+zstd"}, {top_, false}});
  auto m = Open();
  auto pulled = m->Pull(Ref("ml/zst:v1"), "alice");
  ASSERT_TRUE(pulled.ok()) << pulled.status().message();
  auto twin = m->Pull(Ref(), "alice");
  ASSERT_TRUE(twin.ok()) << twin.status().message();
  for (const char* rel : {"/etc/os-release", "/hello.txt"}) {
    EXPECT_EQ(ReadFile(pulled->image.rootfs + rel), ReadFile(twin->image.rootfs + rel)) << rel;
  }
  EXPECT_EQ(ReadFile(pulled->image.rootfs + "/etc/os-release"), "ID=test\n");
  EXPECT_FALSE(fs::exists(pulled->image.rootfs + "/etc/gone"));

  std::string blob = dir_.Sub("images/blobs/sha256/" + test_support::DigestOf(zstd).substr(7));
  ASSERT_TRUE(fs::exists(blob));
  std::ofstream(blob, std::ios::binary | std::ios::trunc) << "corrupted";
  auto again = m->Pull(Ref("ml/zst:v1"), "alice");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->corrupt_blobs_refetched, 1);
  EXPECT_EQ(test_support::DigestOf(ReadFile(blob)), test_support::DigestOf(zstd));
}

TEST_F(ImageManagerTest, MissingImageCarriesTheRegistryAnswer) {
  auto m = Open();
  auto r = m->Pull(Ref("ml/nope:v1"), "alice");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("registry " + registry_.host() + " answered 404"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("UNKNOWN for ml/nope:v1"), std::string::npos) << r.status().message();
  auto tag = m->Pull(Ref("ml/py:v2"), "alice");
  ASSERT_FALSE(tag.ok());
  EXPECT_NE(tag.status().message().find("MANIFEST_UNKNOWN"), std::string::npos) << tag.status().message();
}

TEST_F(ImageManagerTest, IndexResolvesToLinuxAmd64) {
  std::string manifest_digest = digest_;
  nlohmann::json index = {{"schemaVersion", 2},
                          {"mediaType", "application/vnd.oci.image.index.v1+json"},
                          {"manifests",
                           {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                             {"digest", manifest_digest},
                             {"size", 1},
                             {"platform", {{"os", "linux"}, {"architecture", "amd64"}}}}}}};
  registry_.PushManifest("ml/py", "multi", index.dump(), "application/vnd.oci.image.index.v1+json");
  auto m = Open();
  auto r = m->Pull(Ref("ml/py:multi"), "alice");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->image.digest, digest_);
  EXPECT_EQ(ReadFile(r->image.rootfs + "/hello.txt"), "hi\n");
}

TEST_F(ImageManagerTest, TenantsSeeOnlyTheirOwnAndQuotaIsPerTenant) {
  ImageSettings settings;
  auto probe = Open();
  auto pulled = probe->Pull(Ref(), "probe");
  ASSERT_TRUE(pulled.ok());
  int64_t size = pulled->image.size_bytes;
  probe.reset();
  fs::remove_all(dir_.Sub("images"));
  settings.per_tenant_bytes = size + size / 2;  // one image, not two
  auto m = Open(settings);
  std::string other =
      LayerBuilder().File("other.txt", std::string(static_cast<size_t>(size / 4), 'o')).Build(false);
  registry_.Push("ml/other", "v1", {{other, false}});
  ASSERT_TRUE(m->Pull(Ref(), "alice").ok());
  auto refused = m->Pull(Ref("ml/other:v1"), "alice");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("tenant alice's image quota"), std::string::npos)
      << refused.status().message();
  // Bob has his own quota, and sees only his own images.
  ASSERT_TRUE(m->Pull(Ref("ml/other:v1"), "bob").ok());
  ASSERT_EQ(m->List("alice").size(), 1u);
  EXPECT_EQ(m->List("alice")[0].ref, Ref());
  ASSERT_EQ(m->List("bob").size(), 1u);
  EXPECT_EQ(m->List("bob")[0].ref, Ref("ml/other:v1"));
  // Bob cannot remove alice's image; removing his own frees his quota.
  EXPECT_EQ(m->Remove(Ref(), "bob").code(), StatusCode::kNotFound);
  ASSERT_TRUE(m->Remove(Ref("ml/other:v1"), "bob").ok());
  EXPECT_TRUE(m->List("bob").empty());
  ASSERT_TRUE(m->Remove(Ref(), "alice").ok());
  ASSERT_TRUE(m->Pull(Ref("ml/other:v1"), "alice").ok());
  auto pruned = m->Prune("alice");
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned->size(), 1u);
  EXPECT_TRUE(m->List("alice").empty());
  EXPECT_EQ(m->BlobBytes(), 0) << "nobody holds an image: its blobs are gone";
}

TEST_F(ImageManagerTest, ImageLargerThanTheCacheIsRefused) {
  ImageSettings settings;
  settings.max_cache_bytes = 10;
  auto m = Open(settings);
  auto r = m->Pull(Ref(), "alice");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("images.max_cache_bytes"), std::string::npos);
}

TEST_F(ImageManagerTest, ConcurrentPullsShareOneFetch) {
  auto m = Open();
  std::vector<Result<PullResult>> results(4, Internal("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] { results[i] = m->Pull(Ref(), i % 2 ? "alice" : "bob"); });
  }
  for (auto& t : threads) t.join();
  int fetched = 0;
  for (auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().message();
    fetched += r->blobs_fetched;
  }
  EXPECT_EQ(fetched, 3);
  EXPECT_EQ(registry_.BlobGets(test_support::DigestOf(base_)), 1);
  EXPECT_EQ(m->List("alice").size(), 1u);
  EXPECT_EQ(m->List("bob").size(), 1u);
}

TEST_F(ImageManagerTest, MalformedReferenceIsRefused) {
  auto m = Open();
  auto r = m->Pull("127.0.0.1:1/UPPER", "alice");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace skyrun::image
