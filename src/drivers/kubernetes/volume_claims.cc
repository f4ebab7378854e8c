#include "drivers/kubernetes/volume_claims.h"

#include "common/strings.h"
#include "drivers/kubernetes/volcano_names.h"
#include "storage/sigv4.h"
#include "storage/volume_store.h"

namespace skyrun {

std::string VolumeClaimName(const std::string& tenant, const std::string& name) {
  // The hash covers the exact names, with a separator no tenant name can
  // hold in this position ambiguously: the tenant's length first.
  std::string key = std::to_string(tenant.size()) + ":" + tenant + "/" + name;
  std::string hash = storage::Sha256Hex(key).substr(0, 16);
  std::string t = SanitizeDnsLabel(tenant, 15);
  std::string n = SanitizeDnsLabel(name, 22);
  std::string out = "skyrun-";
  if (!t.empty()) out += t + "-";
  if (!n.empty()) out += n + "-";
  return out + hash;  // at most 7 + 16 + 23 + 16 = 62 characters
}

int64_t VolumeClaimBytes(const KubernetesClusterConfig& config) {
  return config.volumes.size_bytes > 0 ? config.volumes.size_bytes : int64_t{1} << 30;
}

nlohmann::ordered_json RenderVolumeClaim(const std::string& tenant, const std::string& name,
                                         const KubernetesClusterConfig& config) {
  using Json = nlohmann::ordered_json;
  int64_t size = VolumeClaimBytes(config);
  Json spec = {{"accessModes", Json::array({config.volumes.access_mode})}};
  if (!config.volumes.storage_class.empty()) spec["storageClassName"] = config.volumes.storage_class;
  spec["resources"] = {{"requests", {{"storage", std::to_string(size)}}}};
  return Json{{"apiVersion", "v1"},
              {"kind", "PersistentVolumeClaim"},
              {"metadata",
               {{"name", VolumeClaimName(tenant, name)},
                {"namespace", config.k8s_namespace},
                {"labels",
                 {{"app.kubernetes.io/managed-by", "skyrun"},
                  {"skyrun.io/tenant", SanitizeLabelValue(tenant)},
                  {"skyrun.io/volume", SanitizeLabelValue(name)}}}}},
              {"spec", spec}};
}

Result<std::vector<PodVolume>> PodVolumes(const JobSpec& spec, const std::string& tenant,
                                          const KubernetesClusterConfig& config) {
  std::vector<PodVolume> out;
  if (spec.volumes.empty()) return out;
  if (!config.volumes.enabled) {
    return InvalidArgument(
        config.BackendName() + " has no `volumes:` in its config (the claims' storage " +
        "class and size), so it cannot mount volumes (volumes: " + spec.volumes.front().name + ")");
  }
  if (tenant.empty()) return InvalidArgument("a job with volumes needs its tenant");
  for (size_t i = 0; i < spec.volumes.size(); ++i) {
    const VolumeMount& v = spec.volumes[i];
    SKYRUN_RETURN_IF_ERROR(storage::ValidateVolumeName(v.name));
    if (v.path.find('\0') != std::string::npos)
      return InvalidArgument("volume '" + v.name + "': its path holds a NUL character");
    std::string path;
    for (const std::string& p : Split(v.path, '/')) {
      if (p.empty() || p == ".") continue;
      if (p == "..") return InvalidArgument("volume '" + v.name + "': its path holds '..'");
      path += "/" + p;
    }
    if (path.empty()) return InvalidArgument("volume '" + v.name + "': its path names no directory");
    out.push_back({"skyrun-vol-" + std::to_string(i), VolumeClaimName(tenant, v.name), path, v.read_only});
  }
  return out;
}

}  // namespace skyrun
