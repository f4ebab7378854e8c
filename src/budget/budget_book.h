// The budgets in force, shared by the API server (admission, GET and PUT
// /v1/budgets) and the controller (jobs held by `on_exceed: hold`), so that
// an admin can change them without a restart: PUT /v1/budgets, or SIGHUP
// re-reading the server config. Every change is kept with who made it and
// when (the last kMaxChanges, newest last) for GET /v1/budgets.
//
// Callers: server_cli.cc builds one from the config; server.cc and
// budget_routes.cc read and replace it; the controller's budget hold reads
// it each cycle. Thread-safety: every method is thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "budget/budget_config.h"
#include "common/clock.h"
#include "nlohmann/json.hpp"

namespace skyrun {

struct BudgetChange {
  Micros at = 0;
  std::string by;  // "admin tenant ops (token 12)", "SIGHUP (config FILE)"
  int64_t version = 0;
  nlohmann::json before;  // BudgetSettingsToJson of each side
  nlohmann::json after;
};

class BudgetBook {
 public:
  static constexpr size_t kMaxChanges = 100;

  explicit BudgetBook(BudgetSettings initial = {}) : settings_(std::move(initial)) {}

  BudgetSettings Settings() const;
  // Starts at 1; each Replace adds one. The controller re-checks its held jobs when it moves.
  int64_t Version() const;
  // Puts `next` in force and records the change; returns the new version.
  int64_t Replace(BudgetSettings next, const std::string& by, Micros now);
  std::vector<BudgetChange> Changes() const;

 private:
  mutable std::mutex mu_;
  BudgetSettings settings_;
  int64_t version_ = 1;
  std::vector<BudgetChange> changes_;
};

// {"on_exceed": "hold", "tenants": {"a": {"usd": 100, "period": "30d"}}, "queues": {...}}:
// the shape PUT /v1/budgets takes (and ParseBudgets reads).
nlohmann::json BudgetSettingsToJson(const BudgetSettings& settings);

}  // namespace skyrun
