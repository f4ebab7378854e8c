#include <algorithm>

#include "common/strings.h"
#include "controller/controller.h"
#include "controller/job_array.h"

namespace skyrun {

namespace {

TaskPlacement PlacementFromAttempt(const AttemptRecord& a, const Fleet& snap) {
  TaskPlacement p;
  p.rank = a.rank;
  p.node = a.node;
  if (const Node* n = snap.FindNode(a.node)) p.node_address = n->address;
  p.gpu_indices = a.gpu_indices;
  p.gpu_milli = a.gpu_milli;
  p.cpus_milli = a.cpus_milli;
  p.memory_mib = a.memory_mib;
  return p;
}

}  // namespace

bool Controller::CompileMatch(LiveJob& job) {
  auto m = JobMatch::Create(job.rec.spec, job.rec.tenant_name, job.rec.queue, fleet_);
  if (m.ok()) {
    job.match = std::move(m).value();
    return true;
  }
  // Checked at submission; this means the language changed under a stored job.
  MoveOrRetry(job, JobState::kFailed, "its requirements or rank no longer compile: " + m.status().message());
  return false;
}

JobMatcher* Controller::MatcherFor(LiveJob& job) {
  if (!job.match || (job.match->trivial() && !fleet_has_policies_)) return nullptr;
  if (fleet_dirty_) {
    // RunningTenants: who has tasks on each node now (tenant-aware policies).
    std::map<std::string, std::vector<std::string>> tenants_on;
    for (const auto& [id, j] : live_) {
      if (!j.reserved) continue;
      for (const auto& a : j.attempts) {
        auto& list = tenants_on[a.node];
        if (std::find(list.begin(), list.end(), j.rec.tenant_name) == list.end())
          list.push_back(j.rec.tenant_name);
      }
    }
    fleet_.Rebuild(snapshot_.nodes(), &tenants_on);
    fleet_dirty_ = false;
  }
  return job.match.get();
}

void Controller::EnsureCapabilities() {
  if (capabilities_set_) return;
  for (Driver* d : drivers_) snapshot_.SetCapabilities(d->Name(), d->Capabilities());
  capabilities_set_ = true;
}

// --- scheduling ---

void Controller::ScheduleQueue() {
  EnsureCapabilities();
  if (!scheduler_ready_) {
    // The profile was checked when the config was read; a bad one here keeps the default.
    auto s = Scheduler::Create(options_.scheduler_profile);
    if (s.ok()) scheduler_ = std::move(s).value();
    scheduler_ready_ = true;
  }
  std::vector<PendingJob> pending;
  pending.reserve(queue_.size());
  std::vector<JobId> gone;
  // Arrays with a %N limit: what their elements hold now (controller/job_array.h).
  ArrayGate arrays;
  for (const auto& [id, j] : live_)
    if (j.reserved) arrays.CountHolding(j.rec);
  // on_exceed: hold: what the budgets leave for queued jobs (budget_hold.cc); null when none applies.
  std::unique_ptr<BudgetGate> budgets = BuildBudgetGate();
  for (const auto& entry : queue_) {
    auto it = live_.find(entry.second);
    if (it == live_.end()) {
      gone.push_back(entry.second);
      continue;
    }
    LiveJob& job = it->second;
    if (job.cancel_requested) continue;
    if (budgets) {  // before the broker: a held job buys nothing
      std::string held = BudgetHoldReason(*budgets, job);
      if (!held.empty()) {
        job.pending_reason = std::move(held);
        continue;
      }
    }
    if (!ReadyToPlace(job)) continue;  // the broker has not chosen where yet
    if (!arrays.Admit(job.rec)) {
      job.pending_reason = ArrayGate::WaitReason(job.rec);
      continue;
    }
    PendingJob p;
    p.id = job.rec.id;
    p.priority = job.rec.priority;
    p.order = job.rec.id.value();
    p.spec = &job.rec.spec;
    p.matcher = MatcherFor(job);
    p.tenant = job.rec.tenant_name;
    if (auto limit = TimeLimitOf(job.rec)) p.time_limit = *limit * kMicrosPerSecond;
    pending.push_back(p);
  }
  for (JobId id : gone) {
    for (auto q = queue_.begin(); q != queue_.end(); ++q) {
      if (q->second == id) {
        queue_.erase(q);
        break;
      }
    }
  }
  if (pending.empty()) return;
  std::vector<Decision> decisions = scheduler_.Schedule(std::move(pending), snapshot_, clock_->Now());
  for (Decision& d : decisions) {
    auto it = live_.find(d.job);
    if (it == live_.end()) continue;
    LiveJob& job = it->second;
    if (d.kind == Decision::Kind::kWait) {
      job.pending_reason = d.reason;
      if (job.broker.on && job.broker.instances.empty()) {
        // The cluster chosen cannot take it now: the broker chooses again
        // after a pause (the fleet may have changed), not at every cycle.
        job.broker.chosen = false;
        job.broker.next_plan = clock_->MonotonicNow() + options_.retry_backoff;
        job.rec.spec = job.broker.spec;
      }
      continue;
    }
    fleet_dirty_ = true;
    // Who runs where changed: node policies that read RunningTenants may now say otherwise.
    if (fleet_has_policies_) snapshot_.Touch();
    job.pending_reason.clear();
    int priority = job.rec.priority;
    // The scheduler recorded the job's expected end (now + time limit) with
    // its bookings; StartAttempt forgets it if the attempt does not start.
    if (StartAttempt(job, std::move(d.placement))) queue_.erase({{-priority, d.job.value()}, d.job});
  }
}

Status Controller::CheckFeasible(const JobSpec& spec, const std::vector<Node>& nodes, JobMatcher* matcher) {
  std::unordered_map<std::string, BackendCapabilities> caps;
  for (Driver* d : drivers_) caps[d->Name()] = d->Capabilities();
  auto sched = Scheduler::Create(options_.scheduler_profile);
  if (!sched.ok()) return sched.status();
  return sched->CheckFeasible(spec, nodes, matcher, caps);
}

void Controller::RecordSchedulingLatency(Micros submitted_at) {
  double secs = static_cast<double>(clock_->Now() - submitted_at) / kMicrosPerSecond;
  if (secs < 0) secs = 0;
  metrics_.latency_count++;
  metrics_.latency_sum_seconds += secs;
  for (size_t i = 0; i < metrics_.latency_buckets.size(); ++i) {
    if (secs <= metrics_.latency_buckets[i]) metrics_.latency_counts[i]++;
  }
}

std::optional<int64_t> Controller::TimeLimitOf(const JobRecord& rec) const {
  if (rec.spec.time_limit_seconds) return rec.spec.time_limit_seconds;
  if (auto it = options_.queue_time_limits.find(rec.queue); it != options_.queue_time_limits.end())
    return it->second;
  return options_.default_time_limit_seconds;
}

void Controller::ReservePlacement(LiveJob& job) {
  if (job.reserved) return;
  EnsureCapabilities();
  std::vector<TaskPlacement> tasks;
  // Expected to end its time limit after it started (after a restart: the
  // earliest start of its tasks; one never seen running started now at the latest).
  Micros started = 0;
  for (const auto& a : job.attempts) {
    tasks.push_back(PlacementFromAttempt(a, snapshot_));
    snapshot_.Reserve(tasks.back());
    if (a.started_at > 0 && (started == 0 || a.started_at < started)) started = a.started_at;
  }
  if (started == 0) started = clock_->Now();
  std::optional<Micros> end;
  if (auto limit = TimeLimitOf(job.rec)) end = started + *limit * kMicrosPerSecond;
  snapshot_.SetExpectedEnd(job.rec.id, std::move(tasks), end);
  job.reserved = true;
  fleet_dirty_ = true;
}

void Controller::ReleasePlacement(LiveJob& job) {
  if (!job.reserved) return;
  EnsureCapabilities();
  for (const auto& a : job.attempts) snapshot_.Release(PlacementFromAttempt(a, snapshot_));
  snapshot_.ForgetExpectedEnd(job.rec.id);
  job.reserved = false;
  fleet_dirty_ = true;
}

}  // namespace skyrun
