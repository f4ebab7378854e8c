#include "controller/controller.h"

#include <algorithm>
#include <set>

#include "common/net.h"
#include "common/strings.h"
#include "controller/pipeline.h"
#include "uploads/upload_store.h"

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

double HoursBetween(Micros from, Micros to) {
  if (from <= 0 || to <= from) return 0;
  return static_cast<double>(to - from) / (3600.0 * kMicrosPerSecond);
}

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

Controller::Controller(Store* store, std::vector<Driver*> drivers, Clock* clock, SpecDecoder decoder,
                       ControllerOptions options)
    : store_(store),
      drivers_(std::move(drivers)),
      clock_(clock),
      decoder_(std::move(decoder)),
      options_(std::move(options)) {
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
    if (job.cancel_requested) HandleCancel(job);
    if (live_.count(id) && !job.attempts.empty() && poll_due.count(job.driver)) PollJob(job);
  }
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
    (void)store_->ReplaceNodes(name, mine);
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
  if (!s.ok()) return s;
  job.rec.state = to;
  job.rec.reason = reason;
  if (t.attempt_no) job.rec.attempt_no = *t.attempt_no;
  if (t.restarts) job.rec.restarts = *t.restarts;
  if (t.add_cost_usd) job.rec.cost_usd += *t.add_cost_usd;
  return Status::Ok();
}

std::vector<std::string> Controller::CapableBackends(const JobSpec& spec, std::vector<Status>* refusals) {
  std::vector<std::string> capable;
  for (Driver* d : drivers_) {
    if (!InfraAllows(spec.resources.infra, d->Name())) continue;
    Status can = d->CanRun(spec);
    if (can.ok()) {
      capable.push_back(d->Name());
    } else if (refusals) {
      refusals->push_back(can.message().rfind(d->Name(), 0) == 0 ? can : can.WithContext(d->Name()));
    }
  }
  return capable;
}

void Controller::NarrowInfraToCapable(JobSpec& spec) {
  std::vector<Status> refusals;
  std::vector<std::string> capable = CapableBackends(spec, &refusals);
  // Nothing refused: the spec stays as written. Everything refused: the
  // scheduler reports that it fits nowhere (submission refuses such jobs).
  if (!refusals.empty() && !capable.empty()) spec.resources.infra = capable;
}

Status Controller::CheckSubmission(const JobSpec& spec, const std::string& tenant) {
  // Drivers are thread-safe and the node list is a copy: no cycle lock here.
  std::vector<Status> refusals;
  std::vector<std::string> capable = CapableBackends(spec, &refusals);
  if (capable.empty()) {
    if (refusals.empty()) {
      std::vector<std::string> names;
      for (Driver* d : drivers_) names.push_back(d->Name());
      return InvalidArgument("resources.infra allows none of this server's backends (" + Join(names, ", ") +
                             ")");
    }
    // No backend allowed can run it: every reason, with the first one's code.
    std::vector<std::string> why;
    for (const auto& r : refusals) why.push_back(r.message());
    return Status(refusals.front().code(), Join(why, " | "));
  }
  std::vector<Node> nodes;
  {
    std::lock_guard<std::mutex> lock(nodes_mu_);
    nodes = nodes_cache_;
  }
  SKYRUN_RETURN_IF_ERROR(CheckPipeline(spec));
  // It must fit on a backend that can run it, on nodes its requirements
  // accept and whose policies accept it.
  JobSpec narrowed = spec;
  if (!refusals.empty()) narrowed.resources.infra = capable;
  AdmissionMatch holder;
  SKYRUN_ASSIGN_OR_RETURN(NodePredicate predicate, AdmissionPredicate(narrowed, tenant, nodes, holder));
  return scheduler_.CheckFeasible(narrowed, nodes, predicate);
}

bool Controller::CompileMatch(LiveJob& job) {
  auto m = JobMatch::Create(job.rec.spec, job.rec.tenant_name, job.rec.queue, fleet_);
  if (m.ok()) {
    job.match = std::move(m).value();
    return true;
  }
  // Checked at submission; this means the language changed under a stored job.
  (void)Move(job, JobState::kFailed, "its requirements or rank no longer compile: " + m.status().message());
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

// --- admission ---

void Controller::DrainInbox() {
  std::deque<JobId> submitted, cancels;
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    submitted.swap(submitted_inbox_);
    cancels.swap(cancel_inbox_);
  }
  for (JobId id : submitted) Admit(id);
  for (JobId id : cancels) {
    auto it = live_.find(id);
    if (it != live_.end()) it->second.cancel_requested = true;
  }
}

std::string Controller::UploadBaseDir(const JobRecord& rec) const {
  return rec.upload.empty() ? "" : uploads::UploadDir(options_.state_dir, rec.tenant, rec.upload);
}

