#include "drivers/kubernetes/volcano_render.h"

#include <algorithm>
#include <regex>
#include <set>

#include "common/quantities.h"
#include "common/strings.h"
#include "drivers/kubernetes/kube_quantity.h"
#include "drivers/kubernetes/volcano_names.h"
#include "drivers/kubernetes/volume_claims.h"

namespace skyrun {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kLabelJobId = "skyrun.io/job-id";
constexpr const char* kLabelTenant = "skyrun.io/tenant";
constexpr const char* kLabelAttempt = "skyrun.io/attempt";
constexpr const char* kLabelRole = "skyrun.io/role";
constexpr const char* kAnnotationJobName = "skyrun.io/job-name";
constexpr const char* kAnnotationRankOffset = "skyrun.io/rank-offset";
constexpr const char* kAnnotationGpuMilli = "skyrun.io/gpu-milli";
constexpr const char* kVolcanoTaskIndex = "volcano.sh/task-index";
constexpr const char* kCheckpointVolume = "skyrun-checkpoint";
constexpr const char* kShmVolume = "dshm";
constexpr const char* kDefaultMasterPort = "29500";

// Variables the controller computes per rank; a shared pod template cannot carry
// them, so they are recomputed inside the pod (or dropped, for the device plugin).
const std::set<std::string>& PerRankEnv() {
  static const std::set<std::string> kNames = {
      "RANK", "LOCAL_RANK", "SKYRUN_NODE_RANK", "SKYRUN_TASK_ID", "SKYRUN_NODE_NAME", "MASTER_ADDR",
      "CUDA_VISIBLE_DEVICES", "SKYRUN_NODE_IPS", "SKYRUN_CHECKPOINT_DIR",
      // SkyPilot's names for the same values (controller/task_env.cc).
      "SKYPILOT_NODE_RANK", "SKYPILOT_NODE_IPS", "SKYPILOT_NUM_NODES"};
  return kNames;
}

// The shell every container runs. $1 = setup ("" = none), $2 = run.
constexpr const char* kWrapper =
    "i=\"${VC_TASK_INDEX:-${SKYRUN_TASK_INDEX:-${HOSTNAME##*-}}}\"\n"
    "export SKYRUN_NODE_RANK=\"$((SKYRUN_RANK_OFFSET + i))\"\n"
    "export RANK=\"$SKYRUN_NODE_RANK\" SKYPILOT_NODE_RANK=\"$SKYRUN_NODE_RANK\"\n"
    "export SKYRUN_TASK_ID=\"$SKYRUN_JOB_ID-$RANK\"\n"
    "sh=/bin/sh; if [ -x /bin/bash ]; then sh=/bin/bash; fi\n"
    "if [ -n \"$1\" ]; then \"$sh\" -c \"$1\" || exit $?; fi\n"
    "exec \"$sh\" -c \"$2\"\n";

struct PodResources {
  int64_t cpus_milli = 0;
  int64_t memory_mib = 0;
  int64_t gpu_milli = 0;
  bool operator==(const PodResources&) const = default;
};

// One Volcano task: the ranks of one role.
struct RoleGroup {
  std::string role;       // as the controller named it ("" for single and gang)
  std::string task_name;  // DNS label
  int offset = 0;
  std::vector<const TaskLaunch*> tasks;
  const ResourceRequest* request = nullptr;
  const Role* spec_role = nullptr;
  PodResources resources;
  std::string image;
};

bool IsDnsSubdomain(const std::string& s) {
  static const std::regex kSubdomain("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
  return !s.empty() && s.size() <= 253 && std::regex_match(s, kSubdomain);
}

PodResources ResourcesOf(const TaskLaunch& t, const ResourceRequest& req,
                         const KubernetesClusterConfig& config) {
  PodResources r;
  r.cpus_milli = (t.placement.cpus_milli.IsPositive() ? t.placement.cpus_milli : req.cpus_milli).raw();
  r.memory_mib = t.placement.memory_mib.IsPositive() ? t.placement.memory_mib.raw()
                 : req.memory_mib.IsPositive()       ? req.memory_mib.raw()
                                                     : config.default_memory_mib;
  if (t.placement.gpu_milli.IsPositive()) {
    r.gpu_milli = t.placement.gpu_milli.raw();
  } else if (req.gpu_milli.IsPositive()) {
    r.gpu_milli = req.gpu_milli.raw();
  } else if (!req.accelerators.empty()) {
    MilliGpu g = req.GpuMilliFor(t.placement.gpu_model);
    r.gpu_milli =
        g.IsPositive() ? g.raw() : static_cast<int64_t>(req.accelerators.begin()->second) * kMilliPerUnit;
  }
  return r;
}

// "" when every rank of the group agrees on `field`, else the message.
template <typename Field>
std::string Disagreement(const RoleGroup& g, const char* what, Field field) {
  for (const TaskLaunch* t : g.tasks) {
    if (field(*t) != field(*g.tasks.front())) {
      return "ranks " + std::to_string(g.tasks.front()->rank) + " and " + std::to_string(t->rank) +
             " of role '" + g.task_name + "' have different " + what +
             "; a Volcano task shares one pod template among its replicas";
    }
  }
  return "";
}

Status GroupTasks(const AttemptLaunch& launch, const KubernetesClusterConfig& config,
                  std::vector<RoleGroup>* out) {
  std::vector<const TaskLaunch*> by_rank;
  for (const auto& t : launch.tasks) by_rank.push_back(&t);
  std::sort(by_rank.begin(), by_rank.end(), [](auto* a, auto* b) { return a->rank < b->rank; });
  for (size_t i = 0; i < by_rank.size(); ++i) {
    if (by_rank[i]->rank != static_cast<int>(i))
      return InvalidArgument("the attempt's ranks must be 0.." + std::to_string(by_rank.size() - 1) +
                             " without gaps or repeats (rank " + std::to_string(by_rank[i]->rank) +
                             " at position " + std::to_string(i) + ")");
  }
  const JobSpec& spec = *launch.spec;
  for (const TaskLaunch* t : by_rank) {
    if (out->empty() || out->back().role != t->role) {
      for (const auto& g : *out) {
        if (g.role == t->role)
          return InvalidArgument("the ranks of role '" + t->role +
                                 "' are not contiguous; Volcano numbers a task's pods 0..n-1");
      }
      RoleGroup g;
      g.role = t->role;
      g.task_name = SanitizeDnsLabel(t->role.empty() ? "worker" : t->role, 40);
      if (g.task_name.empty()) g.task_name = "task";
      g.offset = t->rank;
      g.request = &spec.resources;
      for (const auto& r : spec.roles) {
        if (r.name == t->role) {
          g.spec_role = &r;
          g.request = &r.resources;
        }
      }
      for (const auto& other : *out) {
        if (other.task_name == g.task_name)
          return InvalidArgument("roles '" + other.role + "' and '" + g.role +
                                 "' both become the Volcano task name '" + g.task_name +
                                 "'; rename one of them");
      }
      out->push_back(std::move(g));
    }
    out->back().tasks.push_back(t);
  }
  for (auto& g : *out) {
    g.resources = ResourcesOf(*g.tasks.front(), *g.request, config);
    for (const TaskLaunch* t : g.tasks) {
      if (!(ResourcesOf(*t, *g.request, config) == g.resources))
        return InvalidArgument("ranks " + std::to_string(g.tasks.front()->rank) + " and " +
                               std::to_string(t->rank) + " of role '" + g.task_name +
                               "' were placed with different cpu, memory or GPU amounts; a Volcano task "
                               "shares one pod template among its replicas");
    }
    std::string diff = Disagreement(g, "images", [](const TaskLaunch& t) { return t.image; });
    if (diff.empty()) diff = Disagreement(g, "run commands", [](const TaskLaunch& t) { return t.run; });
    if (diff.empty()) diff = Disagreement(g, "setup commands", [](const TaskLaunch& t) { return t.setup; });
    if (!diff.empty()) return InvalidArgument(diff);
    const TaskLaunch& first = *g.tasks.front();
    g.image = !first.image.empty()                                    ? first.image
              : g.spec_role != nullptr && !g.spec_role->image.empty() ? g.spec_role->image
              : !spec.image.empty()                                   ? spec.image
                                                                      : config.default_image;
    if (g.image.empty())
      return InvalidArgument("job '" + launch.job_name + "' names no container image for role '" +
                             g.task_name + "', and cluster '" + config.name +
                             "' has no default_image: add 'image:' to the spec (or to the role), or set "
                             "default_image in the cluster's config");
    if (Trim(first.run).empty())
      return InvalidArgument(
          "job '" + launch.job_name + "' has no run command for role '" + g.task_name +
          "': the kubernetes backend starts 'run:' in the image, so the spec must give one");
    if (g.resources.gpu_milli > kMilliPerUnit && g.resources.gpu_milli % kMilliPerUnit != 0)
      return InvalidArgument("role '" + g.task_name + "' asks for " + FormatMilli(g.resources.gpu_milli) +
                             " GPUs: a task takes whole GPUs or a share of one");
  }
  return Status::Ok();
}

// Env names the controller set differently for two ranks of one role, other
// than the per-rank ones the pod recomputes.
Status CheckSharedEnv(const RoleGroup& g) {
  const auto& first = g.tasks.front()->env;
  for (const TaskLaunch* t : g.tasks) {
    std::set<std::string> names;
    for (const auto& kv : first) names.insert(kv.first);
    for (const auto& kv : t->env) names.insert(kv.first);
    for (const auto& name : names) {
      if (PerRankEnv().count(name)) continue;
      auto a = first.find(name);
      auto b = t->env.find(name);
      if (a == first.end() || b == t->env.end() || a->second != b->second)
        return InvalidArgument("environment variable " + name + " differs between ranks " +
                               std::to_string(g.tasks.front()->rank) + " and " + std::to_string(t->rank) +
                               " of role '" + g.task_name +
                               "'; a Volcano task shares one environment among its "
                               "replicas (only the rank variables are computed per pod)");
    }
  }
  return Status::Ok();
}

Json EnvVar(const std::string& name, const std::string& value) {
  return Json{{"name", name}, {"value", EscapeKubeExpansion(value)}};
}

Json FieldEnvVar(const std::string& name, const std::string& field_path) {
  return Json{{"name", name}, {"valueFrom", {{"fieldRef", {{"fieldPath", field_path}}}}}};
}

// Node names as Kubernetes knows them: skyrun names nodes "<backend>/<node>".
std::vector<std::string> PlacedNodes(const RoleGroup& g, const KubernetesClusterConfig& config) {
  std::set<std::string> nodes;
  std::string prefix = config.BackendName() + "/";
  for (const TaskLaunch* t : g.tasks) {
    std::string n = t->placement.node;
    if (n.rfind(prefix, 0) == 0) n = n.substr(prefix.size());
    if (!n.empty()) nodes.insert(n);
  }
  return {nodes.begin(), nodes.end()};
}

Json Resources(const RoleGroup& g, const KubernetesClusterConfig& config, Json* annotations) {
  const PodResources& r = g.resources;
  Json amounts = {{"cpu", FormatKubeCpu(r.cpus_milli)}, {"memory", FormatKubeMemoryMiB(r.memory_mib)}};
  Json limits = amounts;
  // Extended resources go in limits only (requests default to them), as the
  // NVIDIA and Volcano device-plugin documentation write them.
  if (r.gpu_milli >= kMilliPerUnit) {
    limits[config.gpu_resource] = std::to_string(r.gpu_milli / kMilliPerUnit);
  } else if (r.gpu_milli > 0) {
    // A share: one vGPU with that percentage of the GPU's compute and memory (rounded up).
    int64_t percent = std::clamp<int64_t>((r.gpu_milli + 9) / 10, 1, 100);
    limits[config.gpu_share.number_resource] = "1";
    if (!config.gpu_share.cores_resource.empty())
      limits[config.gpu_share.cores_resource] = std::to_string(percent);
    if (!config.gpu_share.memory_percentage_resource.empty())
      limits[config.gpu_share.memory_percentage_resource] = std::to_string(percent);
    (*annotations)[kAnnotationGpuMilli] = std::to_string(r.gpu_milli);
  }
  return Json{{"requests", amounts}, {"limits", limits}};
}

}  // namespace

const char* VolcanoTaskWrapperScript() {
  return kWrapper;
}

std::string EscapeKubeExpansion(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '$' && i + 1 < text.size() && (text[i + 1] == '$' || text[i + 1] == '(')) out += '$';
  }
  return out;
}

