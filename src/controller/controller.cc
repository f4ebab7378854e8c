#include "controller/controller.h"

#include <algorithm>
#include <set>

#include "common/net.h"
#include "common/strings.h"
#include "controller/pipeline.h"
#include "uploads/upload_store.h"

namespace skyrun {

Controller::Controller(Store* store, std::vector<Driver*> drivers, Clock* clock, SpecDecoder decoder,
                       ControllerOptions options)
    : store_(store),
      drivers_(std::move(drivers)),
      clock_(clock),
      decoder_(std::move(decoder)),
      options_(std::move(options)),
      log_(options_.logger ? options_.logger : NullLogger()) {
  metrics_.latency_counts.assign(metrics_.latency_buckets.size(), 0);
}

Controller::~Controller() { Stop(); }

Status Controller::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    RefreshInventory(/*all=*/true);
    SKYRUN_RETURN_IF_ERROR(Recover());
  }
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void Controller::Stop() {
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    stop_ = true;
  }
  inbox_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Controller::NotifySubmitted(JobId id) {
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    submitted_inbox_.push_back(id);
  }
  inbox_cv_.notify_all();
}

void Controller::NotifyCancel(JobId id) {
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    cancel_inbox_.push_back(id);
  }
  inbox_cv_.notify_all();
}

void Controller::Loop() {
  while (true) {
    RunOnce();
    std::unique_lock<std::mutex> lock(inbox_mu_);
    if (stop_) return;
    inbox_cv_.wait_for(lock, std::chrono::microseconds(options_.poll_interval), [this] {
      return stop_ || !submitted_inbox_.empty() || !cancel_inbox_.empty();
    });
    if (stop_) return;
  }
}

void Controller::RunOnce() {
  std::lock_guard<std::mutex> lock(mu_);
  RefreshInventory();
  DrainInbox();
  Upkeep();
  // Backends are polled at their own pace: squeue every cycle would load slurmctld.
  const Micros now = clock_->MonotonicNow();
  std::set<const Driver*> poll_due;
  for (Driver* d : drivers_) {
    Micros& next = next_poll_[d->Name()];
    if (now < next) continue;
    poll_due.insert(d);
    next = now + d->PollInterval();
  }
  // Follow what runs (this frees resources), then place what waits.
  std::vector<JobId> ids;
  ids.reserve(live_.size());
  for (auto& [id, job] : live_) ids.push_back(id);
  for (JobId id : ids) {
    auto it = live_.find(id);
    if (it == live_.end()) continue;
    LiveJob& job = it->second;
    if (job.pending_move) continue;  // Upkeep retries it first
    if (job.cancel_requested) HandleCancel(job);
    if (!job.pending_move && !IsTerminal(job.rec.state) && !job.attempts.empty() &&
        poll_due.count(job.driver))
      PollJob(job);
  }
  Upkeep();
  // A lost attempt asked for its backend's inventory again (a node went
  // down): read it before placing anything, so nothing goes back to that node.
  RefreshInventory();
  ScheduleQueue();
  metrics_.scheduling_cycles++;
}

void Controller::RefreshInventory(bool all) {
  const Micros now = clock_->MonotonicNow();
  bool changed = false;
  for (Driver* d : drivers_) {
    const std::string name = d->Name();
    auto next = next_inventory_.find(name);
    if (!all && next != next_inventory_.end() && now < next->second) continue;
    const Micros every = d->InventoryInterval() > 0 ? d->InventoryInterval() : options_.inventory_interval;
    next_inventory_[name] = now + every;
    std::vector<Node> mine;
    auto inv = d->Inventory();
    if (inv.ok()) {  // a backend that cannot answer now offers nothing now
      for (auto& n : *inv)
        if (n.backend == name) mine.push_back(std::move(n));
    }
    if (Status s = store_->ReplaceNodes(name, mine); !s.ok()) {
      // Only `skyrun nodes` reads them there; the next inventory writes them again.
      log_->Warn("storing the " + std::to_string(mine.size()) + " node(s) of backend " + name +
                 " failed: " + s.ToString());
    }
    inventory_[name] = std::move(mine);
    changed = true;
  }
  if (!changed) return;
  std::vector<Node> nodes;
  for (Driver* d : drivers_) {
    const auto& mine = inventory_[d->Name()];
    nodes.insert(nodes.end(), mine.begin(), mine.end());
  }
  {
    std::lock_guard<std::mutex> lock(nodes_mu_);
    nodes_cache_ = nodes;
  }
  fleet_dirty_ = true;
  fleet_has_policies_ = false;
  for (const auto& n : nodes)
    for (const auto& [key, value] : n.attributes) fleet_has_policies_ |= EqualsIgnoreCase(key, "Policy");
  snapshot_.SetNodes(std::move(nodes));
}

Driver* Controller::DriverFor(const std::string& backend) {
  for (Driver* d : drivers_)
    if (d->Name() == backend) return d;
  return nullptr;
}

std::string Controller::JobDir(JobId id) const { return options_.state_dir + "/jobs/" + id.ToString(); }

