// SlurmDriver: runs skyrun attempts on an existing Slurm cluster through its
// commands (sbatch, squeue, scontrol, sacct, scancel), run by a CommandRunner
// with SLURM_CONF set to the cluster's slurm.conf. The controller is its only
// caller, through the Driver interface (drivers/driver.h).
//
//   Inventory  `scontrol show node -d -o` -> one Node per Slurm node (of the
//              configured partition): "slurm/<cluster>/<node>", CPUs, memory,
//              GPUs from the gpu GRES (model = GRES type, or as mapped),
//              attributes Provider=slurm, Cluster, Partition, State, SlurmNode;
//              less what other users' jobs hold (slurm_usage.h, with
//              `scontrol show job -d -o` for skyrun's own share).
//   CanRun     refuses an image when the cluster has no container support,
//              file_mounts without a container runtime, several images with
//              pyxis. Whether the job fits is the scheduler's question, over
//              the inventory of every backend (CheckFits answers it for this
//              cluster alone, for tools and tests).
//   Launch     renders the attempt as one sbatch script (sbatch_render.h),
//              writes it to <job_dir>/attempt-<n>/job.sbatch, submits it with
//              `sbatch --parsable`; returns one handle per rank.
//   Poll       `squeue -h -j ID`, then `scontrol show job -o ID` once the job
//              has left the queue, then `sacct` if the controller forgot it;
//              per-rank exit codes from <attempt>/rank-<r>/exit.json.
//   PollMany   one `squeue --json` for all the ranks' jobs, one `sacct` for
//              those slurmctld no longer holds.
//   Cancel     `scancel ID` (the whole attempt: all ranks are one Slurm job).
//   LogPath    <job_dir>/attempt-<n>/rank-<r>/output.log.
//
// Handles are "<slurm_job_id>:<rank>:<rank_dir>", e.g.
// "42:1:/srv/skyrun/jobs/7/attempt-1/rank-1": everything Poll needs is in the
// handle and in Slurm, so a restarted server finds its jobs again.
//
// Requirement on the cluster: the job directory is on a filesystem shared by
// the skyrun server and the Slurm nodes (logs and exit files are read there).
//
// Thread-safety: every method may be called concurrently; the only shared
// state is the last-known status per handle (under a mutex): a finished rank
// is answered from it, and it stands in while Slurm cannot be reached. It is
// a cache: a restarted server rebuilds it from Slurm and the rank files.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "drivers/driver.h"
#include "drivers/slurm/command_runner.h"
#include "drivers/slurm/sbatch_render.h"
#include "drivers/slurm/slurm_config.h"
#include "drivers/slurm/slurm_inventory.h"
#include "drivers/slurm/slurm_parse.h"

namespace skyrun {

// Where one rank of one attempt lives.
struct SlurmHandle {
  std::string job_id;  // Slurm's
  int rank = 0;
  std::string rank_dir;
};
std::string FormatSlurmHandle(const SlurmHandle& handle);
Result<SlurmHandle> ParseSlurmHandle(const std::string& handle);

// What every Slurm cluster can honour (see SlurmDriver::Capabilities).
BackendCapabilities SlurmCapabilities();

class SlurmDriver final : public Driver {
 public:
  SlurmDriver(SlurmClusterConfig config, std::unique_ptr<CommandRunner> runner);

  std::string Name() const override { return "slurm/" + config_.name; }
  Micros PollInterval() const override { return config_.poll_interval_ms * kMicrosPerMilli; }
  Micros InventoryInterval() const override { return config_.inventory_interval_ms * kMicrosPerMilli; }
  // Whole GPUs only: the sbatch script asks --gres=gpu:N, a share included
  // (sbatch_render.h), and Slurm binds the GPUs it grants (GRES sets
  // CUDA_VISIBLE_DEVICES); a placement's nodes become --nodelist.
  BackendCapabilities Capabilities() const override { return SlurmCapabilities(); }
  Result<std::vector<Node>> Inventory() override;
  Status CanRun(const JobSpec& spec) override;
  Result<std::vector<std::string>> Launch(const AttemptLaunch& launch) override;
  TaskStatus Poll(const std::string& handle) override;
  // One `squeue --json` for every rank's job, then one `sacct -j ID,...` for
  // the jobs slurmctld no longer holds; ranks already final are answered from
  // memory. Where squeue has no --json, the per-job questions of Poll.
  std::vector<TaskStatus> PollMany(const std::vector<std::string>& handles) override;
  Status Cancel(const std::string& handle) override;
  std::string LogPath(const std::string& handle) override;
  // OK when the rank's Slurm job was still pending and is now cancelled (or
  // Slurm never knew it); AlreadyExists when it has started.
  Status VoidIfUnclaimed(const std::string& handle) override;
  // Drops the handle's last-known status (the driver's only per-handle memory).
  void Forget(const std::string& handle) override;
  // Statuses kept in memory: zero once every handle polled is forgotten. For tests.
  size_t RetainedEntries();

  // Refuses a job a node of this cluster can never hold (runs scontrol).
  Status CheckFits(const JobSpec& spec);
  const SlurmClusterConfig& config() const { return config_; }

 private:
  // Runs a Slurm command with SLURM_CONF; Unavailable when it could not run
  // or timed out.
  Result<CommandResult> RunSlurm(const std::vector<std::string>& argv);
  // The job as Slurm knows it: squeue, then scontrol, then sacct. NotFound
  // when none of them knows it; Unavailable when Slurm cannot be reached.
  Result<SlurmJobInfo> QueryJob(const std::string& job_id);
  // `scontrol show node -d -o`, parsed.
  Result<std::vector<SlurmNodeInfo>> ReadNodes();
  // The nodes of `node_list` that are down now (for NODE_FAIL reasons).
  std::vector<std::string> DownNodes(const std::string& node_list);
  // Many jobs at once (PollMany): the ids absent from the answer are unknown
  // to Slurm; Unavailable when Slurm cannot be reached.
  Result<std::map<std::string, SlurmJobInfo>> QueryJobs(const std::set<std::string>& job_ids);
  // A rank's final status, if it has one in memory.
  std::optional<TaskStatus> FinalStatus(const std::string& handle_text);
  // The rank's status from what Slurm said of its job (or why it could not)
  // and the rank's own files; remembered as the last known.
  TaskStatus StatusFrom(const std::string& handle_text, const SlurmHandle& handle,
                        const Result<SlurmJobInfo>& job);
  static TaskStatus BadHandleStatus(const Status& why);
  SbatchOptions RenderOptions() const;

  SlurmClusterConfig config_;
  std::unique_ptr<CommandRunner> runner_;
  std::mutex mu_;
  std::map<std::string, TaskStatus> last_known_;  // by handle; guarded by mu_
};

}  // namespace skyrun
