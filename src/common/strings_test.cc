#include "common/strings.h"

#include <gtest/gtest.h>

#include "common/text.h"

namespace skyrun {
namespace {

TEST(StringsTest, MemorySizes) {
  EXPECT_EQ(*ParseMemoryMiB("64"), 64 * 1024);
  EXPECT_EQ(*ParseMemoryMiB("64GiB"), 64 * 1024);
  EXPECT_EQ(*ParseMemoryMiB("64G"), 64 * 1024);
  EXPECT_EQ(*ParseMemoryMiB("512MiB"), 512);
  EXPECT_EQ(*ParseMemoryMiB("1.5GiB"), 1536);
  EXPECT_EQ(*ParseMemoryMiB("1TiB"), 1024 * 1024);
  EXPECT_FALSE(ParseMemoryMiB("lots").ok());
  EXPECT_FALSE(ParseMemoryMiB("-4").ok());
  EXPECT_FALSE(ParseMemoryMiB("").ok());
  EXPECT_FALSE(ParseMemoryMiB("99999999999999999999999").ok());
}

TEST(StringsTest, Milli) {
  EXPECT_EQ(*ParseMilli("8"), 8000);
  EXPECT_EQ(*ParseMilli("0.5"), 500);
  EXPECT_EQ(*ParseMilli("500m"), 500);
  EXPECT_EQ(*ParseMilli("1.25"), 1250);
  EXPECT_FALSE(ParseMilli("1.0001").ok());
  EXPECT_FALSE(ParseMilli("x").ok());
  EXPECT_FALSE(ParseMilli("1e3").ok());
}

TEST(StringsTest, Durations) {
  EXPECT_EQ(*ParseDurationSeconds("90"), 90);
  EXPECT_EQ(*ParseDurationSeconds("90s"), 90);
  EXPECT_EQ(*ParseDurationSeconds("30m"), 1800);
  EXPECT_EQ(*ParseDurationSeconds("6h"), 21600);
  EXPECT_EQ(*ParseDurationSeconds("1h30m"), 5400);
  EXPECT_FALSE(ParseDurationSeconds("6x").ok());
  EXPECT_FALSE(ParseDurationSeconds("h").ok());
}

TEST(StringsTest, TimeLimitsReadAsSbatchTimeDoes) {
  EXPECT_EQ(*ParseTimeLimitSeconds("90m"), 5400);
  EXPECT_EQ(*ParseTimeLimitSeconds("2h"), 7200);
  EXPECT_EQ(*ParseTimeLimitSeconds("1d"), 86400);
  EXPECT_EQ(*ParseTimeLimitSeconds("1h30m"), 5400);
  EXPECT_EQ(*ParseTimeLimitSeconds("1:30:00"), 5400);
  EXPECT_EQ(*ParseTimeLimitSeconds("30:15"), 1815);
  EXPECT_EQ(*ParseTimeLimitSeconds("2-12"), 2 * 86400 + 12 * 3600);
  EXPECT_EQ(*ParseTimeLimitSeconds("2-12:30"), 2 * 86400 + 12 * 3600 + 1800);
  EXPECT_EQ(*ParseTimeLimitSeconds("1-00:00:30"), 86400 + 30);
  EXPECT_EQ(*ParseTimeLimitSeconds("100:00:00"), 360000);  // hours may exceed a day
}

TEST(StringsTest, BadTimeLimitsSayWhatWasExpected) {
  auto bare = ParseTimeLimitSeconds("90");
  ASSERT_FALSE(bare.ok());
  EXPECT_NE(bare.status().message().find("write the unit, as in 90m"), std::string::npos);
  for (const char* bad : {"", "1:30:00:00", "1:90", "x:10", "-1", "1-", "1-25", "2-1:60", "1:2:3:4", "6x",
                          "1:", ":30", "99999999999999999999h"}) {
    EXPECT_FALSE(ParseTimeLimitSeconds(bad).ok()) << bad;
  }
}

TEST(StringsTest, NearestName) {
  std::vector<std::string> names = {"resources", "recovery", "priority", "num_nodes"};
  EXPECT_EQ(NearestName("resorces", names).value(), "resources");
  EXPECT_EQ(NearestName("prority", names).value(), "priority");
  EXPECT_FALSE(NearestName("banana", names).has_value());
}

TEST(StringsTest, SplitJoinTrim) {
  EXPECT_EQ(Split("a,b,,c", ',').size(), 4u);
  EXPECT_EQ(Join({"a", "b"}, ", "), "a, b");
  EXPECT_EQ(Trim("  x \n"), "x");
}

}  // namespace
}  // namespace skyrun

namespace skyrun {
namespace {

TEST(StringsTest, Item6_IntInRangeRefusesWhatANarrowerTypeWouldWrap) {
  EXPECT_EQ(ParseInt64InRange("7", 0, 10), 7);
  EXPECT_FALSE(ParseInt64InRange("4294967296", 0, 2147483647).has_value());
  EXPECT_FALSE(ParseInt64InRange("-1", 0, 10).has_value());
  EXPECT_FALSE(ParseInt64InRange("99999999999999999999", 0, 10).has_value());
  EXPECT_FALSE(ParseInt64InRange(" 1", 0, 10).has_value());
  EXPECT_FALSE(ParseInt64InRange("1x", 0, 10).has_value());
}

TEST(StringsTest, Item7_FindInvalidUtf8) {
  EXPECT_FALSE(FindInvalidUtf8("plain ascii").has_value());
  EXPECT_FALSE(FindInvalidUtf8("gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80").has_value());
  EXPECT_EQ(FindInvalidUtf8("ab\xff"), 2u);
  EXPECT_EQ(FindInvalidUtf8("a\xc3"), 1u);             // cut short
  EXPECT_EQ(FindInvalidUtf8("\xc0\xaf"), 0u);          // overlong '/'
  EXPECT_EQ(FindInvalidUtf8("\xe0\x80\xaf"), 0u);      // overlong
  EXPECT_EQ(FindInvalidUtf8("x\xed\xa0\x80"), 1u);     // a surrogate
  EXPECT_EQ(FindInvalidUtf8("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(FindInvalidUtf8("\xe2\x82"), 0u);
  EXPECT_EQ(FindInvalidUtf8("\xe2\x28\xa1"), 0u);  // bad continuation
}

}  // namespace
}  // namespace skyrun