Status Controller::Move(LiveJob& job, JobState to, const std::string& reason, Transition t) {
  t.job = job.rec.id;
  t.from = job.rec.state;
  t.to = to;
  t.reason = reason;
  Status s = store_->ApplyTransition(t);
  if (!s.ok()) {
    log_->Error("job " + job.rec.id.ToString() + ": storing " + JobStateName(t.from) + " -> " +
                JobStateName(to) + " (" + reason + ") failed: " + s.ToString());
    return s;
  }
  log_->Info("job " + job.rec.id.ToString() + ": " + JobStateName(t.from) + " -> " + JobStateName(to) + ": " +
             reason);
  job.rec.state = to;
  job.rec.reason = reason;
  if (t.attempt_no) job.rec.attempt_no = *t.attempt_no;
  if (t.restarts) job.rec.restarts = *t.restarts;
  if (t.add_cost_usd) job.rec.cost_usd += *t.add_cost_usd;
  return Status::Ok();
}
bool Controller::MoveOrRetry(LiveJob& job, JobState to, const std::string& reason, Transition extra,
                             bool requeue) {
  if (Move(job, to, reason, extra).ok()) {
    if (requeue) Requeue(job);
    return true;
  }
  PendingMove p;
  p.to = to;
  p.reason = reason;
  p.extra = std::move(extra);
  p.requeue = requeue;
  p.backoff = 100 * kMicrosPerMilli;
  p.next_try = clock_->MonotonicNow() + p.backoff;
  job.pending_move = std::move(p);
  log_->Warn("job " + job.rec.id.ToString() + ": kept in memory; storing " + JobStateName(to) +
             " is retried from the next cycle");
  return false;
}

void Controller::Requeue(LiveJob& job) {
  // The attempt is over: its handles are never asked about again.
  if (job.driver)
    for (const auto& a : job.attempts) job.driver->Forget(a.handle);
  job.attempts.clear();
  job.attempts_unsaved = false;
  queue_.insert({{-job.rec.priority, job.rec.id.value()}, job.rec.id});
}

void Controller::SaveAttempts(LiveJob& job, const std::vector<AttemptRecord>& rows) {
  if (rows.empty()) return;
  Status s = store_->UpdateAttempts(rows);
  if (s.ok()) return;
  log_->Warn("job " + job.rec.id.ToString() + ": storing the state of " + std::to_string(rows.size()) +
             " task(s) failed: " + s.ToString() + "; retried next cycle");
  job.attempts_unsaved = true;
}

bool Controller::CancelTasks(LiveJob& job) {
  bool all = true;
  for (const auto& a : job.attempts) {
    if (IsTerminal(a.state)) continue;
    if (Status s = job.driver->Cancel(a.handle); !s.ok()) {
      log_->Warn("job " + job.rec.id.ToString() + " rank " + std::to_string(a.rank) + ": cancelling task " +
                 a.handle + " failed: " + s.ToString() + "; asked again next cycle");
      all = false;
    }
  }
  return all;
}

void Controller::Upkeep() {
  const Micros now = clock_->MonotonicNow();
  for (auto it = live_.begin(); it != live_.end();) {
    LiveJob& job = it->second;
    if (job.pending_move && now >= job.pending_move->next_try) {
      PendingMove p = *job.pending_move;
      if (Move(job, p.to, p.reason, p.extra).ok()) {
        job.pending_move.reset();
        if (p.requeue) Requeue(job);
      } else {
        job.pending_move->backoff = std::min<Micros>(2 * p.backoff, 30 * kMicrosPerSecond);
        job.pending_move->next_try = now + job.pending_move->backoff;
      }
    }
    if (job.attempts_unsaved && !job.pending_move && !job.attempts.empty()) {
      job.attempts_unsaved = false;
      SaveAttempts(job, job.attempts);
    }
    if (IsTerminal(job.rec.state) && !job.pending_move) {
      // The job is over: its driver may drop what it kept for its tasks.
      if (job.driver)
        for (const auto& a : job.attempts) job.driver->Forget(a.handle);
      ReleasePlacement(job);
      for (auto q = queue_.begin(); q != queue_.end(); ++q) {
        if (q->second == it->first) {
          queue_.erase(q);
          break;
        }
      }
      it = live_.erase(it);
      continue;
    }
    ++it;
  }
}

// --- queries ---

std::string Controller::PendingReason(JobId id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(id);
  return it == live_.end() ? "" : it->second.pending_reason;
}

std::vector<NodeView> Controller::Nodes() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<NodeView> out;
  for (const auto& n : snapshot_.nodes()) out.push_back({n, snapshot_.UsageOf(n.name)});
  return out;
}

Result<std::vector<std::pair<int, std::string>>> Controller::LogPaths(JobId id, int attempt_no) {
  SKYRUN_ASSIGN_OR_RETURN(auto job, store_->GetJob(id));
  if (attempt_no <= 0) attempt_no = job.attempt_no;
  SKYRUN_ASSIGN_OR_RETURN(auto attempts, store_->ListAttempts(id));
  std::vector<std::pair<int, std::string>> out;
  for (const auto& a : attempts) {
    if (a.attempt_no != attempt_no) continue;
    Driver* d = DriverFor(a.backend);
    std::string path = d ? d->LogPath(a.handle) : "";
    out.emplace_back(a.rank, path);
  }
  std::sort(out.begin(), out.end());
  return out;
}

ControllerMetrics Controller::Metrics() {
  std::lock_guard<std::mutex> lock(mu_);
  ControllerMetrics m = metrics_;
  m.queue_length = static_cast<int64_t>(queue_.size());
  m.running_jobs = 0;
  for (const auto& [id, j] : live_)
    if (j.rec.state == JobState::kRunning) m.running_jobs++;
  return m;
}

}  // namespace skyrun
