#include "storage/volume_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "support/temp_dir.h"

namespace skyrun::storage {
namespace {

using test_support::TempDir;

void WriteBytes(const std::string& path, size_t n) {
  std::ofstream out(path, std::ios::binary);
  out << std::string(n, 'x');
}

class VolumeStoreTest : public ::testing::Test {
 protected:
  TempDir dir_{"skyrun-volumes"};
  SimulatedClock clock_{1000};
};

TEST_F(VolumeStoreTest, CreateListGetRemove) {
  VolumeStore store(dir_.Sub("volumes"), {}, &clock_);
  Result<VolumeInfo> v = store.Create("team-a", "data", 1 << 20);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->size_bytes, 1 << 20);
  EXPECT_EQ(v->created_at, 1000);
  ASSERT_TRUE(store.Create("team-a", "ckpt", 0).ok());
  Result<std::vector<VolumeInfo>> all = store.List("team-a");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "ckpt");
  Result<std::string> path = store.DataDir("team-a", "data");
  ASSERT_TRUE(path.ok());
  EXPECT_TRUE(std::filesystem::is_directory(*path));
  EXPECT_EQ(store.Create("team-a", "data", 0).status().code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(store.Remove("team-a", "data").ok());
  EXPECT_FALSE(std::filesystem::exists(*path));
  EXPECT_EQ(store.Get("team-a", "data").status().code(), StatusCode::kNotFound);
}

TEST_F(VolumeStoreTest, TenantsNeverSeeEachOthersVolumes) {
  VolumeStore store(dir_.Sub("volumes"), {}, &clock_);
  ASSERT_TRUE(store.Create("alice", "shared", 0).ok());
  EXPECT_TRUE(store.List("bob")->empty());
  EXPECT_EQ(store.Get("bob", "shared").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store.DataDir("bob", "shared").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store.Remove("bob", "shared").code(), StatusCode::kNotFound);
  EXPECT_TRUE(store.Get("alice", "shared").ok());
  // The same name for another tenant is another volume.
  ASSERT_TRUE(store.Create("bob", "shared", 0).ok());
  EXPECT_NE(*store.DataDir("alice", "shared"), *store.DataDir("bob", "shared"));
}

TEST_F(VolumeStoreTest, HostileNamesAreRefused) {
  VolumeStore store(dir_.Sub("volumes"), {}, &clock_);
  for (const std::string& name :
       std::vector<std::string>{"..", "../alice/data", "a/b", "", ".hidden", "UPPER", std::string(64, 'a'),
                                std::string("a\0b", 3)}) {
    EXPECT_EQ(store.Create("bob", name, 0).status().code(), StatusCode::kInvalidArgument) << name;
    EXPECT_FALSE(store.DataDir("bob", name).ok()) << name;
  }
  // A tenant name cannot climb out of its directory either.
  ASSERT_TRUE(store.Create("../alice", "x", 0).ok());
  EXPECT_TRUE(store.List("alice")->empty());
  EXPECT_EQ(store.DataDir("../alice", "x")->find(dir_.Sub("volumes") + "/"), 0u);
  EXPECT_EQ(store.DataDir("../alice", "x")->find(".."), std::string::npos);
}

TEST_F(VolumeStoreTest, QuotaRefusedAtCreateWithTheNumbers) {
  VolumeStore store(dir_.Sub("volumes"), {/*per_tenant_bytes=*/10 << 20, /*per_volume_bytes=*/6 << 20},
                    &clock_);
  Result<VolumeInfo> big = store.Create("t", "big", 7 << 20);
  ASSERT_EQ(big.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(big.status().message().find("storage.per_volume_bytes"), std::string::npos);
  ASSERT_TRUE(store.Create("t", "a", 6 << 20).ok());
  Result<VolumeInfo> b = store.Create("t", "b", 5 << 20);
  ASSERT_EQ(b.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(b.status().message().find("6.0 MiB of 10.0 MiB"), std::string::npos) << b.status().ToString();
  EXPECT_TRUE(store.Create("t", "b", 4 << 20).ok());
  // Another tenant has its own quota.
  EXPECT_TRUE(store.Create("u", "a", 6 << 20).ok());
}

TEST_F(VolumeStoreTest, UsageCountsDataNotLinksAndCheckQuotaSaysWhich) {
  VolumeStore store(dir_.Sub("volumes"), {0, 0}, &clock_);
  ASSERT_TRUE(store.Create("t", "v", 64 << 10).ok());
  std::string data = *store.DataDir("t", "v");
  WriteBytes(dir_.Sub("outside"), 1 << 20);
  ASSERT_EQ(::symlink(dir_.Sub("outside").c_str(), (data + "/link").c_str()), 0);
  ASSERT_EQ(::symlink(dir_.path().c_str(), (data + "/dirlink").c_str()), 0);
  EXPECT_TRUE(store.CheckQuota("t", "v").ok());
  EXPECT_LT(store.Get("t", "v")->used_bytes, 64 << 10);
  std::filesystem::create_directories(data + "/sub");
  WriteBytes(data + "/sub/big", 200 << 10);
  EXPECT_GE(store.Get("t", "v")->used_bytes, 200 << 10);
  Status over = store.CheckQuota("t", "v");
  ASSERT_EQ(over.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(over.message().find("more than its size 64.0 KiB"), std::string::npos) << over.ToString();
}

TEST_F(VolumeStoreTest, TenantTotalIsCheckedAfterUse) {
  VolumeStore store(dir_.Sub("volumes"), {/*per_tenant_bytes=*/100 << 10, 0}, &clock_);
  ASSERT_TRUE(store.Create("t", "v", 0).ok());
  WriteBytes(*store.DataDir("t", "v") + "/f", 300 << 10);
  Status over = store.CheckQuota("t", "v");
  ASSERT_EQ(over.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(over.message().find("storage.per_tenant_bytes"), std::string::npos) << over.ToString();
  // And a new volume is refused while the tenant is over.
  EXPECT_EQ(store.Create("t", "w", 1).status().code(), StatusCode::kResourceExhausted);
}

TEST(DiskUsageTest, MissingIsZero) {
  EXPECT_EQ(*DiskUsage("/nonexistent/skyrun/xyz"), 0);
}

// Another backend (Slurm's volumes_root) sees the store under its own root:
// the relative path is the one DataDir uses, and a tenant name made of path
// syntax stays one escaped directory name.
TEST_F(VolumeStoreTest, DataPathInStoreIsDataDirBelowTheRoot) {
  VolumeStore store(dir_.Sub("volumes"), {}, &clock_);
  for (const std::string tenant : {"team-a", "../team-a", "a/b", "x y"}) {
    ASSERT_TRUE(store.Create(tenant, "data", 0).ok()) << tenant;
    Result<std::string> dir = store.DataDir(tenant, "data");
    Result<std::string> rel = VolumeDataPathInStore(tenant, "data");
    ASSERT_TRUE(dir.ok() && rel.ok()) << tenant;
    EXPECT_EQ(*dir, store.root() + "/" + *rel);
    EXPECT_EQ(rel->find(".."), std::string::npos) << *rel;
    EXPECT_EQ(std::count(rel->begin(), rel->end(), '/'), 2) << *rel;
  }
  EXPECT_NE(*VolumeDataPathInStore("../team-a", "data"), *VolumeDataPathInStore("team-a", "data"));
  EXPECT_FALSE(VolumeDataPathInStore("team-a", "../x").ok());
  EXPECT_FALSE(VolumeDataPathInStore("team-a", "a/b").ok());
  EXPECT_FALSE(VolumeDataPathInStore("", "data").ok());
}

// Claims made on Kubernetes clusters: recorded beside the data (never in
// it), listed with the volume, bounded by its size, counted against the
// tenant's quota (refused with the figures), dropped with the volume.
TEST_F(VolumeStoreTest, ClaimsAreRecordedListedChargedAndBounded) {
  VolumeStore store(dir_.Sub("volumes"), {4 << 20, 0}, &clock_);
  ASSERT_TRUE(store.Create("alpha", "data", 2 << 20).ok());
  ASSERT_TRUE(store.Create("alpha", "open", 0).ok());  // no size of its own: only the tenant's quota
  ASSERT_TRUE(store.Create("beta", "data", 2 << 20).ok());

  Status big =
      store.RecordClaim("alpha", "data", {"kubernetes/prod", "skyrun-alpha-data-1", 3 << 20, 0}, true);
  EXPECT_EQ(big.code(), StatusCode::kResourceExhausted) << big.message();
  EXPECT_NE(big.message().find("a claim of 3.0 MiB for volume 'data' on kubernetes/prod is larger than the "
                               "volume's size 2.0 MiB"),
            std::string::npos)
      << big.message();
  ASSERT_TRUE(
      store.RecordClaim("alpha", "data", {"kubernetes/prod", "skyrun-alpha-data-1", 2 << 20, 0}, true).ok());
  // Recorded once per cluster: a second launch finds it, and changes nothing.
  ASSERT_TRUE(store.RecordClaim("alpha", "data", {"kubernetes/prod", "other", 1, 0}, true).ok());
  Result<VolumeInfo> v = store.Get("alpha", "data");
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->claims.size(), 1u);
  EXPECT_EQ(v->claims[0].cluster, "kubernetes/prod");
  EXPECT_EQ(v->claims[0].claim, "skyrun-alpha-data-1");
  EXPECT_EQ(v->claims[0].requested_bytes, 2 << 20);
  EXPECT_EQ(v->claims[0].created_at, 1000);
  EXPECT_EQ(v->ChargedBytes(), 2 << 20);
  // Beside the data, never in it: a task writing the data cannot change it.
  auto data = store.DataDir("alpha", "data");
  ASSERT_TRUE(data.ok());
  EXPECT_TRUE(std::filesystem::is_empty(*data));
  // Another tenant's volume of that name has no claims.
  EXPECT_TRUE(store.Get("beta", "data")->claims.empty());

  // The tenant's total: 2 MiB charged; 3 MiB more would pass 4 MiB.
  Status over =
      store.RecordClaim("alpha", "open", {"kubernetes/prod", "skyrun-alpha-open-1", 3 << 20, 0}, true);
  EXPECT_EQ(over.code(), StatusCode::kResourceExhausted) << over.message();
  EXPECT_NE(over.message().find("its volumes hold 2.0 MiB (claims included) of 4.0 MiB"), std::string::npos)
      << over.message();
  // A claim the cluster has already is recorded without the check.
  ASSERT_TRUE(
      store.RecordClaim("alpha", "open", {"kubernetes/prod", "skyrun-alpha-open-1", 3 << 20, 0}, false).ok());
  EXPECT_EQ(store.CheckQuota("alpha", "open").code(), StatusCode::kResourceExhausted);
  // Creating another volume counts the claims too.
  EXPECT_EQ(store.Create("alpha", "more", 1).status().code(), StatusCode::kResourceExhausted);
  ASSERT_TRUE(store.ForgetClaim("alpha", "open", "kubernetes/prod").ok());
  EXPECT_TRUE(store.ForgetClaim("alpha", "open", "kubernetes/prod").ok());
  EXPECT_TRUE(store.CheckQuota("alpha", "open").ok());

  // Without the volume, no claim; removed, its claims' records go with it.
  EXPECT_EQ(store.RecordClaim("alpha", "none", {"kubernetes/prod", "x", 1, 0}, true).code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(store.Remove("alpha", "data").ok());
  ASSERT_TRUE(store.Create("alpha", "data", 2 << 20).ok());
  EXPECT_TRUE(store.Get("alpha", "data")->claims.empty());
  // A listing shows them too; a volume whose name ends like the records' folder is its own.
  ASSERT_TRUE(store.RecordClaim("alpha", "data", {"kubernetes/a.b", "c1", 1024, 0}, true).ok());
  ASSERT_TRUE(store.Create("alpha", "data.claims", 1024).ok());
  auto all = store.List("alpha");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].name, "data");
  ASSERT_EQ((*all)[0].claims.size(), 1u);
  EXPECT_EQ((*all)[0].claims[0].cluster, "kubernetes/a.b");
  EXPECT_TRUE((*all)[1].claims.empty());
}

}  // namespace
}  // namespace skyrun::storage
