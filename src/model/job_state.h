// The job state machine of DESIGN.md:
//   SUBMITTED -> QUEUED -> SCHEDULED -> RUNNING -> SUCCEEDED
// with FAILED, CANCELLED and RECOVERING (preempted or failed, being placed
// again). CanTransition() is the single source of truth for which moves are
// legal; the store refuses any other. Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>

namespace skyrun {

enum class JobState {
  kSubmitted,
  kQueued,
  kScheduled,
  kRunning,
  kRecovering,
  kSucceeded,
  kFailed,
  kCancelled,
};

const char* JobStateName(JobState s);  // "RUNNING"
std::optional<JobState> ParseJobState(const std::string& s);
bool IsTerminal(JobState s);
bool CanTransition(JobState from, JobState to);

}  // namespace skyrun
