// Starting a process that outlives its starter: LocalDriver uses it to start
// one supervisor per task, detached from the server, so that killing the
// server (even with SIGKILL) neither kills nor orphans-into-chaos the tasks.
//
// It is an interface so that a test can hold a launch back (to exercise the
// claim race) and then start the very same argv itself; the tests otherwise
// use the real DetachedLauncher. Thread-safety: DetachedLauncher is
// thread-safe and safe to call from a multi-threaded server (the child does
// only async-signal-safe work between fork and exec).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace skyrun {

class ProcessLauncher {
 public:
  virtual ~ProcessLauncher() = default;
  // Starts argv[0] (an absolute path) with argv, detached: its own session,
  // no inherited fds except stdin = /dev/null and stdout/stderr appended to
  // `log_path`, default signal dispositions and an empty signal mask. Returns
  // once the exec succeeded (or with why it failed).
  virtual Status StartDetached(const std::vector<std::string>& argv, const std::string& log_path) = 0;
};

// fork; the child calls setsid() and forks again, then exits at once so the
// grandchild is re-parented away from the caller (double fork). The grandchild
// resets signals, closes every fd but 0/1/2 and execs. An O_CLOEXEC pipe tells
// the caller whether the exec happened.
class DetachedLauncher final : public ProcessLauncher {
 public:
  Status StartDetached(const std::vector<std::string>& argv, const std::string& log_path) override;
};

// Closes every fd >= first_fd (close_range(2), or a loop where the kernel
// lacks it). Async-signal-safe: for use between fork and exec.
void CloseFdsFrom(int first_fd);

}  // namespace skyrun
