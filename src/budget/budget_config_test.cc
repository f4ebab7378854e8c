// The `budgets:` section: what it accepts, and each refusal with its place.
#include "budget/budget_config.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

Result<BudgetSettings> Parse(const std::string& yaml) {
  YAML::Node root = YAML::Load(yaml);
  BudgetSettings s;
  Status st = ParseBudgets("server.yaml", root["budgets"], &s);
  if (!st.ok()) return st;
  return s;
}

TEST(BudgetConfigTest, TenantsAndQueues) {
  auto s = Parse(
      "budgets:\n  tenants: {team-a: {usd: 100, period: 30d}}\n  queues:\n    gpu: {usd: 500.5, period: "
      "week}\n");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->tenants.count("team-a"), 1u);
  EXPECT_DOUBLE_EQ(s->tenants["team-a"].usd, 100);
  EXPECT_EQ(s->tenants["team-a"].period.rolling_seconds, 30 * 24 * 3600);
  EXPECT_DOUBLE_EQ(s->queues["gpu"].usd, 500.5);
  EXPECT_EQ(s->queues["gpu"].period.kind, PeriodKind::kWeek);
  EXPECT_EQ(s->on_exceed, OverBudgetAction::kRefuse);
  EXPECT_FALSE(s->empty());
}

TEST(BudgetConfigTest, HoldIsAccepted) {
  auto s = Parse("budgets: {on_exceed: hold, tenants: {a: {usd: 1, period: month}}}\n");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->on_exceed, OverBudgetAction::kHold);
  EXPECT_STREQ(OverBudgetActionName(s->on_exceed), "hold");
}

TEST(BudgetConfigTest, RefusalsNameTheirPlace) {
  struct Case {
    std::string yaml;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"budgets: {tenants: {a: {usd: 1}}}\n", "server.yaml:1:24: budgets.tenants.a: a budget needs a period"},
      {"budgets: {tenants: {a: {period: 7d}}}\n", "budgets.tenants.a: a budget needs usd"},
      {"budgets: {tenants: {a: {usd: -5, period: 7d}}}\n",
       "budgets.tenants.a.usd: expected an amount in USD"},
      {"budgets: {tenants: {a: {usd: ten, period: 7d}}}\n", "budgets.tenants.a.usd: wrong type"},
      {"budgets: {queues: {q: {usd: 5, period: fortnight}}}\n",
       "budgets.queues.q.period: a budget period is"},
      {"budgets: {queues: {q: {usd: 5, period: 7d, cap: 1}}}\n", "budgets.queues.q.cap: unknown setting"},
      {"budgets: {tenant: {}}\n", "budgets.tenant: unknown setting; did you mean 'tenants'?"},
      {"budgets: {on_exceed: warn}\n", "budgets.on_exceed: expected refuse or hold"},
      {"budgets: [1]\n", "budgets: expected a mapping"},
      {"budgets: {queues: [a]}\n", "budgets.queues: expected a mapping NAME"},
  };
  for (const Case& c : cases) {
    auto s = Parse(c.yaml);
    ASSERT_FALSE(s.ok()) << c.yaml;
    EXPECT_NE(s.status().message().find(c.expected), std::string::npos) << s.status().message();
  }
}

}  // namespace
}  // namespace skyrun
