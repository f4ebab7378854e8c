#include "drivers/kubernetes/kubernetes_driver.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/quantities.h"
#include "common/strings.h"
#include "drivers/kubernetes/kube_inventory.h"
#include "drivers/kubernetes/volcano_render.h"
#include "drivers/kubernetes/volume_claims.h"
#include "drivers/staged_data.h"

namespace skyrun {
namespace {

namespace fs = std::filesystem;

Status WriteFileAtomic(const std::string& path, const std::string& content) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return Internal("cannot create the directory of " + path + ": " + ec.message());
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out)
      return Internal("cannot write " + tmp + ": check the disk and the state directory's permissions");
  }
  fs::rename(tmp, path, ec);
  if (ec) return Internal("cannot move " + tmp + " to " + path + ": " + ec.message());
  return Status::Ok();
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The first lines of kubectl's stderr, for a message a person can act on.
std::string Brief(const std::string& text) {
  std::string t = Trim(text);
  if (t.size() > 400) t = t.substr(0, 400) + "...";
  return t.empty() ? "(no output)" : t;
}

bool IsNotFound(const KubectlResult& r) {
  return r.stderr_text.find("NotFound") != std::string::npos ||
         r.stderr_text.find("not found") != std::string::npos;
}

}  // namespace

BackendCapabilities KubernetesCapabilities(const KubernetesClusterConfig& config) {
  // Must agree with volcano_render: a share becomes one vGPU with its
  // percentage of cores and memory, rounded up to whole percent.
  const int64_t granularity = config.gpu_share.number_resource.empty() ? kMilliPerUnit : kMilliPerUnit / 100;
  return {.gpu_granularity_milli = granularity, .skyrun_binds_gpus = false, .pins_nodes = true};
}

KubernetesDriver::KubernetesDriver(KubernetesClusterConfig config, KubectlRunner* runner, Clock* clock,
                                   Micros status_ttl)
    : config_(std::move(config)), runner_(runner), clock_(clock), status_ttl_(status_ttl) {
  OpenVolumeStore();
}

KubernetesDriver::KubernetesDriver(KubernetesClusterConfig config, std::unique_ptr<KubectlRunner> runner,
                                   Clock* clock, Micros status_ttl)
    : config_(std::move(config)),
      owned_runner_(std::move(runner)),
      runner_(owned_runner_.get()),
      clock_(clock),
      status_ttl_(status_ttl) {
  OpenVolumeStore();
}

void KubernetesDriver::OpenVolumeStore() {
  if (config_.volumes.store_dir.empty()) return;
  volume_store_ = std::make_unique<storage::VolumeStore>(
      config_.volumes.store_dir, storage::VolumeQuota{config_.volumes.per_tenant_bytes, 0}, clock_);
}

std::vector<std::string> KubernetesDriver::Kubectl(std::vector<std::string> verb,
                                                   std::vector<std::string> tail) const {
  std::vector<std::string> argv = {config_.kubectl};
  argv.insert(argv.end(), verb.begin(), verb.end());
  argv.insert(argv.end(), {"--kubeconfig", config_.kubeconfig, "-n", config_.k8s_namespace});
  if (!config_.context.empty()) argv.insert(argv.end(), {"--context", config_.context});
  argv.push_back("--request-timeout=" + std::to_string(config_.request_timeout_seconds) + "s");
  argv.insert(argv.end(), tail.begin(), tail.end());
  return argv;
}

Result<KubectlResult> KubernetesDriver::RunKubectl(const std::vector<std::string>& argv,
                                                   const std::string& what) const {
  auto r = runner_->Run(argv);
  if (!r.ok()) return r.status().WithContext(what + " on cluster " + config_.name);
  return r;
}

Status KubernetesDriver::NeedKubeconfig(const std::string& to_do) const {
  if (!config_.kubeconfig.empty()) return Status::Ok();
  return FailedPrecondition("kubernetes cluster '" + config_.name +
                            "' has no kubeconfig configured, so skyrun cannot " + to_do +
                            "; set kubeconfig: in the cluster's entry of the server config");
}

Result<std::vector<Node>> KubernetesDriver::Inventory() {
  SKYRUN_RETURN_IF_ERROR(NeedKubeconfig("read its nodes"));
  SKYRUN_ASSIGN_OR_RETURN(KubectlResult r,
                          RunKubectl(Kubectl({"get", "nodes"}, {"-o", "json"}), "listing nodes"));
  if (r.exit_code != 0)
    return Unavailable("kubectl get nodes on cluster " + config_.name + " failed (exit " +
                       std::to_string(r.exit_code) + "): " + Brief(r.stderr_text));
  nlohmann::json list = nlohmann::json::parse(r.stdout_text, nullptr, /*allow_exceptions=*/false);
  if (list.is_discarded())
    return Internal("kubectl get nodes on cluster " + config_.name + " printed something other than JSON");
  return ParseKubeNodeList(list, config_);
}

