// Budget windows: rolling ones end now; calendar months and ISO weeks start
// at 00:00 UTC and say when they reset.
#include "budget/period.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

Micros At(const char* text) {
  auto t = ParseTimestamp(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(0);
}

TEST(BudgetPeriodTest, ParsesRollingAndCalendarPeriods) {
  auto thirty = ParseBudgetPeriod("30d");
  ASSERT_TRUE(thirty.ok());
  EXPECT_EQ(thirty->kind, PeriodKind::kRolling);
  EXPECT_EQ(thirty->rolling_seconds, 30 * 24 * 3600);
  EXPECT_EQ(BudgetPeriodName(*thirty), "30d");
  EXPECT_EQ(BudgetPeriodName(*ParseBudgetPeriod("12h")), "12h");
  EXPECT_EQ(ParseBudgetPeriod("month")->kind, PeriodKind::kMonth);
  EXPECT_EQ(ParseBudgetPeriod("week")->kind, PeriodKind::kWeek);
  for (const char* bad : {"", "0d", "401d", "monthly", "-3d", "ten days"}) {
    auto p = ParseBudgetPeriod(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.status().message().find("rolling window such as 30d"), std::string::npos);
  }
}

TEST(BudgetPeriodTest, RollingWindowEndsNow) {
  const Micros now = At("2026-12-02T15:00:00Z");
  PeriodWindow w = WindowAt(*ParseBudgetPeriod("30d"), now);
  EXPECT_EQ(w.from, At("2026-11-02T15:00:00Z"));
  EXPECT_EQ(w.to, now);
  EXPECT_FALSE(w.resets.has_value());
  EXPECT_EQ(DescribeWindow(*ParseBudgetPeriod("30d"), w), "the 30 days to 2026-12-02T15:00:00.000Z");
}

TEST(BudgetPeriodTest, CalendarMonthAcrossTheYearEnd) {
  const BudgetPeriod month = *ParseBudgetPeriod("month");
  PeriodWindow w = WindowAt(month, At("2026-12-31T23:59:59Z"));
  EXPECT_EQ(w.from, At("2026-12-01"));
  ASSERT_TRUE(w.resets.has_value());
  EXPECT_EQ(*w.resets, At("2027-01-01"));
  EXPECT_EQ(DescribeWindow(month, w), "December 2026 (until 2027-01-01T00:00:00.000Z)");
  // A leap February.
  PeriodWindow feb = WindowAt(month, At("2028-02-29T12:00:00Z"));
  EXPECT_EQ(feb.from, At("2028-02-01"));
  EXPECT_EQ(*feb.resets, At("2028-03-01"));
  // The first instant of a month is in that month.
  EXPECT_EQ(WindowAt(month, At("2027-01-01")).from, At("2027-01-01"));
}

TEST(BudgetPeriodTest, IsoWeekStartsOnMonday) {
  const BudgetPeriod week = *ParseBudgetPeriod("week");
  // 2026-12-02 is a Wednesday; its week began on Monday 2026-11-30.
  PeriodWindow w = WindowAt(week, At("2026-12-02T15:00:00Z"));
  EXPECT_EQ(w.from, At("2026-11-30"));
  EXPECT_EQ(*w.resets, At("2026-12-07"));
  // A Sunday belongs to the week that began six days before; a Monday starts one.
  EXPECT_EQ(WindowAt(week, At("2026-12-06T23:00:00Z")).from, At("2026-11-30"));
  EXPECT_EQ(WindowAt(week, At("2026-12-07")).from, At("2026-12-07"));
  // Before the epoch too: 1969-12-31T10:00Z (a Wednesday, 14 h before it) is
  // in the week of Monday 1969-12-29, 3 days before it.
  constexpr Micros kDay = 24 * kMicrosPerHour;
  EXPECT_EQ(WindowAt(week, -14 * kMicrosPerHour).from, -3 * kDay);
  EXPECT_EQ(*WindowAt(week, -14 * kMicrosPerHour).resets, 4 * kDay);
}

}  // namespace
}  // namespace skyrun
