// SlurmClusterConfig: one Slurm cluster as skyrun uses it (the SlurmDriver's
// configuration; docs/backends-slurm.md shows an example), and its parser for
// one entry of the server config's `slurm:` list (server/config.cc calls it,
// so every key documented can be set there).
// Thread-safety: plain values; the parser is a pure function.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <string>

#include "common/status.h"

namespace skyrun {

struct SlurmClusterConfig {
  std::string name = "hpc1";  // the backend is "slurm/<name>"
  std::string slurm_conf;     // SLURM_CONF for every command; "" = the commands' default
  std::string partition;      // "" = the cluster's default partition, all nodes
  std::string account;
  std::string qos;
  std::string container = "none";  // none | pyxis | apptainer
  // Slurm GRES type -> skyrun GPU model ("a100" -> "A100-80GB"); types not
  // listed are used as models as they are, untyped GPUs are "GPU".
  std::map<std::string, std::string> gpu_models;
  std::map<std::string, int64_t> gpu_memory_mb;  // skyrun GPU model -> device memory, for Node.gpus
  int64_t default_memory_mib_per_task = 1024;    // --mem when a task names no memory
  int64_t command_timeout_ms = 30000;            // per Slurm command
  int64_t poll_interval_ms = 2000;        // how often the controller polls (squeue): Slurm's pace is seconds
  int64_t inventory_interval_ms = 10000;  // how often nodes are read again (scontrol show node)
  double price_per_gpu_hour = 0;          // USD, what skyrun bills for this cluster
  double price_per_cpu_hour = 0;
  // Volumes (sbatch_volumes.h): where the nodes see the server's volume store
  // (storage.volumes_dir) on a shared filesystem; "" = jobs with volumes are
  // refused. volumes_bwrap: a rank without an image may have its volumes
  // bound under bubblewrap on the node (bwrap must be installed there).
  std::string volumes_root;
  bool volumes_bwrap = false;
  // Set by the server, not by the config file: where the server itself sees
  // its volume store (storage.volumes_dir, else <state_dir>/volumes) and the
  // tenants' quota (storage.per_tenant_bytes). With a store, Launch refuses a
  // writable volume past its size or its tenant past the quota, with the
  // figures, as the local pool does; "" = no check (a driver built alone).
  std::string volume_store_dir;
  int64_t volumes_per_tenant_bytes = 0;
};

// Reads one cluster entry of the server config. `file` names the config file
// and `path` the entry ("slurm[0]") in messages, which read
// "FILE:LINE:COL: slurm[0].KEY: what is wrong". Refuses unknown keys (with a
// suggestion), values of the wrong type and out-of-range values: intervals
// (poll 100..60000 ms, inventory 1000..3600000 ms, command timeout >= 1000 ms),
// negative prices, memories and sizes, a container other than none, pyxis or
// apptainer, a missing name, a volumes_root that is not a plain absolute path.
Result<SlurmClusterConfig> ParseSlurmClusterConfig(const YAML::Node& node, const std::string& file,
                                                   const std::string& path);

}  // namespace skyrun
