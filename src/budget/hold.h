// `on_exceed: hold`: which queued jobs over budget wait, and why. One gate is
// built per scheduling cycle from each budget's use (ledger.h: what it has
// spent in its window, as of now) and what the jobs that already run are
// still expected to spend (their estimate less what they have cost so far,
// never below zero). A queued job starts only when its estimate fits what is
// left of its tenant's and its queue's budgets after both; each job let
// through is counted at once, so two jobs that each fit but not together do
// not both start. A held job starts when the period rolls over (or spending
// leaves a rolling window), when an admin raises the budget, or when a
// running job ends cheaper than estimated (its remainder is released).
//
// Callers: the controller's scheduling cycle (controller/budget_hold.cc).
// Thread-safety: none; one gate per cycle on the controller's thread.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "budget/budget_config.h"
#include "budget/estimate.h"
#include "budget/ledger.h"

namespace skyrun {

class BudgetGate {
 public:
  explicit BudgetGate(BudgetSettings settings) : settings_(std::move(settings)) {}

  // The budgets that apply to a job of `tenant` in `queue` (tenant first): what
  // the caller must Measure before it asks Admit.
  std::vector<std::pair<BudgetScope, std::string>> Applying(const std::string& tenant,
                                                            const std::string& queue) const;
  const BudgetLimit* Limit(BudgetScope scope, const std::string& name) const;

  void SetUse(BudgetUse use);
  // A running job of `tenant` in `queue` may still spend `usd` (>= 0).
  void Commit(const std::string& tenant, const std::string& queue, double usd);

  // "" when the job's estimate fits every budget that applies (it is then
  // committed); else why it is held, with the figures. An unpriced estimate
  // (no known node can hold it) is let through, as admission does.
  std::string Admit(const std::string& tenant, const std::string& queue, const CostEstimate& estimate);

 private:
  struct Account {
    BudgetUse use;
    bool measured = false;
    double committed = 0;  // what running jobs may still spend
    int running = 0;
  };
  Account& AccountOf(BudgetScope scope, const std::string& name);

  BudgetSettings settings_;
  std::map<std::pair<BudgetScope, std::string>, Account> accounts_;
};

}  // namespace skyrun
