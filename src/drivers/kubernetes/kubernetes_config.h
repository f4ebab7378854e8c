// KubernetesClusterConfig: one Kubernetes cluster (with Volcano installed) that
// skyrun brokers, as the server's configuration declares it. The renderer reads
// the naming, image, queue, volume and GPU-sharing choices; the driver reads
// how to reach the cluster (kubectl, kubeconfig, namespace).
//
// In the server's YAML config:
//   kubernetes:
//     - name: prod                      # backend "kubernetes/prod"
//       namespace: ml
//       kubeconfig: /etc/skyrun/prod.kubeconfig   # without it nothing is applied
//       default_image: registry.example.org/ml/base:1
//       queues: {research: research-q}  # skyrun queue -> Volcano queue
//       checkpoint_volume: {claim: skyrun-ckpt}    # or {host_path: /mnt/ckpt}
//       volumes: {storage_class: nfs-rwx, size_bytes: 10737418240}  # spec volumes as PVCs
//
// GPU sharing follows Volcano's vGPU convention (the volcano-vgpu-device-plugin
// of Volcano's GPU-sharing user guide and tutorial): a milli-GPU task asks for
// one volcano.sh/vgpu-number with volcano.sh/vgpu-cores and
// volcano.sh/vgpu-memory-percentage set to its share in percent.
//
// Thread-safety: plain values; the parser is a pure function.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace skyrun {

// Extended resources of Volcano's vGPU device plugin. Empty names are not requested.
struct GpuShareConfig {
  std::string number_resource = "volcano.sh/vgpu-number";  // vGPUs (1 per share)
  std::string cores_resource = "volcano.sh/vgpu-cores";    // percent of the GPU's compute
  std::string memory_percentage_resource = "volcano.sh/vgpu-memory-percentage";  // percent of device memory
};

// Where checkpoints live so that they survive an attempt: a PersistentVolumeClaim
// (claim) or a directory on every node (host_path), one sub-directory per job.
// Neither: an emptyDir, which dies with the pod (recovery then starts afresh).
struct CheckpointVolumeConfig {
  std::string claim;
  std::string host_path;
  // Mount point inside the pod when the spec names no checkpoint.dir.
  std::string default_mount_path = "/skyrun/checkpoints";
};

// The tenants' named volumes (spec `volumes:`): one PersistentVolumeClaim per
// tenant and volume in the job's namespace (volume_claims.h), created before
// the first job that names it.
struct VolumeClaimConfig {
  bool enabled = false;                       // false: jobs with volumes are refused
  std::string storage_class;                  // "" = the cluster's default StorageClass
  int64_t size_bytes = 0;                     // the claim's request; 0 = storage.per_volume_bytes, else 1 GiB
  std::string access_mode = "ReadWriteMany";  // ReadWriteMany (a gang on many nodes) | ReadWriteOnce
  // Set by the server, not by the config file: its volume store
  // (storage.volumes_dir, else <state_dir>/volumes) and storage.per_tenant_bytes.
  // With a store, each claim the driver makes is recorded there (listed by
  // `skyrun volume ls`), bounded by the volume's size and charged to the
  // tenant's quota; "" = claims are made unrecorded (a driver built alone).
  std::string store_dir;
  int64_t per_tenant_bytes = 0;
};

struct KubernetesClusterConfig {
  std::string name = "default";
  std::string k8s_namespace = "default";
  std::string kubeconfig;  // "" = not configured: manifests are rendered, never applied
  std::string context;     // kubectl --context ("" = the kubeconfig's current context)
  std::string kubectl = "kubectl";
  int64_t request_timeout_seconds = 30;  // kubectl --request-timeout

  std::string default_image;  // for jobs that name none
  std::string image_pull_policy = "IfNotPresent";
  std::map<std::string, std::string> queue_map;  // skyrun queue -> Volcano queue (else the same name)
  std::string scheduler_name = "volcano";
  CheckpointVolumeConfig checkpoint;
  VolumeClaimConfig volumes;
  GpuShareConfig gpu_share;
  std::string gpu_resource = "nvidia.com/gpu";
  std::string gpu_product_label = "nvidia.com/gpu.product";  // GPU feature discovery
  std::string gpu_memory_label = "nvidia.com/gpu.memory";    // MiB per device
  // NoSchedule/NoExecute taints that pods tolerate (rendered as tolerations);
  // nodes with any other such taint are offered as drained.
  std::vector<std::string> tolerated_taints = {"nvidia.com/gpu"};

  int64_t default_memory_mib = 1024;  // for tasks with no memory request
  int max_retry = 3;                  // Volcano's own restarts of a gang after PodEvicted
  int64_t ttl_seconds_after_finished = 86400;
  double price_per_gpu_hour = 0;  // amortised on-premises prices, for cost reports
  double price_per_cpu_hour = 0;

  std::string BackendName() const { return "kubernetes/" + name; }
};

// Checks names (DNS-1123), paths (absolute) and choices; every problem listed.
Status ValidateKubernetesClusterConfig(const KubernetesClusterConfig& config);

// Reads one cluster entry; `where` prefixes messages ("config.yaml: kubernetes[0]").
// Unknown keys are refused with a suggestion.
Result<KubernetesClusterConfig> ParseKubernetesClusterConfig(const YAML::Node& node,
                                                             const std::string& where);

}  // namespace skyrun
