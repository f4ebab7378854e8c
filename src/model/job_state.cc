#include "model/job_state.h"

#include "common/strings.h"

namespace skyrun {

const char* JobStateName(JobState s) {
  switch (s) {
    case JobState::kSubmitted: return "SUBMITTED";
    case JobState::kQueued: return "QUEUED";
    case JobState::kScheduled: return "SCHEDULED";
    case JobState::kRunning: return "RUNNING";
    case JobState::kRecovering: return "RECOVERING";
    case JobState::kSucceeded: return "SUCCEEDED";
    case JobState::kFailed: return "FAILED";
    case JobState::kCancelled: return "CANCELLED";
  }
  return "UNKNOWN";
}

std::optional<JobState> ParseJobState(const std::string& s) {
  for (JobState st : {JobState::kSubmitted, JobState::kQueued, JobState::kScheduled, JobState::kRunning,
                      JobState::kRecovering, JobState::kSucceeded, JobState::kFailed, JobState::kCancelled}) {
    if (EqualsIgnoreCase(s, JobStateName(st))) return st;
  }
  return std::nullopt;
}

bool IsTerminal(JobState s) {
  return s == JobState::kSucceeded || s == JobState::kFailed || s == JobState::kCancelled;
}

bool CanTransition(JobState from, JobState to) {
  if (IsTerminal(from)) return false;
  if (to == JobState::kCancelled) return true;  // cancel from any live state
  switch (from) {
    case JobState::kSubmitted: return to == JobState::kQueued || to == JobState::kFailed;
    case JobState::kQueued: return to == JobState::kScheduled || to == JobState::kFailed;
    case JobState::kScheduled:
      // launch failures go back through recovery; a started task makes it RUNNING;
      // a task may also finish before the controller saw it running.
      return to == JobState::kRunning || to == JobState::kRecovering || to == JobState::kFailed ||
             to == JobState::kSucceeded;
    case JobState::kRunning:
      return to == JobState::kSucceeded || to == JobState::kFailed || to == JobState::kRecovering;
    case JobState::kRecovering:
      return to == JobState::kScheduled || to == JobState::kQueued || to == JobState::kFailed;
    default: return false;
  }
}

}  // namespace skyrun
