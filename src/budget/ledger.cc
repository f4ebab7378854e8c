#include "budget/ledger.h"

#include "accounting/report.h"

namespace skyrun {

const char* BudgetScopeName(BudgetScope scope) {
  return scope == BudgetScope::kQueue ? "queue" : "tenant";
}

BudgetUse MeasureBudget(BudgetScope scope, const std::string& name, const BudgetLimit& limit,
                        const BillingData& data, Micros now) {
  BudgetUse use;
  use.scope = scope;
  use.name = name;
  use.limit = limit;
  use.window = WindowAt(limit.period, now);
  // A window that starts exactly now has spent nothing (and the report wants from < to).
  if (use.window.to <= use.window.from) return use;
  const CostGroup by = scope == BudgetScope::kQueue ? CostGroup::kQueue : CostGroup::kTenant;
  const CostReport report = BuildCostReport(data, use.window.from, use.window.to, now, by);
  for (const CostLine& line : report.lines)
    if (line.key == name) use.spent_usd += line.total_usd();
  return use;
}

Status CheckEstimateFits(const BudgetUse& use, const CostEstimate& estimate) {
  if (estimate.usd <= use.left_usd()) return Status::Ok();
  const std::string owner = std::string(BudgetScopeName(use.scope)) + " " + use.name + "'s budget";
  return ResourceExhausted(owner + " has " + FormatUsd(use.left_usd()) + " left of " +
                           FormatUsd(use.limit.usd) + " for " + DescribeWindow(use.limit.period, use.window) +
                           "; this job is estimated at " + FormatUsd(estimate.usd) + " (" + estimate.basis +
                           "). Shorten its time_limit, or ask an admin to raise the budget");
}

nlohmann::json BudgetUseToJson(const BudgetUse& use) {
  nlohmann::json j = {{"scope", BudgetScopeName(use.scope)},
                      {"name", use.name},
                      {"usd", use.limit.usd},
                      {"period", BudgetPeriodName(use.limit.period)},
                      {"from", FormatTimestamp(use.window.from)},
                      {"to", FormatTimestamp(use.window.to)},
                      {"spent_usd", use.spent_usd},
                      {"left_usd", use.left_usd()}};
  j["resets"] = use.window.resets ? nlohmann::json(FormatTimestamp(*use.window.resets)) : nlohmann::json();
  return j;
}

}  // namespace skyrun