Status KubernetesDriver::CanRun(const JobSpec& spec) {
  // Volumes: one claim per tenant and volume (volume_claims.h), where the
  // cluster's config says how to make them.
  if (!spec.volumes.empty()) {
    if (!config_.volumes.enabled)
      return FailedPrecondition(Name() +
                                " cannot mount volumes: its config has no `volumes:` (storage class and size "
                                "of the claims); set it, or leave this cluster out of resources.infra");
    auto mounts = PodVolumes(spec, "tenant", config_);  // the paths; the tenant is the launch's
    if (!mounts.ok()) return FailedPrecondition(Name() + ": " + mounts.status().message());
  }
  SKYRUN_RETURN_IF_ERROR(RefuseStagedData(Name(), spec));
  if (spec.mode == JobMode::kPipeline || spec.mode == JobMode::kService)
    return InvalidArgument(
        std::string("mode '") + JobModeName(spec.mode) + "' is not supported by " + Name() +
        " yet; use single, gang or ps-worker, or leave this cluster out of resources.infra");
  if (!spec.workdir.empty() || !spec.file_mounts.empty())
    return InvalidArgument(Name() +
                           " cannot stage local files into pods yet (workdir/file_mounts): build them "
                           "into the image, or leave this cluster out of resources.infra");
  // The renderer refuses a Volcano queue that is not a DNS name; refuse it at
  // submission instead (issue 10, item 6).
  auto mapped = config_.queue_map.find(spec.queue);
  const std::string& queue = mapped != config_.queue_map.end() ? mapped->second : spec.queue;
  bool dns_name = !queue.empty() && queue.size() <= 253;
  for (const std::string& label : Split(queue, '.')) dns_name = dns_name && IsDnsLabel(label);
  if (!dns_name)
    return InvalidArgument("queue '" + queue +
                           "' is not a valid Volcano queue name (a lower-case DNS name) on " + Name() +
                           "; map it in the cluster's queues, or leave this cluster out of resources.infra");
  if (config_.default_image.empty()) {
    bool all_roles_have_images = !spec.roles.empty();
    for (const auto& r : spec.roles) all_roles_have_images = all_roles_have_images && !r.image.empty();
    if (spec.image.empty() && !all_roles_have_images)
      return InvalidArgument(Name() +
                             " runs containers and has no default image: add 'image:' to the spec, or "
                             "leave this cluster out of resources.infra");
  }
  return Status::Ok();
}

