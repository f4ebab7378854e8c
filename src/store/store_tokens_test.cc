// Token administration in the store (issue 10, item 15): prefixes, expiry,
// revocation (with the last platform admin kept), last use, and the upgrade
// of a version-1 database whose tokens predate these columns.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/clock.h"
#include "store/schema.h"
#include "store/store.h"
#include "store/store_test_util.h"

namespace skyrun {
namespace {

constexpr Micros kStart = 1'700'000'000'000'000;

class StoreTokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Store::Open(dir_.Sub("state"), &clock_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    system_ = store_->CreateTenant("default").value().id;
    vision_ = store_->CreateTenant("vision").value().id;
  }

  TokenId Make(TenantId tenant, AccessRole role, int seed, TokenOptions options = {}) {
    auto token = store_->CreateToken(tenant, role, FakeHash(seed), "t" + std::to_string(seed), options);
    EXPECT_TRUE(token.ok()) << token.status().ToString();
    return token.ok() ? token->id : TokenId();
  }

  TempDir dir_;
  SimulatedClock clock_{kStart};
  std::unique_ptr<Store> store_;
  TenantId system_;
  TenantId vision_;
};

TEST_F(StoreTokensTest, Item15_PrefixAndExpiryAreKeptAndListedWithoutHashes) {
  Make(system_, AccessRole::kAdmin, 1, {"skyrun_00000001", 0});
  Make(vision_, AccessRole::kMember, 2, {"skyrun_00000002", kStart + 30 * kMicrosPerSecond});
  auto all = store_->ListTokens(std::nullopt);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].prefix, "skyrun_00000001");
  EXPECT_EQ((*all)[0].tenant_name, "default");
  EXPECT_EQ((*all)[1].prefix, "skyrun_00000002");
  EXPECT_EQ((*all)[1].expires_at, kStart + 30 * kMicrosPerSecond);
  EXPECT_EQ((*all)[1].created_at, kStart);
  EXPECT_EQ((*all)[1].last_used_at, 0);
  EXPECT_FALSE((*all)[1].ExpiredAt(kStart));
  EXPECT_TRUE((*all)[1].ExpiredAt(kStart + 30 * kMicrosPerSecond));
  // Scoped to one tenant.
  auto mine = store_->ListTokens(vision_).value();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].tenant_name, "vision");
}

TEST_F(StoreTokensTest, Item15_APrefixLongEnoughToBeTheSecretIsRefused) {
  auto secret = store_->CreateToken(vision_, AccessRole::kMember, FakeHash(3), "",
                                    {"skyrun_0123456789abcdef0123456789abcdef01234567", 0});
  EXPECT_EQ(secret.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->ListTokens(std::nullopt).value().empty());
}

TEST_F(StoreTokensTest, Item15_RevokedTokensAreFoundAsRevokedAndStayListed) {
  TokenId id = Make(vision_, AccessRole::kMember, 4);
  clock_.Advance(5 * kMicrosPerSecond);
  auto revoked = store_->RevokeToken(id, system_);
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_EQ(revoked->revoked_at, kStart + 5 * kMicrosPerSecond);
  auto found = store_->LookupToken(FakeHash(4));
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->Revoked());
  // Again: unchanged, not an error.
  clock_.Advance(kMicrosPerSecond);
  EXPECT_EQ(store_->RevokeToken(id, system_).value().revoked_at, kStart + 5 * kMicrosPerSecond);
  EXPECT_EQ(store_->RevokeToken(TokenId(999), system_).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ListTokens(std::nullopt).value().size(), 1u);
}

TEST_F(StoreTokensTest, Item15_TheLastLiveAdminTokenOfTheSystemTenantCannotBeRevoked) {
  TokenId first = Make(system_, AccessRole::kAdmin, 5);
  TokenId member = Make(system_, AccessRole::kMember, 6);
  TokenId expiring = Make(system_, AccessRole::kAdmin, 7, {"", kStart + kMicrosPerSecond});
  TokenId tenant_admin = Make(vision_, AccessRole::kAdmin, 8);
  clock_.Advance(2 * kMicrosPerSecond);  // `expiring` is expired now: it does not count
  auto refused = store_->RevokeToken(first, system_);
  ASSERT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("last live admin token of tenant \"default\""), std::string::npos)
      << refused.status().message();
  EXPECT_FALSE(store_->LookupToken(FakeHash(5)).value().Revoked());
  // A member token, an expired admin token and another tenant's last admin token may go.
  EXPECT_TRUE(store_->RevokeToken(member, system_).ok());
  EXPECT_TRUE(store_->RevokeToken(expiring, system_).ok());
  EXPECT_TRUE(store_->RevokeToken(tenant_admin, system_).ok());
  // With a second admin token, the first may go; then the second is the last.
  TokenId second = Make(system_, AccessRole::kAdmin, 9);
  EXPECT_TRUE(store_->RevokeToken(first, system_).ok());
  EXPECT_EQ(store_->RevokeToken(second, system_).status().code(), StatusCode::kFailedPrecondition);
  // Without the guard (nullopt) the store does as told.
  EXPECT_TRUE(store_->RevokeToken(second, std::nullopt).ok());
}

TEST_F(StoreTokensTest, Item15_LastUseOnlyMovesForward) {
  TokenId id = Make(vision_, AccessRole::kViewer, 10);
  ASSERT_TRUE(store_->RecordTokenUse(id, kStart + 100).ok());
  ASSERT_TRUE(store_->RecordTokenUse(id, kStart + 50).ok());
  EXPECT_EQ(store_->LookupToken(FakeHash(10)).value().last_used_at, kStart + 100);
  EXPECT_EQ(store_->RecordTokenUse(TokenId(999), kStart).code(), StatusCode::kNotFound);
}

TEST(StoreTokensUpgradeTest, Item15_AVersionOneDatabaseKeepsItsTokens) {
  TempDir dir;
  std::string state = dir.Sub("state");
  ASSERT_EQ(::mkdir(state.c_str(), 0700), 0);
  {
    auto db = OpenRaw(state + "/state.db");
    const std::vector<Migration> v1 = {StoreMigrations()[0]};
    ASSERT_TRUE(MigrateSchema(*db, v1).ok());
    ASSERT_TRUE(db->Exec("INSERT INTO tenants (name, created_at) VALUES ('default', 1)").ok());
    ASSERT_TRUE(
        db->Exec("INSERT INTO tokens (tenant_id, role, hash, description, created_at) VALUES (1, 'admin', '" +
                 FakeHash(1) + "', 'old', 1)")
            .ok());
  }
  SimulatedClock clock(kStart);
  auto store = Store::Open(state, &clock);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto token = (*store)->LookupToken(FakeHash(1));
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->prefix, "");
  EXPECT_EQ(token->expires_at, 0);
  EXPECT_EQ(token->revoked_at, 0);
  EXPECT_TRUE(token->LiveAt(kStart));
}

}  // namespace
}  // namespace skyrun
