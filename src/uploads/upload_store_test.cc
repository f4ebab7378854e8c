#include "uploads/upload_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <ctime>
#include <filesystem>

#include "support/temp_dir.h"
#include "uploads/archive.h"

namespace skyrun::uploads {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string OneFile(const std::string& content) {
  ArchiveWriter w;
  EXPECT_TRUE(w.Add({EntryType::kFile, "f", 0644, content, ""}).ok());
  return w.Finish();
}

class UploadStoreTest : public ::testing::Test {
 protected:
  test_support::TempDir tmp_{"upload_store_test"};
  std::string dir_ = tmp_.path();
  SimulatedClock clock_;
};

TEST_F(UploadStoreTest, Item4_StoresByDigestAndUnpacks) {
  UploadStore store(dir_, {}, &clock_);
  std::string a = OneFile("hello");
  bool too_large = false;
  EXPECT_EQ(store.Put(TenantId(3), Sha256Hex(a), a, &too_large).value(), PutOutcome::kStored);
  EXPECT_EQ(store.Put(TenantId(3), Sha256Hex(a), a, &too_large).value(), PutOutcome::kAlreadyThere);
  EXPECT_TRUE(store.Has(TenantId(3), Sha256Hex(a)));
  EXPECT_FALSE(store.Has(TenantId(4), Sha256Hex(a)));  // per tenant
  EXPECT_TRUE(fs::exists(store.Dir(TenantId(3), Sha256Hex(a)) + "/f"));
  EXPECT_EQ(*store.Read(TenantId(3), Sha256Hex(a)), a);
  auto wrong = store.Put(TenantId(3), Sha256Hex("other"), a, &too_large);
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong.status().message(), HasSubstr("SHA-256"));
}

TEST_F(UploadStoreTest, Item4_SizeAndQuotaNameTheirLimits) {
  UploadLimits limits;
  limits.max_bytes = 1 << 20;
  limits.tenant_quota_bytes = 100;
  UploadStore store(dir_, limits, &clock_);
  bool too_large = false;
  std::string big = OneFile(std::string((1 << 20) + 1, 'x'));
  auto r = store.Put(TenantId(1), Sha256Hex(big), big, &too_large);
  EXPECT_TRUE(too_large);
  EXPECT_THAT(r.status().message(), HasSubstr("larger than 1 MiB"));
  std::string a = OneFile(std::string(40, 'a')), b = OneFile(std::string(40, 'b'));
  ASSERT_TRUE(store.Put(TenantId(1), Sha256Hex(a), a, &too_large).ok());
  auto q = store.Put(TenantId(1), Sha256Hex(b), b, &too_large);
  EXPECT_FALSE(too_large);
  EXPECT_EQ(q.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(q.status().message(), HasSubstr("upload quota of 100 bytes"));
  EXPECT_TRUE(store.Put(TenantId(2), Sha256Hex(b), b, &too_large).ok());  // another tenant's quota
}

TEST_F(UploadStoreTest, Item4_SweepKeepsLiveAndYoungUploadsOnly) {
  UploadLimits limits;
  limits.unclaimed_grace_s = 60;
  UploadStore store(dir_, limits, &clock_);
  bool too_large = false;
  std::string a = OneFile("a"), b = OneFile("b"), c = OneFile("c");
  std::string da = Sha256Hex(a), db = Sha256Hex(b), dc = Sha256Hex(c);
  for (const auto* x : {&a, &b, &c}) ASSERT_TRUE(store.Put(TenantId(1), Sha256Hex(*x), *x, &too_large).ok());
  ASSERT_TRUE(store.Claim(TenantId(1), da).ok());
  ASSERT_TRUE(store.Claim(TenantId(1), db).ok());
  LiveUploads live = {{1, db}};
  auto reader = [&]() -> Result<LiveUploads> { return live; };
  // The clock stands at the files' mtime range: nothing is old.
  ASSERT_TRUE(store.Sweep(reader).ok());
  EXPECT_FALSE(store.Has(TenantId(1), da));  // claimed, no live job: gone
  EXPECT_FALSE(fs::exists(store.Dir(TenantId(1), da)));
  EXPECT_TRUE(store.Has(TenantId(1), db));  // a live job uses it
  live.clear();
  ASSERT_TRUE(store.Sweep(reader).ok());
  EXPECT_FALSE(store.Has(TenantId(1), db));
  EXPECT_TRUE(store.Has(TenantId(1), dc));  // never claimed and young: kept for the job about to use it
  clock_.Set((static_cast<Micros>(std::time(nullptr)) + 120) * 1000000);
  ASSERT_TRUE(store.Sweep(reader).ok());
  EXPECT_FALSE(store.Has(TenantId(1), dc));
}

}  // namespace
}  // namespace skyrun::uploads
