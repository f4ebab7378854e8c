#include "budget/budget_config.h"

#include <cmath>

#include "common/yaml_reader.h"
#include "common/yaml_where.h"

namespace skyrun {

const char* OverBudgetActionName(OverBudgetAction action) {
  return action == OverBudgetAction::kHold ? "hold" : "refuse";
}

namespace {

// The most one budget may hold: a typo of a few zeros is refused, not obeyed.
constexpr double kMaxUsd = 1e9;

Status ParseLimits(const std::string& file, const YAML::Node& n, const std::string& path,
                   std::map<std::string, BudgetLimit>* out) {
  if (!n.IsMap())
    return InvalidArgument(YamlWhere(file, n, path) + ": expected a mapping NAME: {usd: 100, period: 30d}");
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string name = it->first.as<std::string>();
    const std::string where = path + "." + name;
    if (name.empty()) return InvalidArgument(YamlWhere(file, it->first, path) + ": a budget needs a name");
    YamlMapReader r(it->second, file, where);
    SKYRUN_RETURN_IF_ERROR(r.CheckKeys({"usd", "period"}));
    if (!it->second["usd"]) return r.RefuseEntry("a budget needs usd (the amount per period, e.g. usd: 100)");
    if (!it->second["period"])
      return r.RefuseEntry("a budget needs a period: a rolling window (30d, 7d, 12h) or month or week");
    BudgetLimit limit;
    SKYRUN_RETURN_IF_ERROR(r.Get("usd", &limit.usd));
    if (!std::isfinite(limit.usd) || limit.usd < 0 || limit.usd > kMaxUsd)
      return r.Refuse("usd", "expected an amount in USD from 0 to 1e9");
    std::string period_text;
    SKYRUN_RETURN_IF_ERROR(r.Get("period", &period_text));
    auto period = ParseBudgetPeriod(period_text);
    if (!period.ok()) return r.Refuse("period", period.status().message());
    limit.period = *period;
    (*out)[name] = limit;
  }
  return Status::Ok();
}

}  // namespace

Status ParseBudgets(const std::string& file, const YAML::Node& node, BudgetSettings* out) {
  YamlMapReader r(node, file, "budgets");
  if (!node.IsMap()) return r.RefuseEntry("expected a mapping {on_exceed, tenants, queues}");
  SKYRUN_RETURN_IF_ERROR(r.CheckKeys({"on_exceed", "tenants", "queues"}));
  std::string action = "refuse";
  SKYRUN_RETURN_IF_ERROR(r.Get("on_exceed", &action));
  if (action == "refuse") {
    out->on_exceed = OverBudgetAction::kRefuse;
  } else if (action == "hold") {
    out->on_exceed = OverBudgetAction::kHold;
  } else {
    return r.Refuse("on_exceed", "expected refuse or hold, not '" + action.substr(0, 64) + "'");
  }
  if (node["tenants"])
    SKYRUN_RETURN_IF_ERROR(ParseLimits(file, node["tenants"], "budgets.tenants", &out->tenants));
  if (node["queues"])
    SKYRUN_RETURN_IF_ERROR(ParseLimits(file, node["queues"], "budgets.queues", &out->queues));
  return Status::Ok();
}

}  // namespace skyrun