void Controller::Admit(JobId id) {
  if (live_.count(id)) return;
  auto rec = store_->GetJob(id);
  if (!rec.ok() || IsTerminal(rec->state)) return;
  LiveJob job;
  job.rec = std::move(rec).value();
  auto spec = decoder_(job.rec.spec_yaml, job.rec.spec_file);
  if (!spec.ok()) {
    // Stored specs were validated at submission; this means the parser changed under them.
    live_[id] = std::move(job);
    (void)Move(live_[id], JobState::kFailed, "the stored spec no longer parses: " + spec.status().message());
    live_.erase(id);
    return;
  }
  job.rec.spec = std::move(spec).value();
  job.rec.spec.base_dir = UploadBaseDir(job.rec);
  NarrowInfraToCapable(job.rec.spec);
  job.cancel_requested = job.rec.cancel_requested;
  auto [it, inserted] = live_.emplace(id, std::move(job));
  LiveJob& j = it->second;
  if (!CompileMatch(j)) {
    live_.erase(it);
    return;
  }
  if (j.rec.state == JobState::kSubmitted) {
    if (!Move(j, JobState::kQueued, "admitted to queue " + j.rec.queue).ok()) {
      live_.erase(it);
      return;
    }
  }
  queue_.insert({{-j.rec.priority, j.rec.id.value()}, j.rec.id});
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
  Placement& placement = *out.placement;
  Driver* driver = DriverFor(placement.backend);
  if (!driver) {
    for (const auto& t : placement.tasks) snapshot_.Release(t);
    job.pending_reason = "no driver for backend " + placement.backend;
    return false;
  }
  int attempt_no = job.rec.attempt_no + 1;
  std::string job_dir = JobDir(job.rec.id);
  std::string checkpoint_dir = job_dir + "/checkpoints";
  auto port = PickFreeTcpPort();
  int master_port = port.ok() ? *port : 29500;

  AttemptLaunch launch;
  launch.job_id = job.rec.id;
  launch.attempt_no = attempt_no;
  launch.job_name = job.rec.name;
  launch.tenant = job.rec.tenant_name;
  launch.tenant_id = job.rec.tenant;
  launch.spec = &job.rec.spec;
  launch.job_dir = job_dir;
  launch.checkpoint_dir = checkpoint_dir;
  launch.kill_grace_seconds = options_.kill_grace_seconds;
  launch.time_limit_seconds = job.rec.spec.deadline_seconds;
  // Mode pipeline: each task's range of the model's units, from the partitioner.
  std::vector<std::map<std::string, std::string>> stage_env(placement.tasks.size());
  if (job.rec.spec.mode == JobMode::kPipeline) {
    std::vector<const Node*> nodes;
    for (const auto& tp : placement.tasks) nodes.push_back(snapshot_.FindNode(tp.node));
    auto env = PipelineEnvironment(job.rec.spec, placement, nodes);
    if (!env.ok()) {
      for (const auto& tp : placement.tasks) snapshot_.Release(tp);
      JobId id = job.rec.id;
      (void)Move(job, JobState::kFailed, "cannot split the model over " + placement.Describe() + ": " +
                                             env.status().message());
      live_.erase(id);
      return true;  // leaves the queue
    }
    stage_env = std::move(env).value();
  }
  std::vector<AttemptRecord> attempts;
  for (size_t k = 0; k < placement.tasks.size(); ++k) {
    const TaskPlacement& tp = placement.tasks[k];
    TaskLaunch tl;
    tl.rank = tp.rank;
    tl.role = tp.role;
    tl.placement = tp;
    tl.task_dir = job_dir + "/attempt-" + std::to_string(attempt_no) + "/rank-" + std::to_string(tp.rank);
    tl.env = TaskEnvironment(job.rec, placement, tp.rank, attempt_no, checkpoint_dir, master_port);
    for (const auto& [name, v] : stage_env[k]) tl.env[name] = v;
    for (const auto& [name, v] : job.rec.spec.envs) tl.env[name] = v;
    tl.setup = job.rec.spec.setup;
    tl.run = job.rec.spec.run;
    tl.image = job.rec.spec.image;
    for (const auto& role : job.rec.spec.roles) {
      if (role.name != tp.role) continue;
      if (!role.run.empty()) tl.run = role.run;
      if (!role.image.empty()) tl.image = role.image;
    }
    launch.tasks.push_back(tl);

    AttemptRecord a;
    a.job_id = job.rec.id;
    a.attempt_no = attempt_no;
    a.rank = tp.rank;
    a.node = tp.node;
    a.backend = placement.backend;
    a.gpu_indices = tp.gpu_indices;
    a.gpu_milli = tp.gpu_milli;
    a.cpus_milli = tp.cpus_milli;
    a.memory_mib = tp.memory_mib;
    a.handle = tl.task_dir;
    a.state = RunState::kLaunching;
    const Node* node = snapshot_.FindNode(tp.node);
    a.hourly_price = node ? node->price_per_gpu_hour * static_cast<double>(tp.gpu_milli) / 1000.0 +
                                node->price_per_cpu_hour * static_cast<double>(tp.cpus_milli) / 1000.0
                          : 0;
    attempts.push_back(a);
  }

  Transition t;
  t.attempt_no = attempt_no;
  t.placement = placement.Describe();
  t.new_attempts = attempts;
  std::string reason = "placed on " + placement.Describe();
  if (!Move(job, JobState::kScheduled, reason, t).ok()) {
    for (const auto& tp : placement.tasks) snapshot_.Release(tp);
    return false;
  }
  RecordSchedulingLatency(job.rec.submitted_at);
  job.rec.placement = placement.Describe();
  job.driver = driver;
  job.reserved = true;
  // Ids were assigned by the store; read them back so later updates match rows.
  auto stored = store_->ListAttempts(job.rec.id);
  job.attempts.clear();
  if (stored.ok()) {
    for (auto& a : *stored)
      if (a.attempt_no == attempt_no) job.attempts.push_back(a);
  }
  std::sort(job.attempts.begin(), job.attempts.end(),
            [](const AttemptRecord& a, const AttemptRecord& b) { return a.rank < b.rank; });

  auto handles = driver->Launch(launch);
  if (!handles.ok()) {
    job.launch_failures++;
    for (auto& a : job.attempts) {
      a.state = RunState::kLost;
      a.reason = "launch failed: " + handles.status().message();
      a.ended_at = clock_->Now();
    }
    ReleasePlacement(job);
    Transition ft;
    ft.updated_attempts = job.attempts;
    if (job.launch_failures >= options_.max_launch_failures) {
      (void)Move(job, JobState::kFailed,
                 "launch failed " + std::to_string(job.launch_failures) + " times: " + handles.status().message(),
                 ft);
      job.attempts.clear();
      live_.erase(job.rec.id);
      return true;
    }
    (void)Move(job, JobState::kRecovering, "launch failed: " + handles.status().message(), ft);
    job.attempts.clear();
    return false;  // stays queued
  }
  bool changed = false;
  for (size_t i = 0; i < job.attempts.size() && i < handles->size(); ++i) {
    if (job.attempts[i].handle != (*handles)[i]) {
      job.attempts[i].handle = (*handles)[i];
      changed = true;
    }
  }
  if (changed) (void)store_->UpdateAttempts(job.attempts);
  return true;
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

// --- following running attempts ---

void Controller::PollJob(LiveJob& job) {
  if (!job.driver) return;
  std::vector<AttemptRecord> changed;
  bool any_failed = false;
  for (auto& a : job.attempts) {
    if (IsTerminal(a.state)) {
      if (a.state != RunState::kSucceeded) any_failed = true;
      continue;
    }
    TaskStatus st = job.driver->Poll(a.handle);
    if (st.state == a.state) continue;
    if (st.state == RunState::kPending || st.state == RunState::kLaunching) {
      if (a.state == RunState::kLaunching) continue;
    }
    a.state = st.state;
    if (st.started_at > 0 && a.started_at == 0) a.started_at = st.started_at;
    if (a.state == RunState::kRunning && a.started_at == 0) a.started_at = clock_->Now();
    if (IsTerminal(a.state)) {
      a.ended_at = st.ended_at > 0 ? st.ended_at : clock_->Now();
      a.exit_code = st.exit_code;
      a.reason = DescribeExit(st);
      a.cost_usd = a.hourly_price * HoursBetween(a.started_at, a.ended_at);
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
  if (!changed.empty()) (void)store_->UpdateAttempts(changed);
  if (job.rec.state == JobState::kScheduled && all_started) {
    std::string where = job.rec.placement;
    (void)Move(job, JobState::kRunning, "all " + std::to_string(job.attempts.size()) + " task(s) started on " + where);
  }
  if (any_failed && !job.stopping && !job.cancel_requested) {
    // One rank failed: a gang cannot go on without it; stop the others so the
    // whole attempt ends and recovery can place it again.
    job.stopping = true;
    for (const auto& a : job.attempts) {
      if (!IsTerminal(a.state)) (void)job.driver->Cancel(a.handle);
    }
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
  JobId id = job.rec.id;
  auto done = [&](JobState to, const std::string& reason) {
    (void)Move(job, to, reason, t);
    live_.erase(id);
  };

  if (job.cancel_requested && first_failure) {
    done(JobState::kCancelled, "cancelled by request");
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
    next_inventory_[first_failure->backend] = 0;
    if (policy.strategy == "none") {
      done(JobState::kFailed, failure + " (recovery.strategy is none)");
    } else if (job.infra_recoveries > options_.max_infra_recoveries) {
      done(JobState::kFailed, failure + " (gave up after " + std::to_string(options_.max_infra_recoveries) +
                                  " infrastructure recoveries)");
    } else {
      (void)Move(job, JobState::kRecovering, failure + "; placing it again", t);
      job.attempts.clear();
      queue_.insert({{-job.rec.priority, id.value()}, id});
    }
    return;
  }
  int code = first_failure->exit_code.value_or(-1);
  if (first_failure->exit_code && ExitIsRecoverable(policy, code)) {
    if (job.rec.restarts < policy.max_restarts_on_errors) {
      t.restarts = job.rec.restarts + 1;
      (void)Move(job, JobState::kRecovering,
                 failure + "; restart " + std::to_string(job.rec.restarts + 1) + " of " +
                     std::to_string(policy.max_restarts_on_errors),
                 t);
      job.attempts.clear();
      queue_.insert({{-job.rec.priority, id.value()}, id});
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
  if (job.attempts.empty()) {
    JobId id = job.rec.id;
    if (Move(job, JobState::kCancelled, "cancelled by request before it ran").ok() || IsTerminal(job.rec.state)) {
      live_.erase(id);
    }
    return;
  }
  if (!job.stopping) {
    job.stopping = true;
    for (const auto& a : job.attempts) {
      if (!IsTerminal(a.state)) (void)job.driver->Cancel(a.handle);
    }
  }
}

// --- restart ---

Status Controller::Recover() {
  JobFilter filter;
  filter.live_only = true;
  SKYRUN_ASSIGN_OR_RETURN(auto jobs, store_->ListJobs(filter));
  for (auto& rec : jobs) {
    JobId id = rec.id;
    auto spec = decoder_(rec.spec_yaml, rec.spec_file);
    LiveJob job;
    job.rec = std::move(rec);
    job.cancel_requested = job.rec.cancel_requested;
    if (!spec.ok()) {
      live_[id] = std::move(job);
      (void)Move(live_[id], JobState::kFailed, "the stored spec no longer parses: " + spec.status().message());
      live_.erase(id);
      continue;
    }
    job.rec.spec = std::move(spec).value();
    job.rec.spec.base_dir = UploadBaseDir(job.rec);
    NarrowInfraToCapable(job.rec.spec);
    JobState st = job.rec.state;
    auto [it, _] = live_.emplace(id, std::move(job));
    LiveJob& j = it->second;
    if (st == JobState::kSubmitted) {
      live_.erase(it);
      Admit(id);
      continue;
    }
    if (!CompileMatch(j)) {
      live_.erase(it);
      continue;
    }
    if (st == JobState::kQueued || st == JobState::kRecovering) {
      queue_.insert({{-j.rec.priority, id.value()}, id});
      continue;
    }
    // SCHEDULED or RUNNING: adopt the current attempt's tasks.
    auto attempts = store_->ListAttempts(id);
    if (attempts.ok()) {
      for (auto& a : *attempts)
        if (a.attempt_no == j.rec.attempt_no) j.attempts.push_back(a);
    }
    std::sort(j.attempts.begin(), j.attempts.end(),
              [](const AttemptRecord& a, const AttemptRecord& b) { return a.rank < b.rank; });
    if (j.attempts.empty()) {
      (void)Move(j, JobState::kRecovering, "server restarted and found no task records; placing it again");
      queue_.insert({{-j.rec.priority, id.value()}, id});
      continue;
    }
    j.driver = DriverFor(j.attempts.front().backend);
    if (!j.driver) {
      (void)Move(j, JobState::kFailed, "backend " + j.attempts.front().backend + " is no longer configured");
      live_.erase(id);
      continue;
    }
    ReservePlacement(j);
    std::vector<AttemptRecord> voided;
    for (auto& a : j.attempts) {
      if (a.state != RunState::kLaunching && a.state != RunState::kPending) continue;
      // Launch recorded but never confirmed before the restart: make sure it
      // can never start late, or adopt it if it already did.
      if (j.driver->VoidIfUnclaimed(a.handle).ok()) {
        a.state = RunState::kLost;
        a.reason = "the server restarted before this task started; it never ran";
        a.ended_at = clock_->Now();
        voided.push_back(a);
      }
    }
    if (!voided.empty()) {
      (void)store_->UpdateAttempts(voided);
      // The rest of the gang (if any started) is stopped; recovery places it again.
      j.stopping = true;
      for (const auto& a : j.attempts)
        if (!IsTerminal(a.state)) (void)j.driver->Cancel(a.handle);
    }
  }
  return Status::Ok();
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
