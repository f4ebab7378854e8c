// `on_exceed: hold` in the scheduling cycle (budget/hold.h): a queued job
// whose estimate (budget/estimate.h: its time limit x the cheapest known
// placement) does not fit what its tenant's or queue's budget has left,
// after what running jobs may still spend, stays queued with the reason
// (`skyrun queue`, `skyrun status`: waiting for). Spending is read from the
// store's billing at most every kBudgetRemeasure, and at once when the
// budgets are replaced or a running job ends.
#include <algorithm>

#include "controller/controller.h"

namespace skyrun {

namespace {

constexpr Micros kBudgetRemeasure = kMicrosPerSecond;

}  // namespace

void Controller::NotifyBudgetsChanged() {
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    events_ready_ = true;  // wakes the loop: the held jobs are checked at the next cycle
  }
  inbox_cv_.notify_all();
}

std::unique_ptr<BudgetGate> Controller::BuildBudgetGate() {
  if (!options_.budgets) return nullptr;
  const BudgetSettings settings = options_.budgets->Settings();
  if (settings.on_exceed != OverBudgetAction::kHold || settings.empty()) return nullptr;
  auto gate = std::make_unique<BudgetGate>(settings);
  std::set<std::pair<BudgetScope, std::string>> needed;
  for (const auto& entry : queue_) {
    auto it = live_.find(entry.second);
    if (it == live_.end()) continue;
    for (const auto& applying : gate->Applying(it->second.rec.tenant_name, it->second.rec.queue))
      needed.insert(applying);
  }
  if (needed.empty()) return nullptr;

  std::vector<JobId> running;
  for (const auto& [id, job] : live_)
    if (job.reserved) running.push_back(id);
  const int64_t version = options_.budgets->Version();
  const Micros mono = clock_->MonotonicNow();
  const Micros now = clock_->Now();
  BudgetUses& cache = budget_uses_;
  if (cache.version != version || cache.running != running || mono - cache.measured >= kBudgetRemeasure) {
    cache.uses.clear();
    cache.version = version;
    cache.running = running;
    cache.measured = mono;
  }
  for (const auto& key : needed) {
    if (!cache.uses.count(key)) {
      const BudgetLimit* limit = gate->Limit(key.first, key.second);
      const PeriodWindow window = WindowAt(limit->period, now);
      auto data = store_->ListBilling(window.from, std::max(now, window.from + 1), std::nullopt);
      if (!data.ok()) {
        log_->Error("budget " + key.second + ": reading its spending: " + data.status().message());
        continue;  // its jobs wait (BudgetGate says why); read again at the next cycle
      }
      cache.uses[key] = MeasureBudget(key.first, key.second, *limit, *data, now);
    }
    gate->SetUse(cache.uses[key]);
  }
  {
    std::lock_guard<std::mutex> lock(nodes_mu_);
    budget_nodes_ = nodes_cache_;
  }
  // What each running job may still spend: its estimate less what it has cost so far.
  for (const auto& [id, job] : live_) {
    if (!job.reserved || gate->Applying(job.rec.tenant_name, job.rec.queue).empty()) continue;
    auto estimate = EstimateJobCost(job.rec.spec, TimeLimitOf(job.rec), budget_nodes_);
    if (!estimate.ok() || !estimate->priced) continue;
    gate->Commit(job.rec.tenant_name, job.rec.queue, estimate->usd - JobCostSoFar(job, now));
  }
  return gate;
}

std::string Controller::BudgetHoldReason(BudgetGate& gate, const LiveJob& job) {
  if (gate.Applying(job.rec.tenant_name, job.rec.queue).empty()) return "";
  auto estimate = EstimateJobCost(job.rec.spec, TimeLimitOf(job.rec), budget_nodes_);
  if (!estimate.ok()) {
    // Submission refuses such jobs; this one was queued before its budget existed.
    return "held: a budget applies to it and " + estimate.status().message() +
           " (cancel it and submit it again with one)";
  }
  return gate.Admit(job.rec.tenant_name, job.rec.queue, *estimate);
}

}  // namespace skyrun
