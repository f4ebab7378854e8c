#include <algorithm>

#include "controller/controller.h"

namespace skyrun {

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
      LiveJob& kept = live_[id] = std::move(job);
      MoveOrRetry(kept, JobState::kFailed, "the stored spec no longer parses: " + spec.status().message());
      continue;
    }
    job.rec.spec = std::move(spec).value();
    job.rec.spec.base_dir = UploadBaseDir(job.rec);
    NarrowInfraToCapable(job.rec.spec);
    SetUpBroker(job);
    JobState st = job.rec.state;
    auto [it, _] = live_.emplace(id, std::move(job));
    LiveJob& j = it->second;
    if (st == JobState::kSubmitted) {
      live_.erase(it);
      Admit(id);
      continue;
    }
    if (!CompileMatch(j)) continue;  // FAILED (or kept to retry storing it)
    if (st == JobState::kQueued || st == JobState::kRecovering) {
      queue_.insert({{-j.rec.priority, id.value()}, id});
      continue;
    }
    // SCHEDULED or RUNNING: adopt the current attempt's tasks.
    // Without its rows the job's running tasks could be started twice: refuse to start instead.
    auto attempts = store_->ListAttempts(id);
    if (!attempts.ok()) return attempts.status().WithContext("reading job " + id.ToString() + "'s tasks");
    for (auto& a : *attempts)
      if (a.attempt_no == j.rec.attempt_no) j.attempts.push_back(a);
    std::sort(j.attempts.begin(), j.attempts.end(),
              [](const AttemptRecord& a, const AttemptRecord& b) { return a.rank < b.rank; });
    if (j.attempts.empty()) {
      MoveOrRetry(j, JobState::kRecovering, "server restarted and found no task records; placing it again",
                  {},
                  /*requeue=*/true);
      continue;
    }
    j.driver = DriverFor(j.attempts.front().backend);
    if (!j.driver) {
      MoveOrRetry(j, JobState::kFailed, "backend " + j.attempts.front().backend + " is no longer configured");
      continue;
    }
    if (j.broker.on) {
      // Placed before the restart: that choice stands, and the instances
      // its tasks run on are its own (given back when the attempt ends).
      j.broker.chosen = true;
      j.broker.backend = j.driver->Name();
      if (IsPoolBackend(j.broker.backend)) {
        for (const auto& a : j.attempts) {
          std::string id = a.node.substr(a.node.rfind('/') + 1);
          if (std::find(j.broker.instances.begin(), j.broker.instances.end(), id) == j.broker.instances.end())
            j.broker.instances.push_back(id);
        }
      }
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
      SaveAttempts(j, voided);
      // The rest of the gang (if any started) is stopped; recovery places it again.
      j.stopping = true;
      CancelTasks(j);
    }
  }
  Upkeep();  // drops what ended during recovery
  return Status::Ok();
}

}  // namespace skyrun