Result<std::vector<std::string>> KubernetesDriver::Launch(const AttemptLaunch& launch) {
  SKYRUN_ASSIGN_OR_RETURN(RenderedVolcanoJob job, RenderVolcanoJob(launch, config_));
  if (launch.job_dir.empty())
    return InvalidArgument("the attempt has no job directory to keep its manifest in");
  std::string manifest_path =
      launch.job_dir + "/volcano-attempt-" + std::to_string(launch.attempt_no) + ".json";
  SKYRUN_RETURN_IF_ERROR(WriteFileAtomic(
      manifest_path,
      job.manifest.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n"));
  std::vector<std::string> handles;
  for (const auto& ref : job.tasks) {
    handles.push_back(FormatVolcanoHandle(ref));
    // Lets a restarted server find the job from the bare task directory.
    if (!ref.task_dir.empty())
      SKYRUN_RETURN_IF_ERROR(WriteFileAtomic(ref.task_dir + "/" + kHandleFile, handles.back() + "\n"));
  }
  Status configured = NeedKubeconfig("apply the Volcano job (its manifest is in " + manifest_path + ")");
  if (!configured.ok()) return configured;
  if (launch.spec != nullptr) SKYRUN_RETURN_IF_ERROR(EnsureVolumeClaims(launch));
  std::string key = config_.k8s_namespace + "/" + job.job_name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_.erase(key);
    cache_.erase(key);
  }
  SKYRUN_ASSIGN_OR_RETURN(KubectlResult r, RunKubectl(Kubectl({"apply", "-f", manifest_path}, {"-o", "name"}),
                                                      "applying " + manifest_path));
  if (r.exit_code != 0)
    return Unavailable("kubectl apply of " + manifest_path + " on cluster " + config_.name +
                       " failed (exit " + std::to_string(r.exit_code) + "): " + Brief(r.stderr_text) +
                       "; check the kubeconfig and that Volcano is installed");
  return handles;
}

Status KubernetesDriver::EnsureVolumeClaims(const AttemptLaunch& launch) {
  for (const VolumeMount& v : launch.spec->volumes) {
    const std::string claim = VolumeClaimName(launch.tenant, v.name);
    const storage::VolumeClaim record{Name(), claim, VolumeClaimBytes(config_), 0};
    SKYRUN_ASSIGN_OR_RETURN(KubectlResult got, RunKubectl(Kubectl({"get", "pvc", claim}, {"-o", "name"}),
                                                          "looking up claim " + claim));
    if (got.exit_code == 0) {
      // The volume's claim, from an earlier job (recorded then, or now).
      if (volume_store_ != nullptr)
        SKYRUN_RETURN_IF_ERROR(
            volume_store_->RecordClaim(launch.tenant, v.name, record, /*check=*/false).WithContext(Name()));
      continue;
    }
    if (got.stderr_text.find("NotFound") == std::string::npos)
      return Unavailable("kubectl get pvc " + claim + " on cluster " + config_.name + " failed (exit " +
                         std::to_string(got.exit_code) + "): " + Brief(got.stderr_text));
    // Recorded (and so checked against the volume's size and the tenant's
    // quota) before it exists; the record is dropped if kubectl fails.
    if (volume_store_ != nullptr)
      SKYRUN_RETURN_IF_ERROR(
          volume_store_->RecordClaim(launch.tenant, v.name, record, /*check=*/true).WithContext(Name()));
    auto forget = [&] {
      if (volume_store_ != nullptr) (void)volume_store_->ForgetClaim(launch.tenant, v.name, Name());
    };
    const std::string path = launch.job_dir + "/pvc-" + claim + ".json";
    Status written = WriteFileAtomic(path, RenderVolumeClaim(launch.tenant, v.name, config_).dump(2) + "\n");
    if (!written.ok()) {
      forget();
      return written;
    }
    Result<KubectlResult> made =
        RunKubectl(Kubectl({"create", "-f", path}, {"-o", "name"}), "creating claim " + claim);
    if (!made.ok()) {
      forget();
      return made.status();
    }
    // Another attempt may have created it meanwhile: that is the same claim.
    if (made->exit_code != 0 && made->stderr_text.find("AlreadyExists") == std::string::npos) {
      forget();
      return Unavailable("kubectl create of volume '" + v.name + "' (" + path + ") on cluster " +
                         config_.name + " failed (exit " + std::to_string(made->exit_code) +
                         "): " + Brief(made->stderr_text));
    }
  }
  return Status::Ok();
}

Result<VolcanoTaskRef> KubernetesDriver::Resolve(const std::string& handle) const {
  auto ref = ParseVolcanoHandle(handle);
  if (ref.ok()) return ref;
  // The controller's provisional handle is the task directory.
  if (auto text = ReadFile(handle + "/" + kHandleFile)) return ParseVolcanoHandle(Trim(*text));
  return ref.status();
}

Result<VolcanoObservation> KubernetesDriver::Observe(const VolcanoTaskRef& ref) {
  const std::string key = JobKey(ref);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && clock_->MonotonicNow() - it->second.at < status_ttl_) return it->second.obs;
  }
  SKYRUN_RETURN_IF_ERROR(NeedKubeconfig("read the state of " + key));
  VolcanoObservation obs;
  SKYRUN_ASSIGN_OR_RETURN(KubectlResult job, RunKubectl(Kubectl({"get", "vcjob", ref.job}, {"-o", "json"}),
                                                        "reading Volcano job " + key));
  if (job.exit_code != 0 && !IsNotFound(job))
    return Unavailable("kubectl get vcjob " + key + " failed (exit " + std::to_string(job.exit_code) +
                       "): " + Brief(job.stderr_text));
  obs.job_found = job.exit_code == 0;
  if (obs.job_found) {
    obs.job = nlohmann::json::parse(job.stdout_text, nullptr, false);
    if (obs.job.is_discarded())
      return Internal("kubectl get vcjob " + key + " printed something other than JSON");
    SKYRUN_ASSIGN_OR_RETURN(
        KubectlResult pods,
        RunKubectl(Kubectl({"get", "pods", "-l", "volcano.sh/job-name=" + ref.job}, {"-o", "json"}),
                   "listing the pods of " + key));
    if (pods.exit_code != 0)
      return Unavailable("kubectl get pods of " + key + " failed (exit " + std::to_string(pods.exit_code) +
                         "): " + Brief(pods.stderr_text));
    obs.pods = nlohmann::json::parse(pods.stdout_text, nullptr, false);
    if (obs.pods.is_discarded())
      return Internal("kubectl get pods of " + key + " printed something other than JSON");
  }
  std::lock_guard<std::mutex> lock(mu_);
  cache_[key] = {clock_->MonotonicNow(), obs};
  return obs;
}

