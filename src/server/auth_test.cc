// Authentication of bearer tokens (issue 10, item 15): revoked and expired
// tokens are refused with the reason; last use is written at most once per
// kTokenUseResolution per token.
#include "server/auth.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

#include "common/clock.h"
#include "support/temp_dir.h"

namespace skyrun {
namespace {

constexpr Micros kStart = 1'700'000'000'000'000;

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Store::Open(dir_ + "/state", &clock_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    tenant_ = store_->CreateTenant("vision").value().id;
  }
  void TearDown() override { store_.reset(); }

  // A new token's secret.
  std::string Make(Micros expires_at = 0) {
    std::string secret = GenerateToken().value();
    auto made = store_->CreateToken(tenant_, AccessRole::kMember, HashToken(secret), "",
                                    {TokenPrefix(secret), expires_at});
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return secret;
  }

  test_support::TempDir tmp_{"skyrun-auth"};
  std::string dir_ = tmp_.path();
  SimulatedClock clock_{kStart};
  std::unique_ptr<Store> store_;
  TenantId tenant_;
};

TEST_F(AuthTest, Item15_ARevokedTokenIsRefusedAndSaysSo) {
  std::string secret = Make();
  ASSERT_TRUE(Authenticate(*store_, "Bearer " + secret, clock_.Now()).ok());
  auto rec = store_->LookupToken(HashToken(secret)).value();
  ASSERT_TRUE(store_->RevokeToken(rec.id, std::nullopt).ok());
  auto refused = Authenticate(*store_, "Bearer " + secret, clock_.Now());
  ASSERT_EQ(refused.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(refused.status().message().find("the token was revoked at"), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(refused.status().message().find(secret.substr(7)), std::string::npos);
}

TEST_F(AuthTest, Item15_AnExpiredTokenIsRefusedFromItsExpiryOn) {
  std::string secret = Make(kStart + 10 * kMicrosPerSecond);
  EXPECT_TRUE(Authenticate(*store_, "Bearer " + secret, kStart + 10 * kMicrosPerSecond - 1).ok());
  auto refused = Authenticate(*store_, "Bearer " + secret, kStart + 10 * kMicrosPerSecond);
  ASSERT_EQ(refused.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(refused.status().message().find("the token expired at"), std::string::npos)
      << refused.status().message();
  // An unknown token still reads the same as before: nothing about others.
  auto unknown = Authenticate(*store_, "Bearer skyrun_0000", kStart);
  EXPECT_EQ(unknown.status().message(), "the token is not valid");
}

TEST_F(AuthTest, Item15_LastUseIsWrittenAtMostOncePerResolution) {
  std::string secret = Make();
  TokenAuthenticator auth(store_.get(), &clock_);
  auto last_used = [&] { return store_->LookupToken(HashToken(secret)).value().last_used_at; };
  ASSERT_TRUE(auth.Authenticate("Bearer " + secret).ok());
  EXPECT_EQ(last_used(), kStart);  // the first use is written at once
  clock_.Advance(kTokenUseResolution - 1);
  ASSERT_TRUE(auth.Authenticate("Bearer " + secret).ok());
  EXPECT_EQ(last_used(), kStart);  // within the resolution: no write
  clock_.Advance(1);
  ASSERT_TRUE(auth.Authenticate("Bearer " + secret).ok());
  EXPECT_EQ(last_used(), kStart + kTokenUseResolution);
  // A new authenticator (a restarted server) starts from the stored time.
  TokenAuthenticator again(store_.get(), &clock_);
  clock_.Advance(kMicrosPerSecond);
  ASSERT_TRUE(again.Authenticate("Bearer " + secret).ok());
  EXPECT_EQ(last_used(), kStart + kTokenUseResolution);
}

}  // namespace
}  // namespace skyrun
