// The spec's `volumes:` on a Kubernetes cluster: each named volume of a
// tenant is one PersistentVolumeClaim in the cluster's namespace, created by
// the driver (kubectl create) before the first job that names it, kept
// afterwards (its data is the volume's), and mounted into every pod of the
// job at the volume's path, read-only where the spec says `:ro`.
//
// The claim's name is "skyrun-<tenant>-<volume>-<16 hex>": the tenant and
// volume names sanitised to DNS-1123 and cut to fit a DNS label, then 64 bits
// of SHA-256 over the exact tenant and volume names, so two tenants whose
// names sanitise alike ("Team_A" and "team-a") never share a claim, and no
// volume name a tenant picks can be made to collide with another's claim.
// Labels say whose it is (app.kubernetes.io/managed-by: skyrun,
// skyrun.io/tenant, skyrun.io/volume).
//
// Callers: RenderVolcanoJob (the pod's volumes and mounts) and
// KubernetesDriver::Launch (the claims). Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "drivers/kubernetes/kubernetes_config.h"
#include "model/job_spec.h"

namespace skyrun {

// The claim's name for `tenant`'s volume `name` (a DNS label, <= 63 chars).
std::string VolumeClaimName(const std::string& tenant, const std::string& name);

// What a claim on this cluster requests: volumes.size_bytes, 0 = 1 GiB.
int64_t VolumeClaimBytes(const KubernetesClusterConfig& config);

// The PersistentVolumeClaim manifest (apiVersion v1), of VolumeClaimBytes.
nlohmann::ordered_json RenderVolumeClaim(const std::string& tenant, const std::string& name,
                                         const KubernetesClusterConfig& config);

// One volume as the pod mounts it.
struct PodVolume {
  std::string volume_name;  // the pod's volume entry: "skyrun-vol-<i>"
  std::string claim;        // VolumeClaimName
  std::string mount_path;   // "/data": absolute, normalised
  bool read_only = false;
};

// The spec's volumes for `tenant`. InvalidArgument when the cluster has no
// `volumes:` config, for a bad name, or a path with '..' or nothing in it.
Result<std::vector<PodVolume>> PodVolumes(const JobSpec& spec, const std::string& tenant,
                                          const KubernetesClusterConfig& config);

}  // namespace skyrun