TaskStatus KubernetesDriver::Poll(const std::string& handle) {
  auto ref = Resolve(handle);
  if (!ref.ok()) {
    TaskStatus s;
    s.state = RunState::kLost;
    s.reason = ref.status().message();
    return s;
  }
  {
    // An ending is final: once seen it is not read again (a cancel that deletes
    // the job afterwards must not turn a rank's FAILED into KILLED).
    std::lock_guard<std::mutex> lock(mu_);
    handles_of_job_[JobKey(*ref)].insert(handle);
    auto it = last_.find(handle);
    if (it != last_.end() && IsTerminal(it->second.state)) return it->second;
  }
  auto obs = Observe(*ref);
  std::lock_guard<std::mutex> lock(mu_);
  if (!obs.ok()) {
    // The cluster did not answer: report what was last known, with why it is stale.
    TaskStatus s;
    auto it = last_.find(handle);
    if (it != last_.end()) s = it->second;
    s.rank = ref->rank;
    if (IsTerminal(s.state)) return s;
    s.reason = (s.reason.empty() ? "" : s.reason + "; ") + "status unknown: " + obs.status().message();
    return s;
  }
  TaskStatus s = MapVolcanoTaskStatus(*ref, *obs, cancelled_.count(JobKey(*ref)) > 0);
  last_[handle] = s;
  return s;
}

Status KubernetesDriver::Cancel(const std::string& handle) {
  SKYRUN_ASSIGN_OR_RETURN(VolcanoTaskRef ref, Resolve(handle));
  const std::string key = JobKey(ref);
  SKYRUN_RETURN_IF_ERROR(NeedKubeconfig("cancel " + key));
  {
    std::lock_guard<std::mutex> lock(mu_);
    handles_of_job_[key].insert(handle);
    if (cancelled_.count(key)) return Status::Ok();  // the other ranks of an already deleted job
    cancelled_.insert(key);
    cache_.erase(key);
  }
  auto r = RunKubectl(Kubectl({"delete", "vcjob", ref.job}, {"--ignore-not-found", "--wait=false"}),
                      "deleting Volcano job " + key);
  Status result = !r.ok() ? r.status()
                  : r->exit_code != 0
                      ? Unavailable("kubectl delete vcjob " + key + " failed (exit " +
                                    std::to_string(r->exit_code) + "): " + Brief(r->stderr_text))
                      : Status::Ok();
  if (!result.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_.erase(key);  // so that the controller's retry runs kubectl again
  }
  return result;
}

std::string KubernetesDriver::LogPath(const std::string& handle) {
  auto ref = Resolve(handle);
  if (!ref.ok() || ref->task_dir.empty()) return "";
  std::string path = ref->task_dir + "/output.log";
  std::error_code ec;
  const bool have_copy = fs::exists(path, ec);
  if (config_.kubeconfig.empty()) return have_copy ? path : "";
  auto r = runner_->Run(Kubectl({"logs", ref->PodName(), "-c", ref->task}));
  if (r.ok() && r->exit_code == 0 && WriteFileAtomic(path, r->stdout_text).ok()) return path;
  return have_copy ? path : "";  // the pod is gone or not started: the last copy, if any
}

Status KubernetesDriver::VoidIfUnclaimed(const std::string& handle) {
  auto ref = Resolve(handle);
  // No handle file: Launch never got as far as rendering, so nothing was applied.
  if (!ref.ok()) return Status::Ok();
  if (config_.kubeconfig.empty()) return Status::Ok();  // nothing can have been applied
  const std::string key = JobKey(*ref);
  auto r = RunKubectl(Kubectl({"get", "vcjob", ref->job}, {"-o", "name"}), "looking for Volcano job " + key);
  if (!r.ok()) return r.status();
  if (r->exit_code == 0) return AlreadyExists("Volcano job " + key + " exists; adopt it");
  if (!IsNotFound(*r))
    return Unavailable("kubectl get vcjob " + key + " failed (exit " + std::to_string(r->exit_code) +
                       "): " + Brief(r->stderr_text));
  return Status::Ok();
}

void KubernetesDriver::Forget(const std::string& handle) {
  auto ref = Resolve(handle);
  std::lock_guard<std::mutex> lock(mu_);
  last_.erase(handle);
  if (!ref.ok()) return;  // never resolved: nothing was kept under a job key
  // The job's observation and cancel mark serve all its ranks: they go with
  // the last rank the controller forgets.
  const std::string key = JobKey(*ref);
  auto it = handles_of_job_.find(key);
  if (it != handles_of_job_.end()) {
    it->second.erase(handle);
    if (!it->second.empty()) return;
    handles_of_job_.erase(it);
  }
  cache_.erase(key);
  cancelled_.erase(key);
}

size_t KubernetesDriver::RetainedEntries() {
  std::lock_guard<std::mutex> lock(mu_);
  return cache_.size() + cancelled_.size() + last_.size() + handles_of_job_.size();
}

}  // namespace skyrun
