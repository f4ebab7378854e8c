#include "controller/controller.h"

#include <algorithm>

#include "common/strings.h"

namespace skyrun {

namespace {

TaskPlacement PlacementFromAttempt(const AttemptRecord& a, const ClusterSnapshot& snap) {
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

NodePredicate Controller::PredicateFor(LiveJob& job) {
  if (!job.match || (job.match->trivial() && !fleet_has_policies_)) return {};
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
  return job.match->Predicate(fleet_);
}

// --- scheduling ---

void Controller::ScheduleQueue() {
  // Strict priority order; a job that does not fit does not block smaller ones
  // behind it (no reservation yet: backfill freely).
  std::vector<JobId> placed;
  for (const auto& entry : queue_) {
    auto it = live_.find(entry.second);
    if (it == live_.end()) {
      placed.push_back(entry.second);
      continue;
    }
    if (TrySchedule(it->second)) placed.push_back(entry.second);
  }
  for (JobId id : placed) {
    auto it = live_.find(id);
    if (it == live_.end()) {
      for (auto q = queue_.begin(); q != queue_.end(); ++q) {
        if (q->second == id) {
          queue_.erase(q);
          break;
        }
      }
    } else {
      queue_.erase({{-it->second.rec.priority, id.value()}, id});
    }
  }
}

bool Controller::TrySchedule(LiveJob& job) {
  if (job.cancel_requested) return false;
  PlaceOutcome out = scheduler_.Place(job.rec.spec, snapshot_, PredicateFor(job));
  if (!out.placement) {
    job.pending_reason = out.reason;
    return false;
  }
  fleet_dirty_ = true;
  job.pending_reason.clear();
  return StartAttempt(job, std::move(*out.placement));
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

void Controller::ReservePlacement(LiveJob& job) {
  if (job.reserved) return;
  for (const auto& a : job.attempts) snapshot_.Reserve(PlacementFromAttempt(a, snapshot_));
  job.reserved = true;
  fleet_dirty_ = true;
}

void Controller::ReleasePlacement(LiveJob& job) {
  if (!job.reserved) return;
  for (const auto& a : job.attempts) snapshot_.Release(PlacementFromAttempt(a, snapshot_));
  job.reserved = false;
  fleet_dirty_ = true;
}

}  // namespace skyrun
