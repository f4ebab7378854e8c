#include "cli/tokens.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

const nlohmann::json kTokens = nlohmann::json::parse(R"([
  {"id": 1, "prefix": "skyrun_1a2b3c4d"},
  {"id": 2, "prefix": "skyrun_1a2b9999"},
  {"id": 3, "prefix": ""}
])");

TEST(ResolveTokenTest, Item15_APrefixAsListedOrPartOfOneOrAWholeTokenNamesOne) {
  EXPECT_EQ(*ResolveToken("skyrun_1a2b3c4d", kTokens), 1);
  EXPECT_EQ(*ResolveToken("1a2b3c", kTokens), 1);
  EXPECT_EQ(*ResolveToken("skyrun_1a2b3c4d0123456789abcdef0123456789abcdef", kTokens), 1);
}

TEST(ResolveTokenTest, Item15_AmbiguousShortOrUnknownPrefixesAreRefusedWithWhat) {
  auto both = ResolveToken("1a2b", kTokens);
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(both.status().message().find("matches tokens 1, 2"), std::string::npos)
      << both.status().message();
  EXPECT_EQ(ResolveToken("1a2", kTokens).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ResolveToken("skyrun_", kTokens).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ResolveToken("XYZW1234", kTokens).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ResolveToken("ffffffff", kTokens).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace skyrun
