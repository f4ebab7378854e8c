#include <algorithm>
#include <cstddef>

#include "controller/controller.h"
#include "controller/pipeline.h"

namespace skyrun {

bool Controller::StartAttempt(LiveJob& job, Placement placement) {
  Driver* driver = DriverFor(placement.backend);
  if (!driver) {
    for (const auto& t : placement.tasks) snapshot_.Release(t);
    snapshot_.ForgetExpectedEnd(job.rec.id);
    job.pending_reason = "no driver for backend " + placement.backend;
    return false;
  }
  int attempt_no = job.rec.attempt_no + 1;
  std::string job_dir = JobDir(job.rec.id);
  std::string checkpoint_dir = CheckpointDir(job.rec.id, placement.backend);

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
  // The time limit the scheduler planned with; the deadline is the broker's, not the driver's.
  launch.time_limit_seconds = TimeLimitOf(job.rec);
  // Mode pipeline: each task's range of the model's units, from the partitioner.
  std::vector<std::map<std::string, std::string>> stage_env(placement.tasks.size());
  if (job.rec.spec.mode == JobMode::kPipeline) {
    std::vector<const Node*> nodes;
    for (const auto& tp : placement.tasks) nodes.push_back(snapshot_.FindNode(tp.node));
    auto env = PipelineEnvironment(job.rec.spec, placement, nodes);
    if (!env.ok()) {
      for (const auto& tp : placement.tasks) snapshot_.Release(tp);
      snapshot_.ForgetExpectedEnd(job.rec.id);
      // Upkeep drops the job once FAILED is stored.
      MoveOrRetry(job, JobState::kFailed,
                  "cannot split the model over " + placement.Describe() + ": " + env.status().message());
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
    tl.env = TaskEnvironment(job.rec, placement, tp.rank, attempt_no, checkpoint_dir);
    for (const auto& [name, v] : stage_env[k]) tl.env[name] = v;
    for (const auto& [name, v] : job.rec.spec.envs) tl.env[name] = v;
    for (const auto& [name, v] : job.rec.spec.secrets) tl.env[name] = v;
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
    a.hourly_price = node ? HourlyPrice(*node, tp) : 0;
    if (node && IsOwnedNode(*node)) {
      // The job's own instance: it pays all of it, shared among its tasks there.
      const double whole =
          node->price_per_gpu_hour * static_cast<double>(node->gpus.size()) +
          node->price_per_cpu_hour * static_cast<double>(node->cpus_milli.raw()) / kMilliPerUnit;
      const auto on_node = std::count_if(placement.tasks.begin(), placement.tasks.end(),
                                         [&](const TaskPlacement& other) { return other.node == tp.node; });
      a.hourly_price = whole / static_cast<double>(std::max<std::ptrdiff_t>(on_node, 1));
    }
    attempts.push_back(a);
  }

  Transition t;
  t.attempt_no = attempt_no;
  t.placement = placement.Describe();
  t.new_attempts = attempts;
  std::string reason = "placed on " + placement.Describe();
  if (!Move(job, JobState::kScheduled, reason, t).ok()) {
    for (const auto& tp : placement.tasks) snapshot_.Release(tp);
    snapshot_.ForgetExpectedEnd(job.rec.id);
    return false;
  }
  RecordSchedulingLatency(job.rec.submitted_at);
  RecordInputEgress(job, attempt_no);
  job.rec.placement = placement.Describe();
  job.driver = driver;
  job.reserved = true;
  // Ids were assigned by the store; read them back so later updates match rows.
  auto stored = store_->ListAttempts(job.rec.id);
  job.attempts.clear();
  if (stored.ok()) {
    for (auto& a : *stored)
      if (a.attempt_no == attempt_no) job.attempts.push_back(a);
  } else {
    // Followed from the rows as built; their updates fail (no ids) and say so until a restart reads them.
    log_->Error("job " + job.rec.id.ToString() + ": reading back attempt " + std::to_string(attempt_no) +
                "'s rows failed: " + stored.status().ToString());
    job.attempts = attempts;
  }
  std::sort(job.attempts.begin(), job.attempts.end(),
            [](const AttemptRecord& a, const AttemptRecord& b) { return a.rank < b.rank; });

  // The launch itself (sbatch, kubectl, a supervisor) runs on the backend's
  // worker; OnLaunched reads its answer at a later cycle.
  job.launching = true;
  BackendWorker* worker = WorkerFor(driver);
  worker->RequestLaunch(std::move(launch), std::make_shared<const JobSpec>(job.rec.spec));
  return true;
}

namespace {

// A refusal that the next attempt would meet again (an image the registry does
// not have, credentials it refuses, a spec the driver cannot run, a tenant's
// quota) fails the job at once with the backend's answer, instead of after
// max_launch_failures tries. Everything else (Unavailable, Internal, ...) may
// pass: the job goes back to the queue.
bool LaunchRefusalIsFinal(StatusCode code) {
  switch (code) {
    case StatusCode::kNotFound:
    case StatusCode::kInvalidArgument:
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied:
    case StatusCode::kResourceExhausted: return true;
    default: return false;
  }
}

}  // namespace

void Controller::OnLaunched(LaunchAnswer answer) {
  auto it = live_.find(answer.job);
  if (it == live_.end()) return;
  LiveJob& job = it->second;
  if (!job.launching || job.rec.attempt_no != answer.attempt_no) return;  // not this attempt's answer
  job.launching = false;
  Result<std::vector<std::string>>& handles = answer.handles;
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
    log_->Warn("job " + job.rec.id.ToString() + ": launching attempt " + std::to_string(answer.attempt_no) +
               " on " + job.driver->Name() + " failed: " + handles.status().ToString());
    if (LaunchRefusalIsFinal(handles.status().code())) {
      MoveOrRetry(job, JobState::kFailed, "launch refused: " + handles.status().message(), ft);
      return;
    }
    if (job.launch_failures >= options_.max_launch_failures) {
      MoveOrRetry(
          job, JobState::kFailed,
          "launch failed " + std::to_string(job.launch_failures) + " times: " + handles.status().message(),
          ft);
      return;
    }
    // Back to the queue once RECOVERING is stored (now, or when Upkeep manages to).
    MoveOrRetry(job, JobState::kRecovering, "launch failed: " + handles.status().message(), ft,
                /*requeue=*/true);
    return;
  }
  bool changed = false;
  for (size_t i = 0; i < job.attempts.size() && i < handles->size(); ++i) {
    if (job.attempts[i].handle != (*handles)[i]) {
      job.attempts[i].handle = (*handles)[i];
      changed = true;
    }
  }
  if (changed) SaveAttempts(job, job.attempts);
}

}  // namespace skyrun
