// FakeDriver: a backend that runs nothing, for tests of whatever drives
// drivers (the controller, the server, scenario replays). Its nodes are what
// the test gives it; a launched task is RUNNING until the test ends it
// (Finish, FailNode) or the controller cancels it (KILLED). It counts the
// calls it gets and remembers where tasks went, so a test can assert on both.
// Handles are "JOB_NAME:ATTEMPT:RANK". Part of the test-support library.
//
// Thread-safety: every method may be called from any thread (the controller's
// backend workers call the Driver side while the test calls the controls).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "drivers/driver.h"

namespace skyrun::test_support {

class FakeDriver final : public Driver {
 public:
  struct Options {
    std::string name = "fake";  // Name(): the backend name the nodes should carry
    Micros poll_interval = 0;
    Micros inventory_interval = 0;
    BackendCapabilities capabilities;
  };
  // What the driver has been asked so far.
  struct Calls {
    int inventories = 0;
    int can_runs = 0;
    int launches = 0;
    int polls = 0;  // handles polled, through Poll or PollMany
    int cancels = 0;
  };

  FakeDriver(Options options, std::vector<Node> nodes);

  // --- Driver ---
  std::string Name() const override { return options_.name; }
  Micros PollInterval() const override { return options_.poll_interval; }
  Micros InventoryInterval() const override { return options_.inventory_interval; }
  BackendCapabilities Capabilities() const override { return options_.capabilities; }
  Result<std::vector<Node>> Inventory() override;
  Status CanRun(const JobSpec& spec) override;
  Result<std::vector<std::string>> Launch(const AttemptLaunch& launch) override;
  TaskStatus Poll(const std::string& handle) override;
  std::vector<TaskStatus> PollMany(const std::vector<std::string>& handles) override;
  Status Cancel(const std::string& handle) override;
  std::string LogPath(const std::string& handle) override { return ""; }
  // A handle it never launched is voided (OK); a launched one is adopted.
  Status VoidIfUnclaimed(const std::string& handle) override;
  void Forget(const std::string& handle) override;

  // --- controls ---
  void SetNodes(std::vector<Node> nodes);
  // CanRun refuses every job with FailedPrecondition("<name> cannot run job 'J': <why>"); "" accepts again.
  void RefuseJobs(std::string why);
  // The next `times` launches fail with `status` (times < 0: every launch
  // until FailLaunches(Status::Ok())).
  void FailLaunches(Status status, int times = -1);
  // Cancels fail with `status` until FailCancels(Status::Ok()); a failed
  // cancel leaves the task running.
  void FailCancels(Status status);
  // The node goes down (Inventory reports it kDown) and every task placed on
  // it is LOST with reason "NODE_FAIL (node N is down)", as Slurm reports it.
  void FailNode(const std::string& node);
  // The node is up again (its lost tasks stay lost).
  void RestoreNode(const std::string& node);
  // The task ends: SUCCEEDED with exit code 0, else FAILED with that code.
  void Finish(const std::string& handle, int exit_code);
  // Every task of every attempt of the job, launched so far or later, ends so.
  void FinishJob(const std::string& job_name, int exit_code);

  // --- observations ---
  Calls calls() const;
  // The node of each launched task, in launch order.
  std::vector<std::string> launched_nodes() const;
  // Every handle returned by Launch, in order.
  std::vector<std::string> handles() const;
  // Handles passed to Forget, in order.
  std::vector<std::string> forgotten() const;
  // How many handles each PollMany call asked about, in order.
  std::vector<size_t> poll_batches() const;
  // The time limit each Launch was given, in order (failed launches too).
  std::vector<std::optional<int64_t>> time_limits() const;

 private:
  struct Task {
    std::string job_name;
    std::string node;
  };

  const Options options_;
  mutable std::mutex mu_;
  std::vector<Node> nodes_;
  std::string refuse_why_;
  Status launch_failure_;
  int launch_failures_left_ = -1;  // < 0: until cleared
  Status cancel_failure_;
  std::set<std::string> down_nodes_;
  std::set<std::string> lost_;         // tasks whose node failed and came back
  std::map<std::string, Task> tasks_;  // by handle
  std::vector<std::string> handles_;
  std::map<std::string, int> finished_;       // handle -> exit code
  std::map<std::string, int> finished_jobs_;  // job name -> exit code
  std::set<std::string> cancelled_;
  std::vector<std::string> launched_nodes_;
  std::vector<std::string> forgotten_;
  std::vector<size_t> poll_batches_;
  std::vector<std::optional<int64_t>> time_limits_;
  Calls calls_;
};

// `names.size()` up nodes of `backend` with 4 CPUs and 8 GiB each, named
// "<prefix><name>" (prefix "" or e.g. "slurm/hpc1/").
std::vector<Node> CpuNodes(const std::string& backend, const std::vector<std::string>& names,
                           const std::string& prefix = "");

}  // namespace skyrun::test_support
