// Helpers for the local driver's tests: temporary directories, a launcher
// that holds launches back, waiting on real tasks, inspecting process groups.
// Test-only. Thread-safety: none needed (each test is one thread).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "drivers/local/detached_launcher.h"
#include "drivers/local/local_driver.h"
#include "drivers/local/task_files.h"
#include "support/temp_dir.h"

namespace skyrun::testing_local {

// The test stand-in for `skyrun supervise` (local_supervisor_for_test).
std::string SupervisorBinary();

// A fresh directory, removed with everything in it at the end.
using TempDir = test_support::TempDir;

// Records StartDetached calls instead of starting anything; StartHeld()
// starts them later with the real DetachedLauncher.
class HeldLauncher final : public ProcessLauncher {
 public:
  struct Call {
    std::vector<std::string> argv;
    std::string log_path;
  };
  explicit HeldLauncher(std::vector<Call>* calls) : calls_(calls) {}
  Status StartDetached(const std::vector<std::string>& argv, const std::string& log_path) override {
    calls_->push_back({argv, log_path});
    return Status::Ok();
  }

 private:
  std::vector<Call>* calls_;  // owned by the test, outlives the driver
};

// A pool config for tests: the test supervisor, one declared node, no runtime.
LocalPoolConfig TestPoolConfig(const TempDir& dir);

// A single-task launch of `run` (and `setup`) for job 7, attempt 1.
struct LaunchFixture {
  JobSpec spec;
  AttemptLaunch launch;
};
std::unique_ptr<LaunchFixture> MakeLaunch(const TempDir& dir, const std::string& run,
                                          const std::string& setup = "");

// Polls until the task reaches a terminal state (or gives up after a long
// safety bound, then returns the last status; the bound is a hang guard, not
// a timing assertion).
TaskStatus WaitTerminal(Driver& driver, const std::string& handle);
// Polls until the state is `state` (same hang guard). Returns whether it got there.
bool WaitState(Driver& driver, const std::string& handle, RunState state);
// Waits until the file exists and contains `needle`.
bool WaitFileContains(const std::string& path, const std::string& needle);

std::string ReadFileOrEmpty(const std::string& path);
bool FileExists(const std::string& path);

// Whether a process of group `pgid` is alive (zombies do not count), by a scan of /proc.
bool GroupHasLiveProcess(pid_t pgid);
// Whether `pid` is alive and not a zombie.
bool ProcessAlive(pid_t pid);
// Waits until no live process of the group is left (same hang guard).
bool WaitGroupGone(pid_t pgid);

// Runs `argv` as a child of the test and waits; returns its exit code (or
// 128+signal).
int RunAndWait(const std::vector<std::string>& argv);

// Reads the started record / the claim pid of a task directory (0 if none).
StartedRecord ReadStarted(const std::string& task_dir);
pid_t ClaimPid(const std::string& task_dir);

}  // namespace skyrun::testing_local
