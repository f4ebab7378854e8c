#include "drivers/slurm/sbatch_volumes.h"

#include <filesystem>

#include "common/clock.h"
#include "drivers/slurm/sbatch_render.h"
#include "storage/volume_store.h"

namespace skyrun {
namespace {

namespace fs = std::filesystem;

// Text for a message: control characters shown as '?'.
std::string Printable(const std::string& text) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? '?' : c;
  }
  return out;
}

// The volume's path as the rank sees it: "/data". The spec parser refuses
// '..' and empty paths already; a launch built elsewhere is checked again.
Result<std::string> VolumeTarget(const VolumeMount& v) {
  const std::string what = "volume '" + Printable(v.name) + "': its path '" + Printable(v.path) + "' ";
  if (v.path.find('\0') != std::string::npos) return InvalidArgument(what + "holds a NUL character");
  if (v.path.find_first_of(",:") != std::string::npos) {
    return InvalidArgument(what + "holds ',' or ':', which a container bind list cannot carry; rename it");
  }
  std::string out;
  size_t at = 0;
  while (at <= v.path.size()) {
    size_t end = v.path.find('/', at);
    if (end == std::string::npos) end = v.path.size();
    std::string p = v.path.substr(at, end - at);
    at = end + 1;
    if (p.empty() || p == ".") continue;
    if (p == "..") return InvalidArgument(what + "holds '..'");
    out += "/" + p;
  }
  if (out.empty()) return InvalidArgument(what + "names no directory; use a path such as /data");
  return out;
}

}  // namespace

Status CheckVolumesRoot(const std::string& root) {
  if (root.empty() || root.front() != '/' || root == "/") {
    return InvalidArgument("volumes_root '" + Printable(root) + "' must be an absolute path other than /");
  }
  if (fs::path(root).lexically_normal().string() != root || root.back() == '/' ||
      root.find("//") != std::string::npos) {
    return InvalidArgument("volumes_root '" + Printable(root) +
                           "' must be a normalised path (no '.', '..', '//' or trailing '/')");
  }
  for (char c : root) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == ',' || c == ':' || c == '"' || c == '\'' || c == '\\' || c == '$' ||
        c == '`') {
      return InvalidArgument("volumes_root '" + Printable(root) +
                             "' holds a blank, quote, ',' ':' '$' '`' or a control character");
    }
  }
  return Status::Ok();
}

Result<std::vector<SlurmVolumeBind>> SlurmVolumeBinds(const JobSpec& spec, const std::string& tenant,
                                                      const std::string& volumes_root) {
  std::vector<SlurmVolumeBind> out;
  if (spec.volumes.empty()) return out;
  if (volumes_root.empty()) {
    return InvalidArgument(
        "this cluster has no volumes_root (where the nodes see the server's volume store), "
        "so it cannot mount volumes (volumes: " +
        Printable(spec.volumes.front().name) + ")");
  }
  SKYRUN_RETURN_IF_ERROR(CheckVolumesRoot(volumes_root));
  for (const VolumeMount& v : spec.volumes) {
    SKYRUN_ASSIGN_OR_RETURN(std::string rel, storage::VolumeDataPathInStore(tenant, v.name));
    SKYRUN_ASSIGN_OR_RETURN(std::string target, VolumeTarget(v));
    for (const SlurmVolumeBind& b : out) {
      if (b.target == target || target.rfind(b.target + "/", 0) == 0 ||
          b.target.rfind(target + "/", 0) == 0) {
        return InvalidArgument("volumes '" + b.name + "' and '" + v.name + "' overlap at " + target);
      }
    }
    out.push_back({v.name, volumes_root + "/" + rel, target, v.read_only});
  }
  return out;
}

Status CheckSlurmVolumeQuotas(const JobSpec& spec, const std::string& tenant, const std::string& store_dir,
                              int64_t per_tenant_bytes) {
  if (spec.volumes.empty() || store_dir.empty()) return Status::Ok();
  // The clock only stamps volumes the store creates; this one creates none.
  SystemClock clock;
  storage::VolumeStore store(store_dir, {per_tenant_bytes, 0}, &clock);
  for (const VolumeMount& v : spec.volumes) {
    if (!v.read_only) SKYRUN_RETURN_IF_ERROR(store.CheckQuota(tenant, v.name));
  }
  return Status::Ok();
}

std::string CheckpointInVolumes(const JobSpec& spec, const std::vector<SlurmVolumeBind>& binds) {
  if (spec.checkpoint_dir.empty() || spec.checkpoint_dir.find('\0') != std::string::npos) return "";
  // Normalised under "/": '..' cannot climb out of the volume it names.
  std::string ckpt = fs::path("/" + spec.checkpoint_dir).lexically_normal().string();
  while (ckpt.size() > 1 && ckpt.back() == '/') ckpt.pop_back();
  for (const SlurmVolumeBind& b : binds) {
    if (ckpt == b.target || ckpt.rfind(b.target + "/", 0) == 0) return b.read_only ? "" : ckpt;
  }
  return "";
}

std::string ContainerVolumeBind(const SlurmVolumeBind& bind) {
  return bind.source + ":" + bind.target + (bind.read_only ? ":ro" : "");
}

std::string VolumeCheckLines(const std::vector<SlurmVolumeBind>& binds) {
  std::string out;
  for (const SlurmVolumeBind& b : binds) {
    out += "[ -d " + ShellQuote(b.source) + " ] || { echo " +
           ShellQuote("skyrun: volume '" + b.name + "' is not at " + b.source +
                      " on this node: is volumes_root the shared path of the server's volume store?") +
           " >&2; exit 1; }\n";
  }
  return out;
}

std::string BwrapVolumePrefix(const std::vector<SlurmVolumeBind>& binds, const std::string& volumes_root) {
  std::string out = "bwrap --dev-bind / / --die-with-parent --tmpfs " + ShellQuote(volumes_root);
  for (const SlurmVolumeBind& b : binds) {
    out += std::string(b.read_only ? " --ro-bind " : " --bind ") + ShellQuote(b.source) +
           " \"$SKYRUN_MOUNT_ROOT\"" + ShellQuote(b.target);
  }
  return out + " --";
}

}  // namespace skyrun
