#include "server/backends.h"

#include "drivers/local/local_driver.h"

namespace skyrun {

Result<std::vector<std::unique_ptr<Driver>>> BuildDrivers(const ServerConfig& config, const std::string& state_dir,
                                                          Clock* clock) {
  std::vector<std::unique_ptr<Driver>> drivers;
  if (config.local.enabled) {
    LocalPoolConfig pool;
    pool.runtime = config.local.runtime;
    pool.price_per_gpu_hour = config.local.price_per_gpu_hour;
    pool.price_per_cpu_hour = config.local.price_per_cpu_hour;
    pool.state_dir = state_dir;
    for (const auto& decl : config.local.nodes) {
      LocalNodeConfig n;
      n.name = decl.name;
      n.cpus_milli = decl.cpus_milli;
      n.memory_mib = decl.memory_mib;
      n.attributes = decl.attributes;
      n.address = decl.address;
      for (const auto& g : decl.gpus) n.gpus.push_back({g.model, g.memory_mb, g.count});
      pool.nodes.push_back(n);
    }
    auto local = LocalDriver::Create(pool, *clock);
    if (!local.ok()) return local.status().WithContext("configuring the local pool");
    drivers.push_back(std::move(local).value());
  }
  if (!config.slurm.empty()) {
    return InvalidArgument("Slurm clusters are configured, but this build has no Slurm driver yet");
  }
  if (drivers.empty()) return InvalidArgument("no backend is enabled: enable `local` or configure a cluster");
  return drivers;
}

}  // namespace skyrun
