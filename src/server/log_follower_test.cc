// Log positions (issue 10, item 12): the offsets a client sends back.
#include "server/log_follower.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

TEST(LogOffsetsTest, Item12_OneNumberAppliesToEveryRankAndPairsToTheirRank) {
  auto all = ParseLogOffsets("1048576");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->at(-1), 1048576);
  auto pairs = ParseLogOffsets("0:10,3:20");
  ASSERT_TRUE(pairs.ok());
  EXPECT_EQ(pairs->size(), 2u);
  EXPECT_EQ(pairs->at(0), 10);
  EXPECT_EQ(pairs->at(3), 20);
}

TEST(LogOffsetsTest, Item12_BadOffsetsAreRefusedNamingTheParameter) {
  for (const char* bad : {"", "-1", "x", "0:", ":5", "0:-3", "1:2:3", "99999999999999999999", "0:5,x"}) {
    auto r = ParseLogOffsets(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("?offset="), std::string::npos) << r.status().message();
  }
}

TEST(LogOffsetsTest, Item12_TheNextOffsetHeaderRoundTrips) {
  EXPECT_EQ(FormatLogOffsets({{0, 52430000}}), "52430000");
  EXPECT_EQ(FormatLogOffsets({{0, 5}, {1, 7}}), "0:5,1:7");
  auto back = ParseLogOffsets(FormatLogOffsets({{0, 5}, {1, 7}}));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->at(1), 7);
}

}  // namespace
}  // namespace skyrun
