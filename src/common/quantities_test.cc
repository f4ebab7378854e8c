#include "common/quantities.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace skyrun {
namespace {

TEST(QuantitiesTest, ArithmeticAndFormat) {
  MilliCpu a(1500), b(500);
  EXPECT_EQ((a + b).raw(), 2000);
  EXPECT_EQ((a - b).raw(), 1000);
  EXPECT_TRUE(b < a);
  EXPECT_EQ(FormatMilli(8500), "8.5");
  EXPECT_EQ(FormatMilli(8000), "8");
  EXPECT_EQ(FormatMilli(250), "0.25");
}

TEST(QuantitiesTest, OverflowIsAnInvariantBreak) {
  MilliGpu big(INT64_MAX);
  EXPECT_DEATH((void)(big + MilliGpu(1)), "CHECK failed");
}

TEST(ClockTest, SimulatedClockAdvances) {
  SimulatedClock clock(1000);
  clock.SleepFor(500);
  EXPECT_EQ(clock.Now(), 1500);
  EXPECT_EQ(FormatDuration(90 * kMicrosPerSecond), "1m30s");
  EXPECT_EQ(FormatTimestamp(kMicrosPerSecond), "1970-01-01T00:00:01.000Z");
}

}  // namespace
}  // namespace skyrun