Result<RenderedVolcanoJob> RenderVolcanoJob(const AttemptLaunch& launch,
                                            const KubernetesClusterConfig& config) {
  if (launch.spec == nullptr) return InvalidArgument("the attempt carries no job spec");
  const JobSpec& spec = *launch.spec;
  if (spec.mode == JobMode::kPipeline || spec.mode == JobMode::kService)
    return InvalidArgument(std::string("mode '") + JobModeName(spec.mode) +
                           "' is not supported on the kubernetes backend yet; use single, gang or ps-worker");
  if (launch.tasks.empty()) return InvalidArgument("the attempt has no tasks");
  SKYRUN_RETURN_IF_ERROR(ValidateKubernetesClusterConfig(config));

  std::vector<RoleGroup> groups;
  SKYRUN_RETURN_IF_ERROR(GroupTasks(launch, config, &groups));
  for (const auto& g : groups) SKYRUN_RETURN_IF_ERROR(CheckSharedEnv(g));

  std::string longest_task;
  int max_replicas = 0;
  for (const auto& g : groups) {
    if (g.task_name.size() > longest_task.size()) longest_task = g.task_name;
    max_replicas = std::max(max_replicas, static_cast<int>(g.tasks.size()));
  }
  RenderedVolcanoJob out;
  out.job_name =
      VolcanoJobName(launch.job_name, launch.job_id.value(), launch.attempt_no, longest_task, max_replicas);
  const std::string& job = out.job_name;

  auto mapped = config.queue_map.find(spec.queue);
  std::string queue = mapped != config.queue_map.end() ? mapped->second : spec.queue;
  if (!IsDnsSubdomain(queue))
    return InvalidArgument("queue '" + queue +
                           "' is not a valid Volcano queue name (lower-case DNS name); map it in "
                           "cluster '" +
                           config.name + "''s queues");

  const int total = static_cast<int>(launch.tasks.size());
  // Rendezvous at rank 0, as on the other backends: the first worker for
  // single and gang jobs, the first pod of the role holding rank 0 otherwise.
  std::string master_addr = VolcanoPodDnsName(job, groups.front().task_name, 0);
  std::vector<std::string> pod_dns;
  for (const auto& g : groups)
    for (size_t i = 0; i < g.tasks.size(); ++i)
      pod_dns.push_back(VolcanoPodDnsName(job, g.task_name, static_cast<int>(i)));

  std::string tenant_label = SanitizeLabelValue(launch.tenant);
  Json labels = {{kLabelJobId, launch.job_id.ToString()},
                 {kLabelTenant, tenant_label.empty() ? "none" : tenant_label},
                 {kLabelAttempt, std::to_string(launch.attempt_no)}};

  // Checkpoints: the spec's checkpoint.dir inside the pod, backed by the cluster's volume.
  std::string mount_path =
      !spec.checkpoint_dir.empty() ? spec.checkpoint_dir : config.checkpoint.default_mount_path;
  std::string tenant_dir = SanitizeDnsLabel(launch.tenant);
  std::string job_subdir = (tenant_dir.empty() ? "none" : tenant_dir) + "/" + launch.job_id.ToString();
  Json checkpoint_volume = {{"name", kCheckpointVolume}};
  Json checkpoint_mount = {{"name", kCheckpointVolume}, {"mountPath", mount_path}};
  if (!config.checkpoint.claim.empty()) {
    checkpoint_volume["persistentVolumeClaim"] = {{"claimName", config.checkpoint.claim}};
    checkpoint_mount["subPath"] = job_subdir;
  } else if (!config.checkpoint.host_path.empty()) {
    std::string base = config.checkpoint.host_path;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    checkpoint_volume["hostPath"] = {{"path", base + "/" + job_subdir}, {"type", "DirectoryOrCreate"}};
  } else {
    checkpoint_volume["emptyDir"] = Json::object();
  }

  // The tenant's volumes: its claims (volume_claims.h), at their paths.
  SKYRUN_ASSIGN_OR_RETURN(std::vector<PodVolume> pod_volumes, PodVolumes(spec, launch.tenant, config));

  const bool gang = spec.mode == JobMode::kGang || spec.mode == JobMode::kPsWorker;
  Json tasks = Json::array();
  for (const auto& g : groups) {
    const TaskLaunch& first = *g.tasks.front();
    const int replicas = static_cast<int>(g.tasks.size());
    Json pod_labels = labels;
    if (!g.role.empty()) pod_labels[kLabelRole] = SanitizeLabelValue(g.role);
    Json annotations = {{kAnnotationRankOffset, std::to_string(g.offset)}};
    Json resources = Resources(g, config, &annotations);

    std::map<std::string, std::string> env;
    for (const auto& [k, v] : first.env)
      if (!PerRankEnv().count(k)) env[k] = v;
    env["SKYRUN_JOB_ID"] = launch.job_id.ToString();
    env["SKYRUN_JOB_NAME"] = launch.job_name;
    env["SKYRUN_ATTEMPT"] = std::to_string(launch.attempt_no);
    env["SKYRUN_NUM_NODES"] = std::to_string(total);
    env["WORLD_SIZE"] = std::to_string(total);
    env["SKYRUN_NODE_IPS"] = Join(pod_dns, "\n");
    env["SKYPILOT_NUM_NODES"] = env["SKYRUN_NUM_NODES"];
    env["SKYPILOT_NODE_IPS"] = env["SKYRUN_NODE_IPS"];
    env["MASTER_ADDR"] = master_addr;
    if (!env.count("MASTER_PORT")) env["MASTER_PORT"] = kDefaultMasterPort;
    env["LOCAL_RANK"] = "0";  // one task per pod
    env["SKYRUN_RANK_OFFSET"] = std::to_string(g.offset);
    env["SKYRUN_CHECKPOINT_DIR"] = mount_path;
    if (!g.role.empty()) env["SKYRUN_ROLE"] = g.role;
    // GPUs come from the device plugin; a pod without any must see none.
    if (g.resources.gpu_milli == 0) env["CUDA_VISIBLE_DEVICES"] = "";
    // Volumes are at their paths in the pod: "$SKYRUN_MOUNT_ROOT/data" is /data.
    if (!pod_volumes.empty()) env["SKYRUN_MOUNT_ROOT"] = "";
    Json env_json = Json::array();
    for (const auto& [k, v] : env) env_json.push_back(EnvVar(k, v));
    env_json.push_back(
        FieldEnvVar("SKYRUN_TASK_INDEX", std::string("metadata.annotations['") + kVolcanoTaskIndex + "']"));
    env_json.push_back(FieldEnvVar("SKYRUN_NODE_NAME", "spec.nodeName"));

    Json mounts = Json::array({checkpoint_mount});
    Json volumes = Json::array({checkpoint_volume});
    if (g.resources.gpu_milli > 0) {
      // NCCL and data loaders need more shared memory than the container default of 64Mi.
      mounts.push_back({{"name", kShmVolume}, {"mountPath", "/dev/shm"}});
      volumes.push_back({{"name", kShmVolume}, {"emptyDir", {{"medium", "Memory"}}}});
    }
    for (const PodVolume& v : pod_volumes) {
      Json mount = {{"name", v.volume_name}, {"mountPath", v.mount_path}};
      Json claim = {{"claimName", v.claim}};
      if (v.read_only) {
        mount["readOnly"] = true;
        claim["readOnly"] = true;
      }
      mounts.push_back(mount);
      volumes.push_back({{"name", v.volume_name}, {"persistentVolumeClaim", claim}});
    }

    Json container = {
        {"name", g.task_name},
        {"image", g.image},
        {"imagePullPolicy", config.image_pull_policy},
        {"command", Json::array({"/bin/sh", "-c"})},
        {"args", Json::array({EscapeKubeExpansion(kWrapper), "skyrun-task", EscapeKubeExpansion(first.setup),
                              EscapeKubeExpansion(first.run)})},
        {"env", env_json},
        {"resources", resources},
        {"volumeMounts", mounts},
    };
    Json pod_spec = {{"restartPolicy", "Never"},
                     {"terminationGracePeriodSeconds", launch.kill_grace_seconds}};
    if (launch.time_limit_seconds) pod_spec["activeDeadlineSeconds"] = *launch.time_limit_seconds;
    std::vector<std::string> nodes = PlacedNodes(g, config);
    if (!nodes.empty()) {
      pod_spec["affinity"] = {
          {"nodeAffinity",
           {{"requiredDuringSchedulingIgnoredDuringExecution",
             {{"nodeSelectorTerms",
               Json::array({{{"matchExpressions", Json::array({{{"key", "kubernetes.io/hostname"},
                                                                {"operator", "In"},
                                                                {"values", nodes}}})}}})}}}}}};
      if (nodes.size() == g.tasks.size() && nodes.size() > 1) {
        // One replica per placed node, as the scheduler planned (a template
        // cannot pin rank i to node i, but it can forbid two on one node).
        Json selector = {{kLabelJobId, launch.job_id.ToString()},
                         {kLabelAttempt, std::to_string(launch.attempt_no)}};
        if (!g.role.empty()) selector[kLabelRole] = pod_labels[kLabelRole];
        pod_spec["affinity"]["podAntiAffinity"] = {
            {"requiredDuringSchedulingIgnoredDuringExecution",
             Json::array({{{"labelSelector", {{"matchLabels", selector}}},
                           {"topologyKey", "kubernetes.io/hostname"}}})}};
      }
    }
    if (!config.tolerated_taints.empty()) {
      Json tolerations = Json::array();
      for (const auto& key : config.tolerated_taints)
        tolerations.push_back({{"key", key}, {"operator", "Exists"}});
      pod_spec["tolerations"] = tolerations;
    }
    pod_spec["containers"] = Json::array({container});
    pod_spec["volumes"] = volumes;

    Json task = {{"name", g.task_name}, {"replicas", replicas}};
    if (spec.mode == JobMode::kPsWorker && g.task_name == "worker") {
      // The parameter servers never exit on their own: the job is done when the workers are.
      task["policies"] = Json::array({{{"event", "TaskCompleted"}, {"action", "CompleteJob"}}});
    }
    task["template"] = {{"metadata", {{"labels", pod_labels}, {"annotations", annotations}}},
                        {"spec", pod_spec}};
    tasks.push_back(task);

    for (size_t i = 0; i < g.tasks.size(); ++i) {
      VolcanoTaskRef ref;
      ref.k8s_namespace = config.k8s_namespace;
      ref.job = job;
      ref.task = g.task_name;
      ref.index = static_cast<int>(i);
      ref.rank = g.tasks[i]->rank;
      ref.task_dir = g.tasks[i]->task_dir;
      out.tasks.push_back(ref);
    }
  }

  Json job_spec = {{"schedulerName", config.scheduler_name},
                   {"queue", queue},
                   {"minAvailable", total},
                   {"maxRetry", gang ? config.max_retry : 0}};
  if (gang) {
    // Evicted (node drained, preempted): Volcano restarts the whole gang itself;
    // a failed rank ends it, and the controller decides about a new attempt.
    job_spec["policies"] = Json::array({{{"event", "PodEvicted"}, {"action", "RestartJob"}},
                                        {{"event", "PodFailed"}, {"action", "TerminateJob"}}});
  }
  job_spec["plugins"] = {{"env", Json::array()}, {"svc", Json::array()}};
  if (config.ttl_seconds_after_finished > 0)
    job_spec["ttlSecondsAfterFinished"] = config.ttl_seconds_after_finished;
  job_spec["tasks"] = tasks;

  out.manifest = {{"apiVersion", "batch.volcano.sh/v1alpha1"},
                  {"kind", "Job"},
                  {"metadata",
                   {{"name", job},
                    {"namespace", config.k8s_namespace},
                    {"labels", labels},
                    {"annotations", {{kAnnotationJobName, launch.job_name}}}}},
                  {"spec", job_spec}};
  std::sort(out.tasks.begin(), out.tasks.end(), [](const auto& a, const auto& b) { return a.rank < b.rank; });
  return out;
}

}  // namespace skyrun
