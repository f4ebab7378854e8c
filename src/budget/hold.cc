#include "budget/hold.h"

namespace skyrun {

std::vector<std::pair<BudgetScope, std::string>> BudgetGate::Applying(const std::string& tenant,
                                                                      const std::string& queue) const {
  std::vector<std::pair<BudgetScope, std::string>> out;
  if (settings_.tenants.count(tenant)) out.emplace_back(BudgetScope::kTenant, tenant);
  if (settings_.queues.count(queue)) out.emplace_back(BudgetScope::kQueue, queue);
  return out;
}

const BudgetLimit* BudgetGate::Limit(BudgetScope scope, const std::string& name) const {
  const auto& by_name = scope == BudgetScope::kTenant ? settings_.tenants : settings_.queues;
  auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : &it->second;
}

BudgetGate::Account& BudgetGate::AccountOf(BudgetScope scope, const std::string& name) {
  return accounts_[{scope, name}];
}

void BudgetGate::SetUse(BudgetUse use) {
  Account& a = AccountOf(use.scope, use.name);
  a.use = std::move(use);
  a.measured = true;
}

void BudgetGate::Commit(const std::string& tenant, const std::string& queue, double usd) {
  if (!(usd > 0)) usd = 0;
  for (const auto& [scope, name] : Applying(tenant, queue)) {
    Account& a = AccountOf(scope, name);
    a.committed += usd;
    ++a.running;
  }
}

std::string BudgetGate::Admit(const std::string& tenant, const std::string& queue,
                              const CostEstimate& estimate) {
  const auto applying = Applying(tenant, queue);
  if (applying.empty() || !estimate.priced) return "";
  for (const auto& [scope, name] : applying) {
    Account& a = AccountOf(scope, name);
    if (!a.measured) {
      // The caller could not read what it spent (a store error): wait rather than guess.
      return std::string("held by ") + BudgetScopeName(scope) + " " + name +
             "'s budget: what it has spent could not be read; retried at the next cycle";
    }
    const double left = a.use.left_usd() - a.committed;
    if (estimate.usd <= left) continue;
    std::string held;
    if (a.running > 0) {
      held = " (" + FormatUsd(a.committed) + " of it kept for " + std::to_string(a.running) +
             (a.running == 1 ? " running job" : " running jobs") + ")";
    }
    std::string when = a.use.window.resets
                           ? "when the period resets at " + FormatTimestamp(*a.use.window.resets)
                           : "as spending leaves the rolling window";
    return std::string("held by ") + BudgetScopeName(scope) + " " + name +
           "'s budget (on_exceed: hold): " + FormatUsd(a.use.left_usd()) + " left of " +
           FormatUsd(a.use.limit.usd) + " for " + DescribeWindow(a.use.limit.period, a.use.window) + held +
           "; this job is estimated at " + FormatUsd(estimate.usd) + " (" + estimate.basis + "). It starts " +
           when + ", when running jobs end below their estimates, or when an admin raises the budget";
  }
  for (const auto& [scope, name] : applying) {
    Account& a = AccountOf(scope, name);
    a.committed += estimate.usd;
    ++a.running;
  }
  return "";
}

}  // namespace skyrun
