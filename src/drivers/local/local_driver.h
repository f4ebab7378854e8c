// LocalDriver: the "local" backend, where this machine (or the nodes declared
// for it) is the node pool. Each task runs in a bubblewrap sandbox (sandbox.h:
// the state hidden, only its own directories writable, as its tenant's
// unprivileged uid where the server is root) as a process group under its own
// supervisor (`skyrun supervise <task_dir>`, supervisor.h), started detached
// so that a server restart, even a SIGKILL, neither kills nor loses it: the
// handle is the task directory, and everything Poll needs is in its files
// (task_files.h). The controller calls it; after a restart it calls
// VoidIfUnclaimed for launches it recorded but that no supervisor claimed.
//
// How Poll reads a task directory:
//   exit.json            -> SUCCEEDED (exit code 0); KILLED (cancelled, also before
//                           it started); FAILED (any other end: non-zero exit code,
//                           a signal skyrun did not send (128+sig), time limit)
//   lock held            -> RUNNING once `started` exists, else LAUNCHING
//   lock free, no claim  -> LAUNCHING during unclaimed_grace_seconds after the
//                           launch, then LOST
//   claim "voided"       -> LOST (never ran); claim "cancelled" -> KILLED (never ran)
//   claim by a pid       -> LOST: the supervisor died without recording an exit
//
// Thread-safety: every method may be called concurrently; the driver holds no
// mutable state after Create (everything lives in the task directories).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "drivers/driver.h"
#include "drivers/local/detached_launcher.h"
#include "drivers/local/task_files.h"
#include "storage/object_staging.h"
#include "storage/s3_client.h"

namespace skyrun::image {
class ImageManager;
struct ImageRecord;
}  // namespace skyrun::image

namespace skyrun {

// GPUs declared for a node (for machines and tests without nvidia-smi).
struct LocalGpuConfig {
  std::string model;      // "A100-80GB"
  int64_t memory_mb = 0;  // per device
  int count = 0;
};

struct LocalNodeConfig {
  std::string name;
  int64_t cpus_milli = 0;
  int64_t memory_mib = 0;
  std::vector<LocalGpuConfig> gpus;  // indices are given in order: 0, 1, ...
  std::map<std::string, std::string> attributes;
  std::string address = "127.0.0.1";
};

// How tasks are confined (sandbox.h): bubblewrap namespaces, the server's state
// hidden, only the task's own directories writable, and, where the server
// runs as root, an unprivileged uid per tenant (its gid is the same number).
struct LocalSandboxConfig {
  bool enabled = true;  // false: tasks run as the server's user and see everything (unsafe)
  std::string bwrap = "/usr/bin/bwrap";
  // A tenant's uid: tenant_uids[name] if listed; else, with a range, first + the
  // tenant's id (one uid per tenant, so tenants cannot read each other's files);
  // else default_uid. A tenant whose id does not fit the range cannot launch.
  std::map<std::string, int64_t> tenant_uids;
  std::optional<std::pair<int64_t, int64_t>> task_uid_range;  // [first, last]
  int64_t default_uid = 65534;                                // nobody
};

// The uid a tenant's tasks run as under `config` (where the server is root).
Result<int64_t> TaskUidFor(const LocalSandboxConfig& config, TenantId tenant_id,
                           const std::string& tenant_name);

struct LocalPoolConfig {
  // Empty: one node "local" = this machine (CPUs from the affinity mask,
  // memory from /proc/meminfo, GPUs from nvidia-smi where it exists).
  std::vector<LocalNodeConfig> nodes;
  std::string runtime;            // container runtime: "" (none), podman, docker, apptainer, singularity
  double price_per_gpu_hour = 0;  // USD
  double price_per_cpu_hour = 0;  // USD, per whole CPU
  std::string supervisor_binary;  // "" = this program (/proc/self/exe), run as `<bin> supervise DIR`
  std::string state_dir;          // job dirs go to <state_dir>/jobs/<id> when a launch names none
  // Named volumes (storage/volume_store.h); "" = <state_dir>/volumes. Hidden
  // from every task; a task sees only its own spec's volumes, bound in.
  std::string volumes_dir;
  int64_t volumes_per_tenant_bytes = 0;  // storage.per_tenant_bytes: checked before a launch writes a volume
  // Object storage for inputs and outputs with a path (storage/object_staging.h):
  // the endpoints (storage.s3) and this machine's input cache ("" = <state_dir>/cache/inputs).
  std::vector<storage::S3Endpoint> s3_endpoints;
  std::string input_cache_dir;
  std::string cgroup_root = "/sys/fs/cgroup";
  int64_t unclaimed_grace_seconds = 30;  // LAUNCHING before an unclaimed task counts as LOST
  LocalSandboxConfig sandbox;
  // With no `runtime`, an `image` runs under skyrun's own sandbox with the
  // image's tree as `/`, pulled by this manager (the server's; not owned;
  // it must outlive the driver). nullptr: an image needs a runtime.
  image::ImageManager* images = nullptr;
};

class LocalDriver final : public Driver {
 public:
  // Validates the config, probes this machine where no node is declared, and
  // detects cgroup v2 support. `clock` must outlive the driver. `launcher`
  // defaults to a DetachedLauncher (tests may hold launches back).
  static Result<std::unique_ptr<LocalDriver>> Create(LocalPoolConfig config, Clock& clock,
                                                     std::unique_ptr<ProcessLauncher> launcher = nullptr);

