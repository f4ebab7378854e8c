// A placement: which node, which GPUs and how much of each resource every task
// of one attempt gets. Made by the scheduler, carried out by a driver.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/quantities.h"

namespace skyrun {

struct TaskPlacement {
  int rank = 0;
  std::string role;
  std::string node;              // Node::name
  std::string node_address;      // for SKYRUN_NODE_IPS / MASTER_ADDR
  std::vector<int> gpu_indices;  // devices on that node
  MilliGpu gpu_milli;            // total milli-GPU (1000 per whole GPU, or the share)
  std::string gpu_model;
  MilliCpu cpus_milli;
  MemoryMiB memory_mib;
};

struct Placement {
  std::string backend;               // "local", "slurm/hpc1"
  std::vector<TaskPlacement> tasks;  // by rank
  double hourly_price = 0;           // USD/hour for the whole attempt at launch prices
  std::string Describe() const;      // "local: node0 [gpu 0,1] x2"
};

}  // namespace skyrun
