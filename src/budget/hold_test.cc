// on_exceed: hold — the gate: a job over what is left waits with the figures;
// running jobs keep their remaining estimate; a job let through is counted.
#include "budget/hold.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

BudgetSettings Settings() {
  BudgetSettings s;
  s.on_exceed = OverBudgetAction::kHold;
  s.tenants["alice"] = {10, *ParseBudgetPeriod("month")};
  s.queues["gpu"] = {100, *ParseBudgetPeriod("30d")};
  return s;
}

CostEstimate Estimate(double usd) {
  CostEstimate e;
  e.usd = usd;
  e.priced = true;
  e.basis = "test";
  return e;
}

BudgetUse Use(BudgetScope scope, const std::string& name, const BudgetLimit& limit, double spent,
              Micros now) {
  BudgetUse u;
  u.scope = scope;
  u.name = name;
  u.limit = limit;
  u.window = WindowAt(limit.period, now);
  u.spent_usd = spent;
  return u;
}

TEST(BudgetHoldTest, HeldWithTheFiguresAndCountedOnceLetThrough) {
  const Micros now = *ParseTimestamp("2026-12-02T12:00:00Z");
  BudgetGate gate(Settings());
  ASSERT_EQ(gate.Applying("alice", "gpu").size(), 2u);
  EXPECT_TRUE(gate.Applying("bob", "cpu").empty());
  gate.SetUse(Use(BudgetScope::kTenant, "alice", *gate.Limit(BudgetScope::kTenant, "alice"), 4, now));
  gate.SetUse(Use(BudgetScope::kQueue, "gpu", *gate.Limit(BudgetScope::kQueue, "gpu"), 0, now));
  // A running job of alice's, estimated at $5 of which $2 is spent: $3 kept. Left: 10 - 4 - 3 = 3.
  gate.Commit("alice", "gpu", 3);
  const std::string held = gate.Admit("alice", "gpu", Estimate(3.5));
  EXPECT_EQ(held,
            "held by tenant alice's budget (on_exceed: hold): $6.00 left of $10.00 for December 2026 (until "
            "2027-01-01T00:00:00.000Z) ($3.00 of it kept for 1 running job); this job is estimated at $3.50 "
            "(test). It starts when the period resets at 2027-01-01T00:00:00.000Z, when running jobs end "
            "below their estimates, or when an admin raises the budget");
  // $2 fits and is counted: a second $2 does not (3 - 2 = 1 left).
  EXPECT_EQ(gate.Admit("alice", "gpu", Estimate(2)), "");
  EXPECT_NE(gate.Admit("alice", "gpu", Estimate(2)).find("$5.00 of it kept for 2 running jobs"),
            std::string::npos);
  // Exactly what is left fits.
  EXPECT_EQ(gate.Admit("alice", "gpu", Estimate(1)), "");
  // Another tenant in no budgeted queue: never held.
  EXPECT_EQ(gate.Admit("bob", "cpu", Estimate(1e6)), "");
  // An estimate without a price (nothing known holds the job) is let through.
  CostEstimate unpriced;
  EXPECT_EQ(gate.Admit("alice", "gpu", unpriced), "");
}

TEST(BudgetHoldTest, TheQueueBudgetHoldsEveryTenantAndAnUnreadUseHolds) {
  const Micros now = *ParseTimestamp("2026-12-02T12:00:00Z");
  BudgetGate gate(Settings());
  gate.SetUse(Use(BudgetScope::kQueue, "gpu", *gate.Limit(BudgetScope::kQueue, "gpu"), 99, now));
  const std::string held = gate.Admit("carol", "gpu", Estimate(2));
  EXPECT_NE(
      held.find("held by queue gpu's budget (on_exceed: hold): $1.00 left of $100.00 for the 30 days to "),
      std::string::npos)
      << held;
  EXPECT_NE(held.find("as spending leaves the rolling window"), std::string::npos) << held;
  // alice's tenant budget was never measured (its store read failed): she waits.
  EXPECT_NE(gate.Admit("alice", "cpu", Estimate(0.5)).find("could not be read"), std::string::npos);
}

}  // namespace
}  // namespace skyrun
