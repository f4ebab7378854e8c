// The budget ledger: what a budget has spent in its current window and what
// is left, and the admission rule "a job estimated at more than what is left
// is refused". Spent = the cost report's total (accounting/report.h: compute
// per second at the price in force, running attempts up to now, plus egress)
// for the budget's tenant or queue over the window (period.h).
//
// Callers: the API server (GET /v1/budgets, submission). Pure functions over
// billing data the caller reads from the store; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "budget/budget_config.h"
#include "budget/estimate.h"
#include "model/billing.h"
#include "nlohmann/json.hpp"

namespace skyrun {

enum class BudgetScope { kTenant, kQueue };
const char* BudgetScopeName(BudgetScope scope);

struct BudgetUse {
  BudgetScope scope = BudgetScope::kTenant;
  std::string name;  // the tenant's or the queue's
  BudgetLimit limit;
  PeriodWindow window;
  double spent_usd = 0;
  double left_usd() const { return limit.usd > spent_usd ? limit.usd - spent_usd : 0; }
};

// One budget's use as of `now`. `data` must hold the billing of its window
// (Store::ListBilling(window.from, now, ...)); rows of other tenants or
// queues are ignored.
BudgetUse MeasureBudget(BudgetScope scope, const std::string& name, const BudgetLimit& limit,
                        const BillingData& data, Micros now);

// ResourceExhausted, naming the budget, what is left of how much over which
// window, and the estimate with its basis, when the estimate exceeds what is
// left; OK otherwise.
Status CheckEstimateFits(const BudgetUse& use, const CostEstimate& estimate);

nlohmann::json BudgetUseToJson(const BudgetUse& use);

}  // namespace skyrun
