#include "budget/budget_book.h"

namespace skyrun {

BudgetSettings BudgetBook::Settings() const {
  std::lock_guard<std::mutex> lock(mu_);
  return settings_;
}

int64_t BudgetBook::Version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return version_;
}

int64_t BudgetBook::Replace(BudgetSettings next, const std::string& by, Micros now) {
  std::lock_guard<std::mutex> lock(mu_);
  BudgetChange change;
  change.at = now;
  change.by = by;
  change.version = ++version_;
  change.before = BudgetSettingsToJson(settings_);
  change.after = BudgetSettingsToJson(next);
  settings_ = std::move(next);
  changes_.push_back(std::move(change));
  if (changes_.size() > kMaxChanges) changes_.erase(changes_.begin());
  return version_;
}

std::vector<BudgetChange> BudgetBook::Changes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return changes_;
}

nlohmann::json BudgetSettingsToJson(const BudgetSettings& settings) {
  auto limits = [](const std::map<std::string, BudgetLimit>& by_name) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [name, limit] : by_name)
      out[name] = {{"usd", limit.usd}, {"period", BudgetPeriodName(limit.period)}};
    return out;
  };
  return {{"on_exceed", OverBudgetActionName(settings.on_exceed)},
          {"tenants", limits(settings.tenants)},
          {"queues", limits(settings.queues)}};
}

}  // namespace skyrun
