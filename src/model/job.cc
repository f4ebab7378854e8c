#include "model/job.h"

#include "common/strings.h"

namespace skyrun {

const char* RunStateName(RunState s) {
  switch (s) {
    case RunState::kPending: return "PENDING";
    case RunState::kLaunching: return "LAUNCHING";
    case RunState::kRunning: return "RUNNING";
    case RunState::kSucceeded: return "SUCCEEDED";
    case RunState::kFailed: return "FAILED";
    case RunState::kKilled: return "KILLED";
    case RunState::kLost: return "LOST";
  }
  return "UNKNOWN";
}

std::optional<RunState> ParseRunState(const std::string& s) {
  for (RunState st : {RunState::kPending, RunState::kLaunching, RunState::kRunning, RunState::kSucceeded,
                      RunState::kFailed, RunState::kKilled, RunState::kLost}) {
    if (EqualsIgnoreCase(s, RunStateName(st))) return st;
  }
  return std::nullopt;
}

bool IsTerminal(RunState s) {
  return s == RunState::kSucceeded || s == RunState::kFailed || s == RunState::kKilled ||
         s == RunState::kLost;
}

}  // namespace skyrun
