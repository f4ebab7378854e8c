// A job's own budget (spec `budget`, USD): what the job has cost so far, all
// attempts, the running ones up to now at their launch prices. When that
// reaches the budget, its running tasks are stopped like a cancel (SIGTERM,
// the attempt's kill grace to checkpoint, then SIGKILL) and Finish ends the
// job FAILED with the reason "budget $X reached". A recorded spot price change
// is not read here (it would cost a store read per cycle); the final bill
// (Finish) has it.
#include "accounting/cost.h"
#include "controller/controller.h"

namespace skyrun {

double Controller::JobCostSoFar(const LiveJob& job, Micros now) const {
  static const std::vector<PriceChange> kLaunchPrices;
  double usd = job.rec.cost_usd;  // finished attempts
  for (const AttemptRecord& a : job.attempts)
    usd += IsTerminal(a.state) ? a.cost_usd : WholeAttemptCost(a, kLaunchPrices, now);
  return usd;
}

std::string Controller::BudgetReachedReason(const LiveJob& job, double spent) const {
  return "budget " + FormatUsd(*job.rec.spec.budget_usd) + " reached (it has cost " + FormatUsd(spent) + ")";
}

void Controller::StopJobsOverBudget() {
  const Micros now = clock_->Now();
  for (auto& [id, job] : live_) {
    if (!job.rec.spec.budget_usd || job.launching || job.stopping || job.cancel_requested ||
        job.pending_move || job.attempts.empty() || IsTerminal(job.rec.state))
      continue;
    const double spent = JobCostSoFar(job, now);
    if (spent < *job.rec.spec.budget_usd) continue;
    job.budget_stop = BudgetReachedReason(job, spent);
    log_->Info("job " + id.ToString() + ": " + job.budget_stop + "; stopping its tasks");
    job.stopping = true;
    CancelTasks(job);
  }
}

}  // namespace skyrun
