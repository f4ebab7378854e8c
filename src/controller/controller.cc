#include "controller/controller.h"

#include <algorithm>
#include <set>

#include "common/net.h"
#include "common/strings.h"
#include "controller/pipeline.h"
#include "optimizer/market_catalog.h"
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
  auto first = std::make_shared<View>();
  first->metrics = metrics_;
  view_ = std::move(first);
  for (Driver* d : drivers_) {
    workers_.push_back(std::make_unique<BackendWorker>(d, [this] {
      {
        std::lock_guard<std::mutex> lock(inbox_mu_);
        events_ready_ = true;
      }
      inbox_cv_.notify_all();
    }));
    if (CapacityPool* pool = d->Capacity()) pools_.push_back({d->Name(), pool});
  }
  Market world;
  if (options_.catalog) world = MarketOf(*options_.catalog, options_.directory);
  provisioner_ = std::make_unique<Provisioner>(
      pools_, std::move(world), store_, clock_,
      [this] {
        {
          std::lock_guard<std::mutex> lock(inbox_mu_);
          events_ready_ = true;
        }
        inbox_cv_.notify_all();
      },
      log_, options_.block_hold);
}

Controller::~Controller() {
  Stop();
}

Status Controller::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    RequestInventories(/*all=*/true);
  }
  // Re-adopting running jobs reserves their nodes: wait (bounded) for them.
  if (!WaitForBackends(options_.start_inventory_wait))
    log_->Warn(
        "a backend did not answer its first inventory within the start wait; its nodes join when it does");
  {
    std::lock_guard<std::mutex> lock(mu_);
    ConsumeEvents();
    SKYRUN_RETURN_IF_ERROR(Recover());
    Publish(/*force=*/true);
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
  provisioner_->Stop();
  for (auto& w : workers_) {
    if (w->Stop(options_.worker_stop_wait)) continue;
    workers_left_behind_ = true;
    log_->Warn(
        "backend " + w->driver()->Name() +
        ": its worker is still in a driver call; left to end on its own (the call has its own timeout)");
  }
}

bool Controller::WaitForBackends(Micros timeout) {
  const Micros until = clock_->MonotonicNow() + timeout;
  bool all = true;
  for (auto& w : workers_) {
    // A simulated clock does not move while we wait: give each worker the whole timeout then.
    Micros left = std::max<Micros>(until - clock_->MonotonicNow(), kMicrosPerMilli);
    all = w->WaitIdle(left) && all;
  }
  Micros left = std::max<Micros>(until - clock_->MonotonicNow(), kMicrosPerMilli);
  return provisioner_->WaitIdle(left) && all;
}

BackendWorker* Controller::WorkerFor(const Driver* driver) {
  for (size_t i = 0; i < drivers_.size(); ++i)
    if (drivers_[i] == driver) return workers_[i].get();
  return nullptr;
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
      return stop_ || events_ready_ || !submitted_inbox_.empty() || !cancel_inbox_.empty();
    });
    if (stop_) return;
  }
}

void Controller::RunOnce() {
  std::lock_guard<std::mutex> lock(mu_);
  {
    std::lock_guard<std::mutex> inbox(inbox_mu_);
    events_ready_ = false;
  }
  // What the backends answered since the last cycle: nodes, task states
  // (this frees resources), launches, cancels. Then what users asked.
  ConsumeEvents();
  DrainInbox();
  Upkeep();
  std::vector<JobId> cancelling;
  for (auto& [id, job] : live_)
    if (job.cancel_requested && !job.pending_move) cancelling.push_back(id);
  for (JobId id : cancelling) HandleCancel(live_.at(id));
  StopJobsOverBudget();
  // Attempts whose every task already ended (voided at restart, or ended
  // before an earlier Finish could be stored) are never polled again: finish them here.
  std::vector<JobId> ended;
  for (auto& [id, job] : live_) {
    if (job.launching || job.pending_move || IsTerminal(job.rec.state) || job.attempts.empty()) continue;
    if (std::all_of(job.attempts.begin(), job.attempts.end(),
                    [](const AttemptRecord& a) { return IsTerminal(a.state); }))
      ended.push_back(id);
  }
  for (JobId id : ended) Finish(live_.at(id));
  Upkeep();
  // Ask for the next answers; backends are polled at their own pace (squeue
  // every cycle would load slurmctld).
  RequestPolls();
  RequestInventories();
  const size_t queued = queue_.size();
  const int64_t placed = metrics_.latency_count;
  ScheduleQueue();
  metrics_.scheduling_cycles++;
  if (queue_.size() != queued || metrics_.latency_count != placed) view_dirty_ = true;
  Publish();
}

