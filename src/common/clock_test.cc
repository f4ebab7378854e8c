#include "common/clock.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

TEST(TimestampTest, ParsesWhatFormatTimestampWritesAndDays) {
  const Micros t = 1'800'000'000LL * kMicrosPerSecond + 123 * kMicrosPerMilli;
  EXPECT_EQ(ParseTimestamp(FormatTimestamp(t)), t);
  EXPECT_EQ(ParseTimestamp("2026-12-02T13:20:10Z"), 1796217610LL * kMicrosPerSecond);  // date -u -d ... +%s
  EXPECT_EQ(ParseTimestamp("1970-01-02"), 86400 * kMicrosPerSecond);
  EXPECT_EQ(ParseTimestamp("2026-12-02T00:00:00Z"), ParseTimestamp("2026-12-02"));
}

TEST(TimestampTest, RefusesWhatIsNotATimestamp) {
  for (const char* bad :
       {"", "yesterday", "2026-13-01", "2026-02-30", "2026-12-02T25:00:00Z", "2026-12-02T10:00:00",
        "2026-12-02 10:00:00Z", "1969-12-31", "2026-12-02T10:00:00.12Z", "+026-12-02", "2026-1-2",
        "2026-12-02T10:00:00.123Z\n"}) {
    EXPECT_FALSE(ParseTimestamp(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace skyrun
