#include "drivers/slurm/slurm_config.h"

#include <algorithm>
#include <vector>

#include "common/strings.h"
#include "common/yaml_reader.h"
#include "drivers/slurm/sbatch_volumes.h"

namespace skyrun {
namespace {

const std::vector<std::string>& Keys() {
  static const std::vector<std::string> kKeys = {"name",
                                                 "slurm_conf",
                                                 "partition",
                                                 "account",
                                                 "qos",
                                                 "container",
                                                 "gpu_models",
                                                 "gpu_memory_mb",
                                                 "default_memory_mib_per_task",
                                                 "command_timeout_ms",
                                                 "poll_interval_ms",
                                                 "inventory_interval_ms",
                                                 "price_per_gpu_hour",
                                                 "price_per_cpu_hour",
                                                 "volumes_root",
                                                 "volumes_bwrap"};
  return kKeys;
}

using EntryReader = YamlMapReader;

}  // namespace

Result<SlurmClusterConfig> ParseSlurmClusterConfig(const YAML::Node& node, const std::string& file,
                                                   const std::string& path) {
  if (!node.IsMap()) return InvalidArgument(YamlWhere(file, node, path) + ": expected a mapping");
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    if (std::find(Keys().begin(), Keys().end(), key) != Keys().end()) continue;
    std::string msg = YamlWhere(file, it->first, path + "." + key) + ": unknown setting";
    if (auto near = NearestName(key, Keys())) msg += "; did you mean '" + *near + "'?";
    return InvalidArgument(msg);
  }
  const EntryReader r(node, file, path);
  SlurmClusterConfig c;
  c.name.clear();  // required: no default name for a configured cluster
  SKYRUN_RETURN_IF_ERROR(r.Get("name", &c.name));
  SKYRUN_RETURN_IF_ERROR(r.Get("slurm_conf", &c.slurm_conf));
  SKYRUN_RETURN_IF_ERROR(r.Get("partition", &c.partition));
  SKYRUN_RETURN_IF_ERROR(r.Get("account", &c.account));
  SKYRUN_RETURN_IF_ERROR(r.Get("qos", &c.qos));
  SKYRUN_RETURN_IF_ERROR(r.Get("container", &c.container));
  SKYRUN_RETURN_IF_ERROR(r.GetMap<std::string>(
      "gpu_models", &c.gpu_models, [](const std::string& v) { return !v.empty(); },
      "GRES type: skyrun GPU model, e.g. {a100: A100-80GB}"));
  SKYRUN_RETURN_IF_ERROR(r.GetMap<int64_t>(
      "gpu_memory_mb", &c.gpu_memory_mb, [](int64_t v) { return v > 0; },
      "skyrun GPU model: device memory in MB (> 0), e.g. {A100-80GB: 81920}"));
  SKYRUN_RETURN_IF_ERROR(r.Get("default_memory_mib_per_task", &c.default_memory_mib_per_task));
  SKYRUN_RETURN_IF_ERROR(r.Get("command_timeout_ms", &c.command_timeout_ms));
  SKYRUN_RETURN_IF_ERROR(r.Get("poll_interval_ms", &c.poll_interval_ms));
  SKYRUN_RETURN_IF_ERROR(r.Get("inventory_interval_ms", &c.inventory_interval_ms));
  SKYRUN_RETURN_IF_ERROR(r.Get("price_per_gpu_hour", &c.price_per_gpu_hour));
  SKYRUN_RETURN_IF_ERROR(r.Get("price_per_cpu_hour", &c.price_per_cpu_hour));
  SKYRUN_RETURN_IF_ERROR(r.Get("volumes_root", &c.volumes_root));
  SKYRUN_RETURN_IF_ERROR(r.Get("volumes_bwrap", &c.volumes_bwrap));

  if (c.name.empty()) return InvalidArgument(YamlWhere(file, node, path) + ": a Slurm cluster needs a name");
  if (c.price_per_gpu_hour < 0) return r.Refuse("price_per_gpu_hour", "must not be negative");
  if (c.price_per_cpu_hour < 0) return r.Refuse("price_per_cpu_hour", "must not be negative");
  // Bounds: polling faster than every 100 ms would load slurmctld; slower
  // than a minute would leave finished jobs holding their nodes for long.
  if (c.poll_interval_ms < 100 || c.poll_interval_ms > 60000) {
    return r.Refuse("poll_interval_ms", "must be 100..60000 (milliseconds)");
  }
  if (c.inventory_interval_ms < 1000 || c.inventory_interval_ms > 3600000) {
    return r.Refuse("inventory_interval_ms", "must be 1000..3600000 (milliseconds)");
  }
  if (c.command_timeout_ms < 1000)
    return r.Refuse("command_timeout_ms", "must be at least 1000 (milliseconds)");
  if (c.default_memory_mib_per_task < 1) {
    return r.Refuse("default_memory_mib_per_task", "must be at least 1 (MiB, sbatch --mem)");
  }
  if (c.container != "none" && c.container != "pyxis" && c.container != "apptainer") {
    return r.Refuse("container", "must be none, pyxis or apptainer");
  }
  if (!c.volumes_root.empty()) {
    if (Status root = CheckVolumesRoot(c.volumes_root); !root.ok())
      return r.Refuse("volumes_root", root.message());
  }
  return c;
}

}  // namespace skyrun
