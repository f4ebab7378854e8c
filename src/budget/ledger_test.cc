// What a budget has spent in its window, and the admission rule with its message.
#include "budget/ledger.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

constexpr Micros kH = kMicrosPerHour;

BillableAttempt Ran(int64_t job, const std::string& tenant, const std::string& queue, Micros start,
                    Micros end, double price) {
  BillableAttempt b;
  b.attempt.job_id = JobId(job);
  b.attempt.backend = "local";
  b.attempt.started_at = start;
  b.attempt.ended_at = end;
  b.attempt.hourly_price = price;
  b.owner.tenant_name = tenant;
  b.owner.queue = queue;
  return b;
}

TEST(LedgerTest, SpentCountsTheWindowOnlyWithRunningAttemptsToNow) {
  const Micros now = *ParseTimestamp("2026-12-02T12:00:00Z");
  BillingData data;
  // team-a: 10 h at $2 ending 2 days ago; 5 days at $1 that ended 35 days ago (outside a 30d
  // window); one running for 3 h at $4. team-b: 1 h at $100.
  data.attempts.push_back(Ran(1, "team-a", "gpu", now - 48 * kH - 10 * kH, now - 48 * kH, 2));
  data.attempts.push_back(Ran(2, "team-a", "default", now - 40 * 24 * kH, now - 35 * 24 * kH, 1));
  data.attempts.push_back(Ran(3, "team-a", "gpu", now - 3 * kH, 0, 4));
  data.attempts.push_back(Ran(4, "team-b", "gpu", now - 2 * kH, now - kH, 100));
  BudgetLimit limit{100, *ParseBudgetPeriod("30d")};
  BudgetUse a = MeasureBudget(BudgetScope::kTenant, "team-a", limit, data, now);
  EXPECT_NEAR(a.spent_usd, 20 + 12, 1e-9);
  EXPECT_NEAR(a.left_usd(), 68, 1e-9);
  // The queue gpu: team-a's 20 + 12 and team-b's 100, over a budget of 100: nothing left.
  BudgetUse q = MeasureBudget(BudgetScope::kQueue, "gpu", limit, data, now);
  EXPECT_NEAR(q.spent_usd, 132, 1e-9);
  EXPECT_DOUBLE_EQ(q.left_usd(), 0);
  // A calendar week that began on Monday 2026-11-30 00:00: job 1 ran from 2026-11-30T02:00.
  BudgetUse week =
      MeasureBudget(BudgetScope::kTenant, "team-a", {100, *ParseBudgetPeriod("week")}, data, now);
  EXPECT_NEAR(week.spent_usd, 32, 1e-9);
  nlohmann::json j = BudgetUseToJson(week);
  EXPECT_EQ(j["scope"], "tenant");
  EXPECT_EQ(j["period"], "week");
  EXPECT_EQ(j["from"], "2026-11-30T00:00:00.000Z");
  EXPECT_EQ(j["resets"], "2026-12-07T00:00:00.000Z");
  EXPECT_NEAR(j["left_usd"].get<double>(), 68, 1e-9);
}

TEST(LedgerTest, AnEstimateOverWhatIsLeftIsRefusedWithTheFigures) {
  const Micros now = *ParseTimestamp("2026-12-02T12:00:00Z");
  BillingData data;
  // 2 h at $48.40: $96.80 of $100 spent.
  data.attempts.push_back(Ran(1, "team-a", "gpu", now - 48 * kH, now - 46 * kH, 48.4));
  BudgetUse use = MeasureBudget(BudgetScope::kTenant, "team-a", {100, *ParseBudgetPeriod("30d")}, data, now);
  ASSERT_NEAR(use.left_usd(), 3.2, 1e-9);
  CostEstimate small;
  small.usd = 3.2;
  EXPECT_TRUE(CheckEstimateFits(use, small).ok());
  CostEstimate big;
  big.usd = 12.24;
  big.basis = "4h (its time limit) x $3.06/h";
  Status s = CheckEstimateFits(use, big);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(
      s.message(),
      "tenant team-a's budget has $3.20 left of $100.00 for the 30 days to 2026-12-02T12:00:00.000Z; this "
      "job is estimated at $12.24 (4h (its time limit) x $3.06/h). Shorten its time_limit, or ask an admin "
      "to raise the budget");
}

}  // namespace
}  // namespace skyrun
