#include "drivers/kubernetes/volcano_test_cases.h"

#include <algorithm>

#include "common/strings.h"

namespace skyrun {
namespace {

TaskPlacement Place(int rank, const std::string& role, const std::string& node, const std::string& address,
                    std::vector<int> gpus, int64_t gpu_milli, const std::string& model, int64_t cpus_milli,
                    int64_t memory_mib) {
  TaskPlacement t;
  t.rank = rank;
  t.role = role;
  t.node = node;
  t.node_address = address;
  t.gpu_indices = std::move(gpus);
  t.gpu_milli = MilliGpu(gpu_milli);
  t.gpu_model = model;
  t.cpus_milli = MilliCpu(cpus_milli);
  t.memory_mib = MemoryMiB(memory_mib);
  return t;
}

VolcanoCase MakeCase(const std::string& name, JobSpec spec, int64_t job_id, int attempt_no,
                     const std::string& tenant, std::vector<TaskPlacement> tasks,
                     KubernetesClusterConfig config) {
  VolcanoCase c;
  c.name = name;
  c.spec = std::make_shared<const JobSpec>(std::move(spec));
  c.config = std::move(config);
  AttemptLaunch& l = c.launch;
  l.job_id = JobId(job_id);
  l.attempt_no = attempt_no;
  l.job_name = c.spec->name;
  l.tenant = tenant;
  l.spec = c.spec.get();
  l.job_dir = "/var/lib/skyrun/jobs/" + std::to_string(job_id);
  l.checkpoint_dir = l.job_dir + "/checkpoints";
  l.kill_grace_seconds = 30;
  l.time_limit_seconds = c.spec->time_limit_seconds;  // what the launcher passes
  Placement placement;
  placement.backend = c.config.BackendName();
  placement.tasks = std::move(tasks);
  for (const auto& tp : placement.tasks) {
    TaskLaunch tl;
    tl.rank = tp.rank;
    tl.role = tp.role;
    tl.placement = tp;
    tl.task_dir = l.job_dir + "/attempt-" + std::to_string(attempt_no) + "/rank-" + std::to_string(tp.rank);
    tl.env = ControllerLikeEnv(l, placement, tp.rank, c.spec->envs);
    tl.setup = c.spec->setup;
    tl.run = c.spec->run;
    tl.image = c.spec->image;
    for (const auto& role : c.spec->roles) {
      if (role.name != tp.role) continue;
      if (!role.run.empty()) tl.run = role.run;
      if (!role.image.empty()) tl.image = role.image;
    }
    l.tasks.push_back(tl);
  }
  return c;
}

KubernetesClusterConfig ProdCluster() {
  KubernetesClusterConfig c;
  c.name = "prod";
  c.k8s_namespace = "ml";
  c.kubeconfig = "/etc/skyrun/prod.kubeconfig";
  c.checkpoint.claim = "skyrun-checkpoints";
  c.queue_map = {{"research", "research-q"}};
  return c;
}

VolcanoCase Single() {
  JobSpec s;
  s.name = "resnet50 eval";
  s.queue = "default";
  s.mode = JobMode::kSingle;
  s.resources.cpus_milli = MilliCpu(4000);
  s.resources.memory_mib = MemoryMiB(16 * 1024);
  s.resources.accelerators = {{"T4", 1}};
  s.image = "registry.example.org/vision/eval:1.4";
  s.envs = {{"DATASET", "imagenet-val"}};
  s.run = "python eval.py --checkpoint \"$SKYRUN_CHECKPOINT_DIR/best.pt\"";
  return MakeCase("single", s, 7, 1, "vision",
                  {Place(0, "", "kubernetes/prod/gpu-node-1", "10.0.1.11", {0}, 1000, "T4", 4000, 16384)},
                  ProdCluster());
}

VolcanoCase Gang() {
  JobSpec s;
  s.name = "BERT-Finetune";
  s.queue = "research";
  s.priority = 100;
  s.mode = JobMode::kGang;
  s.num_nodes = 2;
  s.resources.cpus_milli = MilliCpu(16000);
  s.resources.memory_mib = MemoryMiB(128 * 1024);
  s.resources.accelerators = {{"A100", 2}};
  s.image = "registry.example.org/ml/pytorch:2.3-cuda12";
  s.envs = {{"MODEL", "bert-large"}, {"NCCL_DEBUG", "WARN"}};
  s.setup = "pip install -r requirements.txt";
  s.run =
      "torchrun --nnodes=$SKYRUN_NUM_NODES --node_rank=$SKYRUN_NODE_RANK --nproc_per_node=2 "
      "--master_addr=$MASTER_ADDR --master_port=$MASTER_PORT train.py --ckpt $SKYRUN_CHECKPOINT_DIR";
  s.checkpoint_dir = "/ckpt";
  s.time_limit_seconds = 6 * 3600;
  return MakeCase("gang", s, 42, 2, "nlp-team",
                  {Place(0, "", "kubernetes/prod/gpu-a", "10.0.2.21", {0, 1}, 2000, "A100", 16000, 131072),
                   Place(1, "", "kubernetes/prod/gpu-b", "10.0.2.22", {2, 3}, 2000, "A100", 16000, 131072)},
                  ProdCluster());
}

VolcanoCase PsWorker() {
  JobSpec s;
  s.name = "ctr-model";
  s.queue = "ads";
  s.mode = JobMode::kPsWorker;
  Role ps;
  ps.name = "ps";
  ps.count = 1;
  ps.resources.cpus_milli = MilliCpu(8000);
  ps.resources.memory_mib = MemoryMiB(32 * 1024);
  ps.image = "registry.example.org/ads/ps:2.1";
  Role worker;
  worker.name = "worker";
  worker.count = 2;
  worker.resources.cpus_milli = MilliCpu(4000);
  worker.resources.memory_mib = MemoryMiB(16 * 1024);
  worker.resources.accelerators = {{"V100", 1}};
  worker.image = "registry.example.org/ads/worker:2.1";
  worker.run = "python worker.py --ps \"$SKYRUN_NODE_IPS\"";
  s.roles = {ps, worker};
  s.run = "python ps.py";
  s.envs = {{"EMBEDDING_DIM", "64"}};
  s.checkpoint_dir = "/checkpoints/ctr";
  KubernetesClusterConfig config = ProdCluster();
  config.checkpoint.claim.clear();
  config.checkpoint.host_path = "/mnt/skyrun-ckpt/";
  return MakeCase(
      "ps_worker", s, 99, 1, "ads",
      {Place(0, "ps", "kubernetes/prod/cpu-node-1", "10.0.3.31", {}, 0, "", 8000, 32768),
       Place(1, "worker", "kubernetes/prod/gpu-node-1", "10.0.1.11", {0}, 1000, "V100", 4000, 16384),
       Place(2, "worker", "kubernetes/prod/gpu-node-2", "10.0.1.12", {0}, 1000, "V100", 4000, 16384)},
      config);
}

VolcanoCase GpuShare() {
  JobSpec s;
  s.name = "notebook_infer";
  s.queue = "default";
  s.mode = JobMode::kSingle;
  s.resources.cpus_milli = MilliCpu(2500);
  s.resources.memory_mib = MemoryMiB(8 * 1024);
  s.resources.gpu_milli = MilliGpu(500);
  s.envs = {{"PROMPT_TEMPLATE", "Q: $(question) A:"}};
  s.run = "echo started by $$ && python infer.py --out \"$(pwd)/out\"";
  KubernetesClusterConfig config = ProdCluster();
  config.default_image = "registry.example.org/base/cuda:12.4-runtime";
  config.checkpoint.claim.clear();
  return MakeCase("milli_gpu", s, 123, 1, "Research Lab",
                  {Place(0, "", "kubernetes/prod/gpu-node-3", "10.0.1.13", {1}, 500, "A10G", 2500, 8192)},
                  config);
}

// A 2-pod gang of tenant "Team_A" reading one volume and writing another.
VolcanoCase Volumes() {
  JobSpec s;
  s.name = "train-on-volumes";
  s.queue = "default";
  s.mode = JobMode::kGang;
  s.num_nodes = 2;
  s.resources.cpus_milli = MilliCpu(4000);
  s.resources.memory_mib = MemoryMiB(16 * 1024);
  s.resources.accelerators = {{"A100", 1}};
  s.image = "registry.example.org/ml/pytorch:2.3-cuda12";
  s.volumes = {{"imagenet", "/data", true}, {"runs", "/runs/exp1", false}};
  s.run = "python train.py --data $SKYRUN_MOUNT_ROOT/data --out $SKYRUN_MOUNT_ROOT/runs/exp1";
  KubernetesClusterConfig config = ProdCluster();
  config.volumes.enabled = true;
  config.volumes.storage_class = "nfs-rwx";
  config.volumes.size_bytes = int64_t{10} << 30;
  return MakeCase("volumes", s, 77, 1, "Team_A",
                  {Place(0, "", "kubernetes/prod/gpu-a", "10.0.2.21", {0}, 1000, "A100", 4000, 16384),
                   Place(1, "", "kubernetes/prod/gpu-b", "10.0.2.22", {0}, 1000, "A100", 4000, 16384)},
                  config);
}

}  // namespace

std::map<std::string, std::string> ControllerLikeEnv(const AttemptLaunch& launch, const Placement& placement,
                                                     int rank,
                                                     const std::map<std::string, std::string>& user_envs) {
  std::map<std::string, std::string> env;
  const TaskPlacement& me = placement.tasks.at(rank);
  int world = static_cast<int>(placement.tasks.size());
  std::vector<std::string> ips;
  for (const auto& t : placement.tasks)
    if (std::find(ips.begin(), ips.end(), t.node_address) == ips.end()) ips.push_back(t.node_address);
  int local_rank = 0;
  for (const auto& t : placement.tasks) {
    if (t.rank == rank) break;
    if (t.node == me.node) ++local_rank;
  }
  std::vector<std::string> gpus;
  for (int g : me.gpu_indices) gpus.push_back(std::to_string(g));
  env["SKYRUN_JOB_ID"] = launch.job_id.ToString();
  env["SKYRUN_JOB_NAME"] = launch.job_name;
  env["SKYRUN_TASK_ID"] = launch.job_id.ToString() + "-" + std::to_string(rank);
  env["SKYRUN_ATTEMPT"] = std::to_string(launch.attempt_no);
  env["SKYRUN_NODE_RANK"] = std::to_string(rank);
  env["SKYRUN_NUM_NODES"] = std::to_string(world);
  env["SKYRUN_NODE_IPS"] = Join(ips, "\n");
  env["SKYRUN_NODE_NAME"] = me.node;
  if (!me.role.empty()) env["SKYRUN_ROLE"] = me.role;
  env["SKYRUN_CHECKPOINT_DIR"] = launch.checkpoint_dir;
  env["MASTER_ADDR"] = placement.tasks.front().node_address;
  env["WORLD_SIZE"] = std::to_string(world);
  env["RANK"] = std::to_string(rank);
  env["LOCAL_RANK"] = std::to_string(local_rank);
  env["CUDA_VISIBLE_DEVICES"] = Join(gpus, ",");
  if (me.gpu_milli.IsPositive() && me.gpu_milli < MilliGpu(kMilliPerUnit))
    env["SKYRUN_GPU_MILLI"] = std::to_string(me.gpu_milli.raw());
  for (const auto& [k, v] : user_envs) env[k] = v;
  return env;
}

std::vector<VolcanoCase> VolcanoGoldenCases() {
  return {Single(), Gang(), PsWorker(), GpuShare(), Volumes()};
}

}  // namespace skyrun
