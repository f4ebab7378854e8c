// Renders one attempt of a job as an sbatch script: a pure function of the
// AttemptLaunch and the cluster's options, so that the scripts are tested as
// golden files (tests/slurm/golden/*.sbatch). The SlurmDriver writes the
// script to <job_dir>/attempt-<n>/job.sbatch and submits it.
//
// What the script does (docs/backends-slurm.md has the full story):
//   - #SBATCH directives: job name, --nodes (distinct nodes of the placement),
//     --ntasks, --ntasks-per-node when even, --cpus-per-task, --mem (per node,
//     MiB), --gres=gpu:TYPE:N (per node), --time, partition/account/qos,
//     --nodelist when the placement names nodes, --no-requeue (skyrun owns
//     recovery), the batch log into the attempt dir.
//   - starts every rank with one `srun --kill-on-bad-exit=1` (a gang ends as
//     a whole) whose --output is <attempt dir>/rank-%t/output.log;
//   - each rank gets the local backend's environment, computed from Slurm at
//     run time: RANK/SKYRUN_NODE_RANK (SLURM_PROCID), WORLD_SIZE/
//     SKYRUN_NUM_NODES (SLURM_NTASKS), LOCAL_RANK (SLURM_LOCALID),
//     SKYRUN_NODE_IPS and MASTER_ADDR (addresses of the allocation's nodes,
//     first one is the master), MASTER_PORT (chosen by the batch step on the
//     first node: from 20000 + job id mod 20000, the first port free there),
//     SKYRUN_CHECKPOINT_DIR, CUDA_VISIBLE_DEVICES as Slurm sets it (empty for
//     ranks without GPUs), plus the TaskLaunch env;
//   - the first rank on each node runs `setup` once, the node's other ranks
//     wait for it; then each rank runs `run` (in its image when it names one,
//     through pyxis or apptainer) and writes its exit code to
//     <attempt dir>/rank-<r>/exit.json atomically;
//   - the spec's volumes, bound as sbatch_volumes.h says.
// Milli-GPU tasks get one whole GPU (Slurm has no milli-GPU; a `shard` GRES is
// not assumed to be configured); the script says so in a comment.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "drivers/driver.h"

namespace skyrun {

struct SbatchOptions {
  std::string backend_name = "slurm/hpc1";  // placement node names carry "<backend_name>/" first
  std::string partition;                    // "" = the cluster's default
  std::string account;
  std::string qos;
  std::string container = "none";  // none | pyxis | apptainer
  // skyrun GPU model -> Slurm GRES type ("A100-80GB" -> "a100"); a model not
  // listed is used as the GRES type as it is.
  std::map<std::string, std::string> gres_types;
  int64_t default_memory_mib_per_task = 1024;  // when neither placement nor spec says
  // Where the nodes see the server's volume store ("" = no volumes here) and
  // whether a rank without an image may bind them under bubblewrap
  // (sbatch_volumes.h).
  std::string volumes_root;
  bool volumes_bwrap = false;
};

// <job_dir>/attempt-<n> and <job_dir>/attempt-<n>/rank-<r>.
std::string SlurmAttemptDir(const std::string& job_dir, int attempt_no);
std::string SlurmRankDir(const std::string& job_dir, int attempt_no, int rank);

// The Slurm node name of a placement's node ("slurm/hpc1/node1" -> "node1").
std::string SlurmNodeName(const std::string& placement_node, const std::string& backend_name);

// "--time" value: seconds rounded up to whole minutes, "[D-]HH:MM:SS".
std::string FormatSlurmTimeLimit(int64_t seconds);

// A word for bash: 'it'\''s' style single quoting; plain words stay bare.
std::string ShellQuote(const std::string& s);

// The script. InvalidArgument when the launch cannot be expressed: no tasks,
// an env name that is not a shell identifier, pyxis with different images per
// rank, an image with container "none", volumes the cluster cannot bind
// (no volumes_root; a rank without an image and volumes_bwrap off).
Result<std::string> RenderSbatch(const AttemptLaunch& launch, const SbatchOptions& options);

}  // namespace skyrun
