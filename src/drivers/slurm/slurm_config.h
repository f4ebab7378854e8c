// SlurmClusterConfig: one Slurm cluster as skyrun uses it (the SlurmDriver's
// configuration; docs/backends-slurm.md shows an example). Plain values.
#pragma once

#include <cstdint>
#include <map>
#include <string>

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
};

}  // namespace skyrun
