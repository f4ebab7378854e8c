#include "server/budget_routes.h"

#include <algorithm>

#include "budget/estimate.h"
#include "budget/ledger.h"
#include "server/auth.h"

namespace skyrun {

namespace {

// One budget as of now, from the store's billing over its window.
Result<BudgetUse> Measure(Store& store, BudgetScope scope, const std::string& name, const BudgetLimit& limit,
                          Micros now) {
  const PeriodWindow window = WindowAt(limit.period, now);
  // The store wants a period that ends after it starts; a calendar window
  // that begins this very microsecond has spent nothing anyway.
  SKYRUN_ASSIGN_OR_RETURN(BillingData data,
                          store.ListBilling(window.from, std::max(now, window.from + 1), std::nullopt));
  return MeasureBudget(scope, name, limit, data, now);
}

}  // namespace

Result<nlohmann::json> BudgetsAs(Store& store, const TokenRecord& who, const BudgetOptions& options,
                                 Micros now) {
  nlohmann::json list = nlohmann::json::array();
  const bool admin = IsPlatformAdmin(who);
  for (const auto& [name, limit] : options.settings.tenants) {
    if (!admin && name != who.tenant_name) continue;
    SKYRUN_ASSIGN_OR_RETURN(BudgetUse use, Measure(store, BudgetScope::kTenant, name, limit, now));
    list.push_back(BudgetUseToJson(use));
  }
  for (const auto& [name, limit] : options.settings.queues) {
    SKYRUN_ASSIGN_OR_RETURN(BudgetUse use, Measure(store, BudgetScope::kQueue, name, limit, now));
    list.push_back(BudgetUseToJson(use));
  }
  return nlohmann::json{{"budgets", list}, {"on_exceed", OverBudgetActionName(options.settings.on_exceed)}};
}

Status CheckBudgetAdmission(Store& store, const BudgetOptions& options, const JobSpec& spec,
                            const std::string& tenant_name, const std::vector<Node>& nodes, Micros now) {
  std::vector<std::pair<BudgetScope, std::pair<std::string, BudgetLimit>>> applies;
  if (auto it = options.settings.tenants.find(tenant_name); it != options.settings.tenants.end())
    applies.push_back({BudgetScope::kTenant, *it});
  if (auto it = options.settings.queues.find(spec.queue); it != options.settings.queues.end())
    applies.push_back({BudgetScope::kQueue, *it});
  if (applies.empty()) return Status::Ok();

  // The limit the controller applies when the spec sets none.
  std::optional<int64_t> limit = options.default_time_limit_seconds;
  if (auto q = options.queue_time_limits.find(spec.queue); q != options.queue_time_limits.end())
    limit = q->second;
  auto estimate = EstimateJobCost(spec, limit, nodes);
  if (!estimate.ok()) {
    return estimate.status().WithContext(std::string(BudgetScopeName(applies.front().first)) + " " +
                                         applies.front().second.first + " has a budget");
  }
  // Nothing known can hold it (capacity bought on demand): nothing to weigh
  // it by here; the job's own budget (spec `budget`) still stops it.
  if (!estimate->priced) return Status::Ok();
  for (const auto& [scope, named] : applies) {
    SKYRUN_ASSIGN_OR_RETURN(BudgetUse use, Measure(store, scope, named.first, named.second, now));
    SKYRUN_RETURN_IF_ERROR(CheckEstimateFits(use, *estimate));
  }
  return Status::Ok();
}

}  // namespace skyrun
