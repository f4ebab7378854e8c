// Attempt prices by hand: launch price, spot price changes, per-second
// billing, periods that cut a run.
#include "accounting/cost.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

constexpr Micros kS = kMicrosPerSecond;
constexpr Micros kT0 = 1'800'000'000LL * kS;

AttemptRecord Ran(Micros start, Micros end, double price) {
  AttemptRecord a;
  a.job_id = JobId(7);
  a.attempt_no = 2;
  a.rank = 1;
  a.started_at = start;
  a.ended_at = end;
  a.hourly_price = price;
  return a;
}

PriceChange Change(Micros at, double price, int rank = 1, int attempt = 2) {
  PriceChange c;
  c.job = JobId(7);
  c.attempt_no = attempt;
  c.rank = rank;
  c.at = at;
  c.usd_per_hour = price;
  return c;
}

TEST(AttemptCostTest, OnDemandKeepsItsLaunchPricePerSecond) {
  // 2 h at $3.60/h = $7.20; 90.2 s bills 91 s.
  EXPECT_DOUBLE_EQ(WholeAttemptCost(Ran(kT0, kT0 + 7200 * kS, 3.6), {}, 0), 7.2);
  EXPECT_DOUBLE_EQ(WholeAttemptCost(Ran(kT0, kT0 + 90 * kS + 200'000, 3.6), {}, 0), 3.6 * 91 / 3600);
  EXPECT_EQ(BilledSeconds(1), 1);
  EXPECT_EQ(BilledSeconds(kS), 1);
  EXPECT_EQ(BilledSeconds(0), 0);
}

TEST(AttemptCostTest, ASpotPriceChangeIsBilledFromTheChangeOn) {
  // 1 h at $1.00, then the price moves to $2.50 for the last 30 min; another
  // rank's and another attempt's changes do not apply.
  AttemptRecord a = Ran(kT0, kT0 + 5400 * kS, 1.0);
  std::vector<PriceChange> changes = {Change(kT0 + 3600 * kS, 2.5), Change(kT0 + 60 * kS, 99, /*rank=*/0),
                                      Change(kT0 + 60 * kS, 99, 1, /*attempt=*/1)};
  EXPECT_DOUBLE_EQ(WholeAttemptCost(a, changes, 0), 1.0 + 1.25);
  // Two changes, given out of order.
  changes.push_back(Change(kT0 + 1800 * kS, 0.5));
  EXPECT_DOUBLE_EQ(WholeAttemptCost(a, changes, 0), 0.5 + 0.25 + 1.25);
}

TEST(AttemptCostTest, APeriodCountsOnlyItsShareAndARunningTaskCountsToNow) {
  AttemptRecord a = Ran(kT0, kT0 + 4 * 3600 * kS, 2.0);  // $8 in all
  EXPECT_DOUBLE_EQ(AttemptCost(a, {}, kT0 + 3600 * kS, kT0 + 3 * 3600 * kS, 0), 4.0);
  EXPECT_DOUBLE_EQ(AttemptCost(a, {}, kT0 - 3600 * kS, kT0, 0), 0.0);
  // The two halves of a cut run add up to the whole (no second billed twice).
  AttemptRecord odd = Ran(kT0, kT0 + 10 * kS + 1, 3600.0);  // $1 per second, 11 s billed
  const Micros cut = kT0 + 5 * kS + 500'000;
  EXPECT_DOUBLE_EQ(AttemptCost(odd, {}, 0, cut, 0) + AttemptCost(odd, {}, cut, kT0 + 100 * kS, 0), 11.0);
  // Still running: to `now`.
  AttemptRecord running = Ran(kT0, 0, 1.0);
  EXPECT_DOUBLE_EQ(WholeAttemptCost(running, {}, kT0 + 1800 * kS), 0.5);
  // Never started: nothing.
  EXPECT_DOUBLE_EQ(WholeAttemptCost(Ran(0, 0, 5.0), {}, kT0), 0.0);
}

TEST(CostTest, FormatUsdKeepsCentsAndWhatIsBelowThem) {
  EXPECT_EQ(FormatUsd(12.244), "$12.24");
  EXPECT_EQ(FormatUsd(0), "$0.00");
  EXPECT_EQ(FormatUsd(0.0042), "$0.0042");
}

}  // namespace
}  // namespace skyrun
