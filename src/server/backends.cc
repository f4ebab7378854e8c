#include "server/backends.h"

#include "drivers/kubernetes/kubectl_runner.h"
#include "drivers/kubernetes/kubernetes_driver.h"
#include "drivers/local/local_driver.h"
#include "drivers/simcloud/simcloud_driver.h"
#include "drivers/slurm/command_runner.h"
#include "drivers/slurm/slurm_driver.h"

namespace skyrun {
namespace {

// How tasks run as local processes, under the `local` settings' runtime and
// sandbox: on this machine's pool, and on a simulated cloud's instances (its
// instances are the nodes).
LocalPoolConfig LocalTaskPool(const ServerConfig& config, const std::string& state_dir,
                              image::ImageManager* images) {
  LocalPoolConfig pool;
  pool.images = images;
  pool.runtime = config.local.runtime;
  pool.state_dir = state_dir;
  pool.volumes_dir = config.storage.volumes_dir;
  pool.volumes_per_tenant_bytes = config.storage.per_tenant_bytes;
  pool.s3_endpoints = config.storage.s3;
  pool.input_cache_dir = config.storage.input_cache_dir;
  pool.sandbox.enabled = config.local.sandbox.enabled;
  pool.sandbox.bwrap = config.local.sandbox.bwrap;
  pool.sandbox.tenant_uids = config.local.sandbox.tenant_uids;
  pool.sandbox.default_uid = config.local.sandbox.default_uid;
  if (config.local.sandbox.has_task_uid_range) {
    pool.sandbox.task_uid_range = {config.local.sandbox.task_uid_first, config.local.sandbox.task_uid_last};
  }
  return pool;
}

// Where the server keeps its volume store (server_cli.cc opens it there).
std::string VolumeStoreDir(const ServerConfig& config, const std::string& state_dir) {
  if (!config.storage.volumes_dir.empty()) return config.storage.volumes_dir;
  return state_dir.empty() ? "" : state_dir + "/volumes";
}

}  // namespace

Result<std::vector<std::unique_ptr<Driver>>> BuildDrivers(const ServerConfig& config,
                                                          const std::string& state_dir, Clock* clock,
                                                          image::ImageManager* images) {
  std::vector<std::unique_ptr<Driver>> drivers;
  if (config.local.enabled) {
    LocalPoolConfig pool = LocalTaskPool(config, state_dir, images);
    pool.price_per_gpu_hour = config.local.price_per_gpu_hour;
    pool.price_per_cpu_hour = config.local.price_per_cpu_hour;
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
  for (const auto& s : config.slurm) {
    // The server's own volume store: the quotas are checked there before a
    // job writes a volume on the cluster (its nodes see it at volumes_root).
    SlurmClusterConfig cluster = s;
    cluster.volume_store_dir = VolumeStoreDir(config, state_dir);
    cluster.volumes_per_tenant_bytes = config.storage.per_tenant_bytes;
    drivers.push_back(std::make_unique<SlurmDriver>(cluster, std::make_unique<ProcessCommandRunner>()));
  }
  for (const auto& k : config.kubernetes) {
    // Without a kubeconfig the driver renders manifests but applies nothing,
    // and offers no nodes (its Inventory says why).
    KubernetesClusterConfig cluster = k;
    // A volume's claim asks for storage.per_volume_bytes unless the cluster says.
    if (cluster.volumes.size_bytes == 0) cluster.volumes.size_bytes = config.storage.per_volume_bytes;
    // Its claims are recorded in the server's volume store and charged to the tenant.
    cluster.volumes.store_dir = VolumeStoreDir(config, state_dir);
    cluster.volumes.per_tenant_bytes = config.storage.per_tenant_bytes;
    drivers.push_back(
        std::make_unique<KubernetesDriver>(cluster, std::make_unique<ProcessKubectlRunner>(), clock));
  }
  for (const auto& c : config.simcloud) {
    SimCloudConfig cloud = c;
    cloud.books_path = state_dir + "/simcloud/" + c.name + ".json";  // a restart continues the books
    auto sim = SimCloudDriver::Create(cloud, LocalTaskPool(config, state_dir, images), *clock);
    if (!sim.ok()) return sim.status().WithContext("configuring simcloud/" + c.name);
    drivers.push_back(std::move(sim).value());
  }
  if (drivers.empty()) return InvalidArgument("no backend is enabled: enable `local` or configure a cluster");
  return drivers;
}

}  // namespace skyrun
