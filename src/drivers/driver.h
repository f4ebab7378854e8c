// Driver: the compatibility layer's contract. A driver turns a placed attempt
// of a job into its engine's terms (supervised processes, an sbatch script, a
// Volcano Job) and reports the state of each task back. The controller is its
// only caller.
//
// Drivers are asynchronous: Launch returns as soon as the engine accepted the
// work; Poll reports progress. A driver keeps no state that a server restart
// would lose: everything it needs to find its work again is in the handle
// (stored with the attempt) and in the engine itself.
//
// Thread-safety: implementations must allow concurrent calls.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "common/status.h"
#include "model/job.h"
#include "model/job_spec.h"
#include "model/node.h"
#include "model/placement.h"

namespace skyrun {

class CapacityPool;  // drivers/capacity.h

// Everything one task needs to start, already resolved by the controller.
struct TaskLaunch {
  int rank = 0;
  std::string task_dir;  // <job_dir>/attempt-<n>/rank-<r>: the task's files and log
  std::string role;
  TaskPlacement placement;
  std::map<std::string, std::string> env;  // SKYRUN_*, MASTER_*, RANK, CUDA_VISIBLE_DEVICES, user envs
  std::string setup;                       // shell, run once before run ("" = none)
  std::string run;                         // shell
  std::string image;                       // container image ("" = none)
};

struct AttemptLaunch {
  JobId job_id;
  int attempt_no = 1;
  std::string job_name;
  std::string tenant;
  TenantId tenant_id;             // the local sandbox runs each tenant's tasks as its own uid
  const JobSpec* spec = nullptr;  // for workdir, file_mounts, limits
  std::string job_dir;            // STATE/jobs/<id>: logs and checkpoints live under it
  std::string checkpoint_dir;     // kept across attempts
  std::vector<TaskLaunch> tasks;  // by rank
  int64_t kill_grace_seconds = 10;
  std::optional<int64_t> time_limit_seconds;
};

struct TaskStatus {
  int rank = 0;
  RunState state = RunState::kPending;
  std::optional<int> exit_code;
  Micros started_at = 0;
  Micros ended_at = 0;
  std::string reason;  // "exit code 75", "killed by SIGKILL", "NODE_FAIL", ...
  DataMoved moved;     // what the driver moved for this task so far (model/job.h)
};

// What a backend can honour, so that the scheduler places only what the
// engine will really give.
struct BackendCapabilities {
  // The smallest GPU unit the engine hands out, in milli-GPU: 1 = any share
  // (skyrun partitions devices itself), 1000 = whole GPUs only (a share of a
  // GPU still takes a whole one in skyrun's books).
  int64_t gpu_granularity_milli = 1;
  // Whether skyrun chooses the device indices (CUDA_VISIBLE_DEVICES) or the
  // engine binds GPUs itself (Slurm GRES, the Kubernetes device plugin).
  bool skyrun_binds_gpus = true;
  // Whether a task can be pinned to the node the scheduler chose.
  bool pins_nodes = true;
};

class Driver {
 public:
  virtual ~Driver() = default;
  virtual std::string Name() const = 0;  // "local", "slurm/hpc1"
  // How often the controller asks this backend about its tasks (Poll): 0 =
  // every cycle (local: reading files is cheap). Engines where each question
  // is a round trip to their own controller (squeue, kubectl) ask for seconds.
  virtual Micros PollInterval() const { return 0; }
  // How often its inventory is read again: 0 = the controller's default.
  virtual Micros InventoryInterval() const { return 0; }
  virtual BackendCapabilities Capabilities() const { return {}; }
  // The nodes this backend offers now.
  virtual Result<std::vector<Node>> Inventory() = 0;
  // Refuses what this backend cannot run at all (e.g. an image with no
  // container runtime), before anything is placed. OK by default.
  virtual Status CanRun(const JobSpec& spec) { return Status::Ok(); }
  // Starts every task of the attempt. Returns one handle per task (by rank),
  // to be stored with the attempt rows.
  virtual Result<std::vector<std::string>> Launch(const AttemptLaunch& launch) = 0;
  // The state of one task by its handle. Idempotent; safe after a restart.
  virtual TaskStatus Poll(const std::string& handle) = 0;
  // The states of many tasks at once, in the order of `handles`. Engines
  // whose every question is a round trip (squeue, sacct, kubectl) answer
  // with one query per call; the default asks Poll for each.
  virtual std::vector<TaskStatus> PollMany(const std::vector<std::string>& handles) {
    std::vector<TaskStatus> out;
    out.reserve(handles.size());
    for (const auto& h : handles) out.push_back(Poll(h));
    return out;
  }
  // Asks the task to stop: SIGTERM (or the engine's cancel), then SIGKILL after the grace.
  virtual Status Cancel(const std::string& handle) = 0;
  // Path of the task's combined stdout/stderr log on this machine ("" if none yet).
  virtual std::string LogPath(const std::string& handle) = 0;
  // After a server restart, for a task whose launch was recorded but not yet
  // confirmed: makes sure it will never start if it has not started yet.
  // OK = voided (it never ran and never will); AlreadyExists = it was
  // started, adopt it. Drivers that cannot tell answer AlreadyExists.
  virtual Status VoidIfUnclaimed(const std::string& handle) {
    return AlreadyExists("this backend cannot void a launch; the task is adopted");
  }
  // Releases whatever the driver keeps for a finished task (optional).
  virtual void Forget(const std::string& handle) {}
  // The provisioned capacity behind this backend (drivers/capacity.h), for a
  // backend whose nodes are bought instances (simcloud); nullptr for a fixed
  // node pool (local, Slurm, Kubernetes).
  virtual CapacityPool* Capacity() { return nullptr; }
};

}  // namespace skyrun