void Controller::RequestInventories(bool all) {
  const Micros now = clock_->MonotonicNow();
  for (auto& w : workers_) {
    Driver* d = w->driver();
    const std::string name = d->Name();
    auto next = next_inventory_.find(name);
    if (!all && next != next_inventory_.end() && now < next->second) continue;
    if (!w->RequestInventory()) continue;  // one is on its way: its answer counts
    const Micros every = d->InventoryInterval() > 0 ? d->InventoryInterval() : options_.inventory_interval;
    next_inventory_[name] = now + every;
  }
}

void Controller::RequestPolls() {
  const Micros now = clock_->MonotonicNow();
  for (auto& w : workers_) {
    Driver* d = w->driver();
    if (w->PollInFlight()) continue;  // a slow backend: its next poll waits for the last answer
    Micros& next = next_poll_[d->Name()];
    if (now < next) continue;
    // At most once per loop period even at PollInterval 0: an answer wakes the
    // loop, and asking again at once would spin on a fast backend.
    next = now + std::max(d->PollInterval(), options_.poll_interval);
    std::vector<std::string> handles;
    for (const auto& [id, job] : live_) {
      if (job.driver != d || job.launching || job.pending_move || IsTerminal(job.rec.state)) continue;
      for (const auto& a : job.attempts)
        if (!IsTerminal(a.state)) handles.push_back(a.handle);
    }
    if (!handles.empty()) w->RequestPoll(std::move(handles));
  }
}

void Controller::ConsumeEvents() {
  for (auto& w : workers_) {
    for (BackendEvent& ev : w->TakeEvents()) {
      view_dirty_ = true;
      if (auto* inv = std::get_if<InventoryAnswer>(&ev)) {
        OnInventory(w->driver(), std::move(*inv));
      } else if (auto* poll = std::get_if<PollAnswer>(&ev)) {
        OnTaskStates(w->driver(), *poll);
      } else if (auto* launched = std::get_if<LaunchAnswer>(&ev)) {
        OnLaunched(std::move(*launched));
      } else {
        OnCancelled(std::get<CancelAnswer>(ev));
      }
    }
  }
  for (PlanAnswer& answer : provisioner_->TakeAnswers()) {
    view_dirty_ = true;
    OnPlanned(std::move(answer));
  }
  for (const PriceNote& note : provisioner_->TakePriceNotes()) OnPriceNote(note);
}

