#include <algorithm>

#include "common/quantities.h"
#include "common/strings.h"
#include "controller/controller.h"
#include "controller/slurm_hostlist.h"

namespace skyrun {

std::map<std::string, std::string> TaskEnvironment(const JobRecord& job, const Placement& placement, int rank,
                                                   int attempt_no, const std::string& checkpoint_dir) {
  std::map<std::string, std::string> env;
  const TaskPlacement& me = placement.tasks.at(rank);
  int world = static_cast<int>(placement.tasks.size());
  // Node IPs, one per distinct node in rank order (what SkyPilot users expect).
  std::vector<std::string> ips;
  for (const auto& t : placement.tasks) {
    if (std::find(ips.begin(), ips.end(), t.node_address) == ips.end()) ips.push_back(t.node_address);
  }
  int local_rank = 0;
  for (const auto& t : placement.tasks) {
    if (t.rank == rank) break;
    if (t.node == me.node) ++local_rank;
  }
  std::vector<std::string> gpus;
  for (int g : me.gpu_indices) gpus.push_back(std::to_string(g));

  env["SKYRUN_JOB_ID"] = job.id.ToString();
  env["SKYRUN_JOB_NAME"] = job.name;
  env["SKYRUN_TASK_ID"] = job.id.ToString() + "-" + std::to_string(rank);
  env["SKYRUN_ATTEMPT"] = std::to_string(attempt_no);
  env["SKYRUN_NODE_RANK"] = std::to_string(rank);
  env["SKYRUN_NUM_NODES"] = std::to_string(world);
  env["SKYRUN_NODE_IPS"] = Join(ips, "\n");
  env["SKYRUN_NODE_NAME"] = me.node;
  if (!me.role.empty()) env["SKYRUN_ROLE"] = me.role;
  env["SKYRUN_CHECKPOINT_DIR"] = checkpoint_dir;
  // GPUs this task holds; a share of one GPU counts as one, as SkyPilot rounds it up.
  int gpus_per_node = static_cast<int>(me.gpu_indices.size());
  if (gpus_per_node == 0 && me.gpu_milli.IsPositive()) gpus_per_node = 1;
  env["SKYRUN_NUM_GPUS_PER_NODE"] = std::to_string(gpus_per_node);
  // SkyPilot's task variables with SkyPilot's meanings (issue 15), so that
  // its task YAMLs run unchanged. TASK_ID is the same on every node and
  // every attempt of the job: torchrun's --rdzv_id reads it.
  env["SKYPILOT_NODE_RANK"] = env["SKYRUN_NODE_RANK"];
  env["SKYPILOT_NUM_NODES"] = env["SKYRUN_NUM_NODES"];
  // One line per node of the job, even where two nodes share an address (a
  // local pool): SkyPilot's scripts count the nodes with `wc -l`.
  std::vector<std::string> node_names, node_ips;
  for (const auto& t : placement.tasks) {
    if (std::find(node_names.begin(), node_names.end(), t.node) != node_names.end()) continue;
    node_names.push_back(t.node);
    node_ips.push_back(t.node_address);
  }
  env["SKYPILOT_NODE_IPS"] = Join(node_ips, "\n");
  env["SKYPILOT_NUM_GPUS_PER_NODE"] = env["SKYRUN_NUM_GPUS_PER_NODE"];
  env["SKYPILOT_TASK_ID"] = "skyrun-" + job.id.ToString() + "_" + job.name;
  // Every element of an array (sbatch --array or the spec's `array:`).
  if (job.spec.array.present() && job.spec.array.task_id >= 0) {
    const JobArray& array = job.spec.array;
    env["SKYRUN_ARRAY_JOB_ID"] = std::to_string(array.array_job_id > 0 ? array.array_job_id : job.id.value());
    env["SKYRUN_ARRAY_TASK_ID"] = std::to_string(array.task_id);
    env["SKYRUN_ARRAY_TASK_COUNT"] = std::to_string(array.indices.size());
  }
  // A job read from a Slurm batch script (spec/sbatch_script.h) gets what
  // sbatch sets for its tasks. On the Slurm backend Slurm's own values win
  // (drivers/slurm/sbatch_render.cc).
  if (job.spec.slurm_env) {
    int node_id =
        static_cast<int>(std::find(node_names.begin(), node_names.end(), me.node) - node_names.begin());
    env["SLURM_JOB_ID"] = job.id.ToString();
    env["SLURM_JOBID"] = job.id.ToString();
    // The script's name: every element of an array has the same, as in Slurm.
    env["SLURM_JOB_NAME"] = job.spec.name.empty() ? job.name : job.spec.name;
    env["SLURM_PROCID"] = std::to_string(rank);
    env["SLURM_LOCALID"] = std::to_string(local_rank);
    env["SLURM_NODEID"] = std::to_string(node_id);
    env["SLURM_NNODES"] = std::to_string(node_names.size());
    env["SLURM_NTASKS"] = std::to_string(world);
    env["SLURM_JOB_NUM_NODES"] = std::to_string(node_names.size());
    env["SLURM_JOB_NODELIST"] = SlurmHostList(node_names);  // node[1-3,5], as Slurm writes it
    env["SLURM_NODELIST"] = env["SLURM_JOB_NODELIST"];
    const JobArray& array = job.spec.array;
    if (array.present() && array.task_id >= 0) {
      env["SLURM_ARRAY_JOB_ID"] =
          std::to_string(array.array_job_id > 0 ? array.array_job_id : job.id.value());
      env["SLURM_ARRAY_TASK_ID"] = std::to_string(array.task_id);
      env["SLURM_ARRAY_TASK_COUNT"] = std::to_string(array.indices.size());
      env["SLURM_ARRAY_TASK_MIN"] = std::to_string(array.indices.front());
      env["SLURM_ARRAY_TASK_MAX"] = std::to_string(array.indices.back());
      env["SLURM_ARRAY_TASK_STEP"] = std::to_string(array.step);
    }
  }
  env["MASTER_ADDR"] = placement.tasks.front().node_address;
  env["WORLD_SIZE"] = std::to_string(world);
  env["RANK"] = std::to_string(rank);
  env["LOCAL_RANK"] = std::to_string(local_rank);
  // Always set: a task with no GPU must see none, not every GPU of the node.
  env["CUDA_VISIBLE_DEVICES"] = Join(gpus, ",");
  if (me.gpu_milli.IsPositive() && me.gpu_milli < MilliGpu(kMilliPerUnit))
    env["SKYRUN_GPU_MILLI"] = std::to_string(me.gpu_milli.raw());
  return env;
}

}  // namespace skyrun
