// KubernetesDriver: the Driver for one Kubernetes cluster with Volcano. It runs
// a placed attempt as one Volcano Job and follows it with kubectl:
//
//   Launch     renders the Job (volcano_render.h), writes it to
//              <job_dir>/volcano-attempt-<n>.json and each task's handle to
//              <task_dir>/volcano.handle, then `kubectl apply -f FILE -o name`
//   Poll       `kubectl get vcjob NAME -o json` and `kubectl get pods -l
//              volcano.sh/job-name=NAME -o json`, mapped per rank
//              (volcano_status.h); one observation serves every rank of the
//              job for status_ttl
//   Cancel     `kubectl delete vcjob NAME --ignore-not-found --wait=false`
//              (the whole gang: Volcano runs a job all-or-nothing)
//   LogPath    `kubectl logs POD -c TASK`, copied to <task_dir>/output.log
//   Inventory  `kubectl get nodes -o json` (kube_inventory.h)
//   Volumes    one claim per tenant and volume (volume_claims.h), recorded
//              in the server's volume store when one is configured
//
// Every kubectl call carries --kubeconfig, -n and --request-timeout from the
// cluster config. Without a kubeconfig nothing is applied: Launch writes the
// manifest and says so, Inventory reports that the cluster is not configured.
//
// A handle ("volcano:<ns>/<job>/<task>/<index>/<rank>:<task_dir>") is all the
// driver needs after a server restart; a bare task directory (the controller's
// handle before Launch returned) is resolved through its volcano.handle file.
// What the driver keeps in memory (which jobs it cancelled, the last status of
// each task, a short cache) only refines reasons: after a restart a cancelled
// job whose Volcano Job is gone reads LOST instead of KILLED.
//
// Thread-safety: all methods may be called concurrently (the runner must allow it).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "drivers/driver.h"
#include "drivers/kubernetes/kubectl_runner.h"
#include "drivers/kubernetes/kubernetes_config.h"
#include "drivers/kubernetes/volcano_names.h"
#include "drivers/kubernetes/volcano_status.h"
#include "storage/volume_store.h"

namespace skyrun {

// What a cluster configured as `config` can honour: whole GPUs
// (nvidia.com/gpu) unless a vGPU share resource is configured
// (gpu_share.number_resource), whose cores and memory are set in percent, so
// a share is honoured to 10 milli-GPU; GPUs are bound by the device plugin,
// never by skyrun; nodes are pinned (node affinity on the placed nodes).
BackendCapabilities KubernetesCapabilities(const KubernetesClusterConfig& config);

class KubernetesDriver final : public Driver {
 public:
  // `runner` and `clock` must outlive the driver. `status_ttl`: how long one
  // kubectl observation of a job answers Poll for all of its ranks.
  KubernetesDriver(KubernetesClusterConfig config, KubectlRunner* runner, Clock* clock,
                   Micros status_ttl = kMicrosPerSecond);
  // The same, owning its runner (the server's drivers own what they use).
  KubernetesDriver(KubernetesClusterConfig config, std::unique_ptr<KubectlRunner> runner, Clock* clock,
                   Micros status_ttl = kMicrosPerSecond);

  std::string Name() const override { return config_.BackendName(); }
  // One kubectl observation answers for status_ttl: polling faster gains nothing.
  Micros PollInterval() const override { return status_ttl_; }
  // The device plugin binds GPUs; pods are pinned by node affinity to the
  // placed nodes (volcano_render.h). See KubernetesCapabilities.
  BackendCapabilities Capabilities() const override { return KubernetesCapabilities(config_); }
  Result<std::vector<Node>> Inventory() override;
  Status CanRun(const JobSpec& spec) override;
  Result<std::vector<std::string>> Launch(const AttemptLaunch& launch) override;
  TaskStatus Poll(const std::string& handle) override;
  Status Cancel(const std::string& handle) override;
  std::string LogPath(const std::string& handle) override;
  Status VoidIfUnclaimed(const std::string& handle) override;
  // Drops the handle's last status and, with the job's last rank, the job's
  // cached observation and cancel mark.
  void Forget(const std::string& handle) override;
  // How many entries the driver keeps in memory (statuses, observations,
  // cancel marks, ranks per job): back to zero once every handle it saw is
  // forgotten. For tests.
  size_t RetainedEntries();

  // The handle file Launch writes into each task directory.
  static constexpr const char* kHandleFile = "volcano.handle";

 private:
  struct Cached {
    Micros at = 0;
    VolcanoObservation obs;
  };

  // kubectl <verb...> --kubeconfig K -n NS [--context C] --request-timeout=Ns <tail...>
  std::vector<std::string> Kubectl(std::vector<std::string> verb, std::vector<std::string> tail = {}) const;
  Result<KubectlResult> RunKubectl(const std::vector<std::string>& argv, const std::string& what) const;
  Status NeedKubeconfig(const std::string& to_do) const;
  Result<VolcanoTaskRef> Resolve(const std::string& handle) const;
  // Creates the claim of each volume the launch names that the namespace
  // lacks (kubectl get pvc, then kubectl create); Unavailable when kubectl
  // fails. With the server's volume store, a new claim is first recorded
  // there (ResourceExhausted, with the figures, past the volume's size or
  // the tenant's quota: nothing is created), and a claim found in the
  // cluster but not in the store is recorded as it is.
  Status EnsureVolumeClaims(const AttemptLaunch& launch);
  void OpenVolumeStore();
  Result<VolcanoObservation> Observe(const VolcanoTaskRef& ref);
  static std::string JobKey(const VolcanoTaskRef& ref) { return ref.k8s_namespace + "/" + ref.job; }

  const KubernetesClusterConfig config_;
  std::unique_ptr<KubectlRunner> owned_runner_;  // null when the caller owns the runner
  KubectlRunner* runner_;
  Clock* clock_;
  const Micros status_ttl_;
  // The server's volume store (config volumes.store_dir); null without one.
  std::unique_ptr<storage::VolumeStore> volume_store_;

  std::mutex mu_;                           // guards the members below
  std::map<std::string, Cached> cache_;     // by job key
  std::set<std::string> cancelled_;         // job keys
  std::map<std::string, TaskStatus> last_;  // by handle: last status read from the cluster
  std::map<std::string, std::set<std::string>> handles_of_job_;  // job key -> handles polled or cancelled
};

}  // namespace skyrun
