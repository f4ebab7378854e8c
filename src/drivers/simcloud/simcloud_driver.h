// SimCloudDriver: the "simcloud/<name>" backend. A SimCloud (sim_cloud.h)
// keeps the books of a simulated cloud; this driver makes its instances real
// enough to run jobs on: every running instance is a node in Inventory (the
// offer's GPUs declared, Provider/Region/Zone/InstanceType/Spot attributes,
// the instance price spread over its GPUs, or its CPUs where it has none), and
// tasks placed on it run as supervised local processes through a LocalDriver
// (supervisor, sandbox, task directories), so a job really runs end to end.
//
// Preemption, as a spot instance lives it:
//   notice     -> the instance's node is drained (nothing new lands on it) and
//                 each of its tasks finds a notice file at
//                 $SKYRUN_PREEMPTION_NOTICE_FILE (JSON {"action": "terminate",
//                 "time": ...}, like AWS's instance-action), time to checkpoint
//   preempted  -> the instance leaves the inventory and its tasks are stopped
//                 (SIGTERM, the attempt's kill grace, SIGKILL) as a lost node's
//                 would be; Poll reports them LOST with a reason that starts
//                 with "PREEMPTED" (as Slurm's), so the controller recovers
//                 the job as an infrastructure failure, not the user's error
// An instance given back (Terminate) under running tasks does the same with
// "NODE_FAIL: instance ... terminated".
//
// Handles are "<instance id>|<task dir>": everything Poll needs after a server
// restart is in the handle, the task directory and the SimCloud. The driver
// acts on the cloud's events whenever it is called (Inventory, Launch, Poll):
// the controller polls every cycle, which is the simulation's heartbeat.
//
// Thread-safety: every method may be called concurrently (one mutex over the
// instance -> tasks map; the LocalDriver and SimCloud are thread-safe).
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/log.h"
#include "drivers/driver.h"
#include "drivers/local/local_driver.h"
#include "drivers/simcloud/sim_cloud.h"

namespace skyrun {

class SimCloudDriver final : public Driver {
 public:
  // `local` configures how tasks run (supervisor binary, sandbox, state dir,
  // runtime); its node list is ignored: the nodes are the instances. Buys
  // the config's `provision` list and fails if the cloud refuses any of it
  // (not when config.books_path held books: it was bought at the first start).
  // `clock` (and `logger`, nullptr = none) must outlive the driver.
  static Result<std::unique_ptr<SimCloudDriver>> Create(SimCloudConfig config, LocalPoolConfig local,
                                                        Clock& clock, Logger* logger = nullptr,
                                                        std::unique_ptr<ProcessLauncher> launcher = nullptr);

  std::string Name() const override { return cloud_->PoolName(); }
  Micros InventoryInterval() const override {
    return cloud_->config().inventory_interval_ms * kMicrosPerMilli;
  }
  BackendCapabilities Capabilities() const override {
    return {.gpu_granularity_milli = 1, .skyrun_binds_gpus = true, .pins_nodes = true};
  }
  // Running instances (drained while under a preemption notice).
  Result<std::vector<Node>> Inventory() override;
  Status CanRun(const JobSpec& spec) override { return local_->CanRun(spec); }
  // Refuses a task placed on a node that is not a running instance of this cloud.
  Result<std::vector<std::string>> Launch(const AttemptLaunch& launch) override;
  TaskStatus Poll(const std::string& handle) override;
  Status Cancel(const std::string& handle) override;
  std::string LogPath(const std::string& handle) override;
  Status VoidIfUnclaimed(const std::string& handle) override;
  void Forget(const std::string& handle) override;
  CapacityPool* Capacity() override { return cloud_.get(); }

  SimCloud& cloud() { return *cloud_; }
  // The node name of an instance: "simcloud/<name>/<instance id>".
  std::string NodeName(const std::string& instance_id) const { return Name() + "/" + instance_id; }

 private:
  SimCloudDriver(std::unique_ptr<SimCloud> cloud, std::unique_ptr<LocalDriver> local, Logger* log);
  // Acts on the cloud's new events: notice files, stopping preempted tasks.
  void Sweep();
  void TrackLocked(const std::string& instance_id, const std::string& task_dir);

  const std::unique_ptr<SimCloud> cloud_;
  const std::unique_ptr<LocalDriver> local_;
  Logger* const log_;  // warnings that reach no caller (a notice not written)
  std::mutex mu_;
  int64_t events_seen_ = 0;
  std::map<std::string, std::set<std::string>> tasks_by_instance_;  // instance id -> task dirs
  std::set<std::string> stopped_by_cloud_;                          // task dirs stopped with their instance
  std::set<std::string> cancelled_by_user_;                         // task dirs the controller cancelled
};

// "i-0001|/state/jobs/7/attempt-1/rank-0" -> {"i-0001", "/state/..."}; InvalidArgument otherwise.
Result<std::pair<std::string, std::string>> SplitSimCloudHandle(const std::string& handle);

}  // namespace skyrun
