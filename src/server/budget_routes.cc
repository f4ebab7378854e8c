#include "server/budget_routes.h"

#include <yaml-cpp/yaml.h>

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

// The deepest PUT /v1/budgets body: {tenants: {NAME: {usd: 1}}} is 3 levels.
constexpr int kMaxBodyDepth = 3;
// Names per PUT: far more than any real platform's tenants and queues, and a
// bound on what one request can make every cycle measure.
constexpr size_t kMaxBudgets = 10000;

bool WithinDepth(const nlohmann::json& j, int depth) {
  if (!j.is_object() && !j.is_array()) return true;
  if (depth <= 0) return false;
  for (const auto& v : j) {
    if (!WithinDepth(v, depth - 1)) return false;
  }
  return true;
}

}  // namespace

Result<nlohmann::json> BudgetsAs(Store& store, const TokenRecord& who, const BudgetOptions& options,
                                 Micros now) {
  nlohmann::json list = nlohmann::json::array();
  const bool admin = IsPlatformAdmin(who);
  const BudgetSettings settings = options.book ? options.book->Settings() : BudgetSettings{};
  for (const auto& [name, limit] : settings.tenants) {
    if (!admin && name != who.tenant_name) continue;
    SKYRUN_ASSIGN_OR_RETURN(BudgetUse use, Measure(store, BudgetScope::kTenant, name, limit, now));
    list.push_back(BudgetUseToJson(use));
  }
  for (const auto& [name, limit] : settings.queues) {
    SKYRUN_ASSIGN_OR_RETURN(BudgetUse use, Measure(store, BudgetScope::kQueue, name, limit, now));
    list.push_back(BudgetUseToJson(use));
  }
  nlohmann::json out{{"budgets", list},
                     {"on_exceed", OverBudgetActionName(settings.on_exceed)},
                     {"version", options.book ? options.book->Version() : 0}};
  if (admin && options.book) {
    nlohmann::json changes = nlohmann::json::array();
    for (const BudgetChange& c : options.book->Changes()) {
      changes.push_back({{"at", FormatTimestamp(c.at)},
                         {"by", c.by},
                         {"version", c.version},
                         {"before", c.before},
                         {"after", c.after}});
    }
    out["changes"] = changes;
  }
  return out;
}

Result<nlohmann::json> ReplaceBudgetsAs(Store& store, const TokenRecord& who, const BudgetOptions& options,
                                        const std::string& body, Micros now) {
  if (!IsPlatformAdmin(who)) {
    return PermissionDenied("only a platform admin can change budgets (this token is a " +
                            std::string(RoleName(who.role)) + " of tenant '" + who.tenant_name + "')");
  }
  if (!options.book) return FailedPrecondition("this server keeps no budgets");
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object())
    return InvalidArgument(
        "PUT /v1/budgets takes a JSON object, the config's budgets: section: {\"on_exceed\": \"hold\", "
        "\"tenants\": {\"team-a\": {\"usd\": 100, \"period\": \"30d\"}}, \"queues\": {}}");
  if (!WithinDepth(parsed, kMaxBodyDepth))
    return InvalidArgument("PUT /v1/budgets: nested deeper than budgets.tenants.NAME.usd");
  size_t names = 0;
  for (const char* key : {"tenants", "queues"})
    if (parsed.contains(key) && parsed[key].is_object()) names += parsed[key].size();
  if (names > kMaxBudgets)
    return InvalidArgument("PUT /v1/budgets: at most " + std::to_string(kMaxBudgets) + " budgets");
  // JSON is YAML: the config's own parser checks it, with the same messages.
  YAML::Node node;
  try {
    node = YAML::Load(parsed.dump());
  } catch (const YAML::Exception& e) {
    return InvalidArgument(std::string("PUT /v1/budgets: ") + e.what());
  }
  BudgetSettings next;
  SKYRUN_RETURN_IF_ERROR(ParseBudgets("PUT /v1/budgets", node, &next));
  options.book->Replace(std::move(next),
                        "platform admin tenant " + who.tenant_name + " (token " + who.id.ToString() + ")",
                        now);
  return BudgetsAs(store, who, options, now);
}

Status CheckBudgetAdmission(Store& store, const BudgetOptions& options, const JobSpec& spec,
                            const std::string& tenant_name, const std::vector<Node>& nodes, Micros now) {
  if (!options.book) return Status::Ok();
  const BudgetSettings settings = options.book->Settings();
  std::vector<std::pair<BudgetScope, std::pair<std::string, BudgetLimit>>> applies;
  if (auto it = settings.tenants.find(tenant_name); it != settings.tenants.end())
    applies.push_back({BudgetScope::kTenant, *it});
  if (auto it = settings.queues.find(spec.queue); it != settings.queues.end())
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
  // Holding: the controller keeps it queued until it fits (budget/hold.h).
  if (settings.on_exceed == OverBudgetAction::kHold) return Status::Ok();
  for (const auto& [scope, named] : applies) {
    SKYRUN_ASSIGN_OR_RETURN(BudgetUse use, Measure(store, scope, named.first, named.second, now));
    SKYRUN_RETURN_IF_ERROR(CheckEstimateFits(use, *estimate));
  }
  return Status::Ok();
}

}  // namespace skyrun