  std::string Name() const override { return "local"; }
  // Any GPU share (the scheduler partitions devices and the task sees only
  // its CUDA_VISIBLE_DEVICES), and every task runs on the node it was given.
  BackendCapabilities Capabilities() const override {
    return {.gpu_granularity_milli = 1, .skyrun_binds_gpus = true, .pins_nodes = true};
  }
  Result<std::vector<Node>> Inventory() override;
  // Refuses an image (on the job or a role) when neither a container runtime
  // nor an image manager (with the sandbox on) is configured, or when its
  // reference is malformed.
  Status CanRun(const JobSpec& spec) override;
  // Creates each task's directory (TaskLaunch::task_dir, by default
  // <job_dir>/attempt-<n>/rank-<r>/) with task.json and the staged work/, then
  // starts one detached supervisor per task. Handles are the task dirs.
  // MASTER_PORT, unless the tasks' env names one: a port free on this machine
  // now, the same for every task of the attempt. A task's image is pulled
  // first (each image once per launch; a pull of a cached image only asks
  // the registry for its manifest); a failed pull fails the launch with the
  // registry's answer.
  Result<std::vector<std::string>> Launch(const AttemptLaunch& launch) override;
  TaskStatus Poll(const std::string& handle) override;
  // SIGTERM to the supervisor (which stops the task: SIGTERM, grace, SIGKILL);
  // a task no supervisor claimed yet is claimed as "cancelled" so it never
  // starts; for a LOST task (its supervisor died), SIGKILL to what is left of
  // its process group (processes whose cwd is inside the task directory).
  Status Cancel(const std::string& handle) override;
  std::string LogPath(const std::string& handle) override;

  // For a task whose launch was recorded but that may never have been claimed
  // (server restart): claims it as "voided" so that it never runs, creating
  // the task directory if the launch never got that far. OK if it is voided
  // (now or before, or cancelled before it started); AlreadyExists if a
  // supervisor claimed it first (then Poll tells how it is doing).
  Status VoidIfUnclaimed(const std::string& handle) override;

  const LocalPoolConfig& config() const { return config_; }

  // Whether a task under <state_dir>/jobs that has not ended runs (or is to
  // run) with `rootfs` as its `/`: the image manager keeps such a tree when
  // its image is removed. Reads the task directories.
  bool RootfsInUse(const std::string& rootfs) const;

 private:
  LocalDriver(LocalPoolConfig config, Clock& clock, std::unique_ptr<ProcessLauncher> launcher,
              std::vector<Node> nodes, std::string cgroup_parent);
  // `master_port` ("" = the job's own) goes into the task's MASTER_PORT.
  Result<std::string> WriteTask(const AttemptLaunch& launch, const TaskLaunch& task,
                                const std::string& attempt_dir, const std::string& job_dir,
                                const std::string& master_port, const image::ImageRecord* image,
                                const DataMoved& pulled);
  // Where the named volumes lie (config volumes_dir, else <state_dir>/volumes; "" = none).
  std::string VolumesDir() const;
  // Stages the spec's inputs into `cwd` (before the supervisor starts) and
  // notes what moved in the task's log.
  Status StageInputs(const JobSpec& spec, const std::string& cwd, const std::string& log_path,
                     storage::TransferStats* total);
  // Uploads a succeeded task's outputs once; the result is kept in
  // outputs.json, so later polls answer the same. Turns `st` into a failure
  // (with the store's answer) when an upload fails.
  void UploadOutputsOnce(const TaskPaths& paths, const TaskFile& task, TaskStatus* st);

  const LocalPoolConfig config_;
  Clock& clock_;
  const std::unique_ptr<ProcessLauncher> launcher_;
  const std::vector<Node> nodes_;
  const std::string cgroup_parent_;  // "" = limits not enforced on this machine
};

}  // namespace skyrun
