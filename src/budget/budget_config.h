// Money as a quota: budgets per tenant and per queue, in USD per period
// (period.h), from the server config's `budgets:` section:
//
//   budgets:
//     on_exceed: refuse            # refuse (the default) or hold (budget/hold.h)
//     tenants: {team-a: {usd: 100, period: 30d}}
//     queues:  {gpu: {usd: 500, period: week}}
//
// What is spent counts every cloud and registered cluster at the prices the
// cost report uses (accounting/report.h). docs/budgets.md has the rules.
// Callers: server/config.cc (ParseBudgets), the API server (admission,
// GET and PUT /v1/budgets), the controller's hold (budget/hold.h). Thread-safety: plain values; the parser is
// pure.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>

#include "budget/period.h"
#include "common/status.h"

namespace skyrun {

struct BudgetLimit {
  double usd = 0;
  BudgetPeriod period;
};

// What admission does with a job whose estimate exceeds what is left.
enum class OverBudgetAction { kRefuse, kHold };
const char* OverBudgetActionName(OverBudgetAction action);

struct BudgetSettings {
  OverBudgetAction on_exceed = OverBudgetAction::kRefuse;
  std::map<std::string, BudgetLimit> tenants;  // by tenant name
  std::map<std::string, BudgetLimit> queues;   // by queue name
  bool empty() const { return tenants.empty() && queues.empty(); }
};

// Reads the `budgets:` mapping of `file`; errors name FILE:LINE:COLUMN and
// the key (budgets.tenants.team-a.usd).
Status ParseBudgets(const std::string& file, const YAML::Node& node, BudgetSettings* out);

}  // namespace skyrun