void Controller::OnInventory(Driver* d, InventoryAnswer answer) {
  const std::string name = d->Name();
  std::vector<Node> mine;
  if (answer.nodes.ok()) {
    for (auto& n : *answer.nodes)
      if (n.backend == name) mine.push_back(std::move(n));
  } else {
    // A backend that cannot answer now offers nothing now.
    log_->Warn("backend " + name + ": reading its nodes failed: " + answer.nodes.status().ToString() +
               "; it offers none until it answers");
  }
  if (Status s = store_->ReplaceNodes(name, mine); !s.ok()) {
    // Only `skyrun nodes` reads them there; the next inventory writes them again.
    log_->Warn("storing the " + std::to_string(mine.size()) + " node(s) of backend " + name +
               " failed: " + s.ToString());
  }
  inventory_[name] = std::move(mine);
  std::vector<Node> nodes;
  for (Driver* each : drivers_) {
    const auto& theirs = inventory_[each->Name()];
    nodes.insert(nodes.end(), theirs.begin(), theirs.end());
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
  // Jobs that lost a task here may be placed again now that its nodes are fresh.
  auto waiting = awaiting_inventory_.find(name);
  if (waiting == awaiting_inventory_.end()) return;
  std::vector<JobId> ids = std::move(waiting->second);
  awaiting_inventory_.erase(waiting);
  for (JobId id : ids) {
    auto it = live_.find(id);
    if (it == live_.end() || IsTerminal(it->second.rec.state)) continue;
    it->second.await_inventory.clear();
    it->second.pending_reason.clear();
    queue_.insert({{-it->second.rec.priority, id.value()}, id});
  }
}

void Controller::OnTaskStates(Driver* d, const PollAnswer& answer) {
  std::map<std::string, const TaskStatus*> by_handle;
  for (size_t i = 0; i < answer.handles.size(); ++i) by_handle[answer.handles[i]] = &answer.states[i];
  std::vector<JobId> ids;
  for (const auto& [id, job] : live_)
    if (job.driver == d && !job.launching && !job.pending_move && !IsTerminal(job.rec.state))
      ids.push_back(id);
  for (JobId id : ids) {
    auto it = live_.find(id);
    if (it != live_.end()) ApplyTaskStates(it->second, by_handle);
  }
}

void Controller::OnCancelled(const CancelAnswer& answer) {
  if (answer.status.ok()) return;
  log_->Warn("job " + answer.job.ToString() + " rank " + std::to_string(answer.rank) + ": cancelling task " +
             answer.handle + " failed: " + answer.status.ToString() + "; asked again next cycle");
  auto it = live_.find(answer.job);
  if (it != live_.end()) it->second.stopping = false;  // HandleCancel / the next poll asks again
}

Driver* Controller::DriverFor(const std::string& backend) {
  for (Driver* d : drivers_)
    if (d->Name() == backend) return d;
  return nullptr;
}

std::string Controller::JobDir(JobId id) const {
  return options_.state_dir + "/jobs/" + id.ToString();
}

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
  view_dirty_ = true;
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
  EndBrokeredAttempt(job);
  // The attempt is over: its handles are never asked about again.
  if (job.driver)
    for (const auto& a : job.attempts) job.driver->Forget(a.handle);
  job.attempts.clear();
  job.attempts_unsaved = false;
  if (!job.await_inventory.empty()) {
    next_inventory_[job.await_inventory] = 0;  // read it at once
    job.pending_reason =
        "waiting for backend " + job.await_inventory + "'s nodes to be read again after a lost task";
    awaiting_inventory_[job.await_inventory].push_back(job.rec.id);
    return;
  }
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

void Controller::CancelTasks(LiveJob& job) {
  BackendWorker* worker = WorkerFor(job.driver);
  if (!worker) return;
  for (const auto& a : job.attempts)
    if (!IsTerminal(a.state)) worker->RequestCancel(job.rec.id, a.rank, a.handle);
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
      EndBrokeredAttempt(job);
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
  auto view = CurrentView();
  auto it = view->pending.find(id);
  return it == view->pending.end() ? "" : it->second;
}

std::vector<NodeView> Controller::Nodes() {
  return CurrentView()->nodes;
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
  return CurrentView()->metrics;
}

std::shared_ptr<const Controller::View> Controller::CurrentView() const {
  std::lock_guard<std::mutex> lock(view_mu_);
  return view_;
}

void Controller::Publish(bool force) {
  // Readers may see a waiting job's reason up to this late when nothing else changed.
  constexpr Micros kRepublishEvery = 250 * kMicrosPerMilli;
  const Micros now = clock_->MonotonicNow();
  if (!force && !view_dirty_ && now - last_publish_ < kRepublishEvery) return;
  auto view = std::make_shared<View>();
  for (const auto& [id, job] : live_)
    if (!job.pending_reason.empty()) view->pending.emplace(id, job.pending_reason);
  view->nodes.reserve(snapshot_.nodes().size());
  for (const auto& n : snapshot_.nodes()) view->nodes.push_back({n, snapshot_.UsageOf(n.name)});
  view->metrics = metrics_;
  view->metrics.queue_length = static_cast<int64_t>(queue_.size());
  for (const auto& [id, j] : live_)
    if (j.rec.state == JobState::kRunning) view->metrics.running_jobs++;
  {
    std::lock_guard<std::mutex> lock(view_mu_);
    view_ = std::move(view);
  }
  view_dirty_ = false;
  last_publish_ = now;
}

}  // namespace skyrun
