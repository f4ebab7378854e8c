#include <algorithm>

#include "common/strings.h"
#include "controller/broker.h"
#include "controller/controller.h"
#include "controller/pipeline.h"
#include "uploads/upload_store.h"

namespace skyrun {

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
  // A ps-worker job is planned role by role (optimizer/roles_plan.h); the
  // ordered preferences are tried per job (broker.h), which its roles do not
  // follow: refused rather than ignored.
  if (spec.mode == JobMode::kPsWorker && UsesBrokerFields(spec)) {
    bool ordered = spec.resources.infra_ordered || spec.resources.accelerator_order.size() > 1;
    for (const Role& role : spec.roles)
      ordered = ordered || role.resources.infra_ordered || role.resources.accelerator_order.size() > 1;
    if (ordered)
      return FailedPrecondition(
          "a ps-worker job with broker fields is planned role by role, all roles in one region; ordered "
          "preferences (infra with ordered: true, a list of accelerators) are not followed per role: give "
          "each role one accelerator model and an unordered infra");
  }
  // It must fit on a backend that can run it, on nodes its requirements
  // accept and whose policies accept it.
  JobSpec narrowed = spec;
  if (!refusals.empty()) narrowed.resources.infra = capable;
  if (std::any_of(capable.begin(), capable.end(), [this](const std::string& b) { return IsPoolBackend(b); }))
    return CheckBrokerFeasible(narrowed, nodes);
  AdmissionMatch holder;
  SKYRUN_ASSIGN_OR_RETURN(JobMatcher * matcher, AdmissionMatcher(narrowed, tenant, nodes, holder));
  return CheckFeasible(narrowed, nodes, matcher);
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
    // Upkeep drops the job once FAILED is stored.
    LiveJob& kept = live_[id] = std::move(job);
    MoveOrRetry(kept, JobState::kFailed, "the stored spec no longer parses: " + spec.status().message());
    return;
  }
  job.rec.spec = std::move(spec).value();
  job.rec.spec.base_dir = UploadBaseDir(job.rec);
  NarrowInfraToCapable(job.rec.spec);
  SetUpBroker(job);
  job.cancel_requested = job.rec.cancel_requested;
  auto [it, inserted] = live_.emplace(id, std::move(job));
  LiveJob& j = it->second;
  if (!CompileMatch(j)) return;  // FAILED (or kept to retry storing it)
  if (j.rec.state == JobState::kSubmitted) {
    // Once QUEUED is stored, Upkeep puts it in the queue.
    MoveOrRetry(j, JobState::kQueued, "admitted to queue " + j.rec.queue, {}, /*requeue=*/true);
    return;
  }
  queue_.insert({{-j.rec.priority, j.rec.id.value()}, j.rec.id});
}

}  // namespace skyrun
