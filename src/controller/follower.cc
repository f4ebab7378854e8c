#include <algorithm>

#include "accounting/cost.h"
#include "accounting/data_egress.h"
#include "controller/controller.h"

namespace skyrun {

namespace {

std::string DescribeExit(const TaskStatus& st) {
  if (!st.reason.empty()) return st.reason;
  if (st.exit_code) return "exit code " + std::to_string(*st.exit_code);
  return RunStateName(st.state);
}

bool ExitIsRecoverable(const RecoveryPolicy& policy, int code) {
  if (policy.strategy == "none") return false;
  if (!policy.recover_on_exit_codes.empty()) {
    return std::find(policy.recover_on_exit_codes.begin(), policy.recover_on_exit_codes.end(), code) !=
           policy.recover_on_exit_codes.end();
  }
  return policy.max_restarts_on_errors > 0 && code != 0;
}

}  // namespace

// --- following running attempts ---

void Controller::ApplyTaskStates(LiveJob& job, const std::map<std::string, const TaskStatus*>& states) {
  if (!job.driver) return;
  bool answered = false;
  for (const auto& a : job.attempts) answered = answered || states.count(a.handle);
  if (!answered) return;  // launched after the poll was asked
  std::vector<AttemptRecord> changed;
  bool any_failed = false;
  // The job's recorded price changes, read once when one of its tasks ends.
  std::optional<std::vector<PriceChange>> price_changes;
  for (auto& a : job.attempts) {
    if (IsTerminal(a.state)) {
      if (a.state != RunState::kSucceeded) any_failed = true;
      continue;
    }
    auto found = states.find(a.handle);
    if (found == states.end()) continue;
    const TaskStatus& st = *found->second;
    if (st.state == a.state) continue;
    if (st.state == RunState::kPending || st.state == RunState::kLaunching) {
      if (a.state == RunState::kLaunching) continue;
    }
    a.state = st.state;
    if (!st.moved.Empty()) a.moved = st.moved;
    if (st.started_at > 0 && a.started_at == 0) a.started_at = st.started_at;
    if (a.state == RunState::kRunning && a.started_at == 0) a.started_at = clock_->Now();
    if (IsTerminal(a.state)) {
      a.ended_at = st.ended_at > 0 ? st.ended_at : clock_->Now();
      a.exit_code = st.exit_code;
      a.reason = DescribeExit(st);
      if (!price_changes) {
        auto listed = store_->ListPriceChanges(job.rec.id);
        if (!listed.ok()) {
          log_->Warn("job " + job.rec.id.ToString() + ": reading its price changes failed (" +
                     listed.status().ToString() + "); rank " + std::to_string(a.rank) +
                     " is billed at its launch price");
        }
        price_changes = listed.ok() ? std::move(listed).value() : std::vector<PriceChange>{};
      }
      a.cost_usd = WholeAttemptCost(a, *price_changes, clock_->Now());
      RecordMovedEgress(job, a, st.moved);
      if (a.state != RunState::kSucceeded) any_failed = true;
    }
    changed.push_back(a);
  }

  bool all_terminal = std::all_of(job.attempts.begin(), job.attempts.end(),
                                  [](const AttemptRecord& a) { return IsTerminal(a.state); });
  bool all_started = std::all_of(job.attempts.begin(), job.attempts.end(), [](const AttemptRecord& a) {
    return a.state == RunState::kRunning || IsTerminal(a.state);
  });

  if (all_terminal) {
    // Finish() writes the attempt rows with the job's transition, atomically.
    Finish(job);
    return;
  }
  if (!changed.empty()) SaveAttempts(job, changed);
  if (job.rec.state == JobState::kScheduled && all_started) {
    std::string where = job.rec.placement;
    if (Status s = Move(job, JobState::kRunning,
                        "all " + std::to_string(job.attempts.size()) + " task(s) started on " + where);
        !s.ok()) {
      // Move logged it; the condition still holds at the next poll, which tries again.
    }
  }
  if (any_failed && !job.stopping && !job.cancel_requested) {
    // One rank failed: a gang cannot go on without it; stop the others so the
    // whole attempt ends and recovery can place it again.
    job.stopping = true;
    CancelTasks(job);
  }
}

void Controller::RecordMovedEgress(const LiveJob& job, const AttemptRecord& a, const DataMoved& moved) {
  if (!options_.catalog || (moved.in_by_location.empty() && moved.out_by_location.empty())) return;
  // Where the task ran: the broker's choice, else its backend as a provider
  // ("local", "slurm/hpc1": a registered cluster of the catalog).
  Location place{a.backend, ""};
  std::string name = a.backend;
  if (job.broker.on && job.broker.chosen) {
    place = job.broker.place;
    name = job.broker.region;
  }
  for (EgressCharge charge : MovedDataCharges(moved, place, name, *options_.catalog)) {
    charge.job = job.rec.id;
    charge.attempt_no = a.attempt_no;
    charge.at = a.ended_at;
    if (Status s = store_->RecordEgress(charge); !s.ok())
      log_->Warn("job " + job.rec.id.ToString() + ": recording the egress of " + charge.source + " -> " +
                 charge.destination + " failed: " + s.ToString());
  }
}

void Controller::Finish(LiveJob& job) {
  ReleasePlacement(job);
  Transition t;
  t.updated_attempts = job.attempts;
  double cost = 0;
  for (const auto& a : job.attempts) cost += a.cost_usd;
  t.add_cost_usd = cost;
  job.stopping = false;

  const AttemptRecord* first_failure = nullptr;
  for (const auto& a : job.attempts) {
    if (a.state == RunState::kSucceeded) continue;
    // The rank that failed on its own, not one we stopped because of it.
    if (!first_failure || (first_failure->state == RunState::kKilled && a.state != RunState::kKilled) ||
        (a.state == first_failure->state && a.ended_at < first_failure->ended_at))
      first_failure = &a;
  }
  // A final state the store refuses is kept and retried (MoveOrRetry);
  // Upkeep drops the job once it is stored.
  auto done = [&](JobState to, const std::string& reason) { MoveOrRetry(job, to, reason, t); };

  if (job.cancel_requested && first_failure) {
    done(JobState::kCancelled, "cancelled by request");
    return;
  }
  if (!job.budget_stop.empty() && first_failure) {
    done(JobState::kFailed, job.budget_stop);
    return;
  }
  // An attempt that ended otherwise is not tried again once the job's own
  // budget is spent: another attempt would spend more than it allows.
  if (first_failure && job.rec.spec.budget_usd && job.rec.cost_usd + cost >= *job.rec.spec.budget_usd) {
    done(JobState::kFailed,
         first_failure->reason + "; not tried again: " + BudgetReachedReason(job, job.rec.cost_usd + cost));
    return;
  }
  if (!first_failure) {
    done(JobState::kSucceeded, "all " + std::to_string(job.attempts.size()) + " task(s) exited 0");
    return;
  }
  std::string who = job.attempts.size() > 1 ? "rank " + std::to_string(first_failure->rank) + ": " : "";
  const RecoveryPolicy& policy = job.rec.spec.recovery;
  std::string failure = who + first_failure->reason;

  if (first_failure->state == RunState::kLost) {
    // Infrastructure failure (node lost, preempted, supervisor died): not the
    // user's error, so it does not count against max_restarts_on_errors.
    job.infra_recoveries++;
    // The backend's fleet changed under it (a node died, a VM was reclaimed):
    // read its inventory again before the job is placed anew.
    job.await_inventory = first_failure->backend;
    if (policy.strategy == "none") {
      done(JobState::kFailed, failure + " (recovery.strategy is none)");
    } else if (job.infra_recoveries > options_.max_infra_recoveries) {
      done(JobState::kFailed, failure + " (gave up after " + std::to_string(options_.max_infra_recoveries) +
                                  " infrastructure recoveries)");
    } else {
      MoveOrRetry(job, JobState::kRecovering, failure + "; placing it again", t, /*requeue=*/true);
    }
    return;
  }
  int code = first_failure->exit_code.value_or(-1);
  if (first_failure->exit_code && ExitIsRecoverable(policy, code)) {
    if (job.rec.restarts < policy.max_restarts_on_errors) {
      t.restarts = job.rec.restarts + 1;
      MoveOrRetry(job, JobState::kRecovering,
                  failure + "; restart " + std::to_string(job.rec.restarts + 1) + " of " +
                      std::to_string(policy.max_restarts_on_errors),
                  t, /*requeue=*/true);
      return;
    }
    done(JobState::kFailed, failure + "; restart limit reached (recovery.max_restarts_on_errors = " +
                                std::to_string(policy.max_restarts_on_errors) + ")");
    return;
  }
  std::string why = failure;
  if (first_failure->exit_code && !policy.recover_on_exit_codes.empty()) {
    why += " (not in recovery.recover_on_exit_codes)";
  }
  done(JobState::kFailed, why);
}

void Controller::HandleCancel(LiveJob& job) {
  if (job.launching) return;  // its tasks' handles come with the launch's answer
  if (job.attempts.empty()) {
    if (!IsTerminal(job.rec.state))
      MoveOrRetry(job, JobState::kCancelled, "cancelled by request before it ran");
    return;
  }
  if (!job.stopping) {
    job.stopping = true;
    CancelTasks(job);
  }
}

}  // namespace skyrun
