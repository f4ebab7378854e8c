// Nodes: what a backend offers to the scheduler. Quantities are typed integers
// (common/quantities.h: milli-CPU, MiB, milli-GPU per device). Free-form attributes (region,
// country, provider, labels) are what the expression language reads.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/quantities.h"

namespace skyrun {

enum class GpuLink { kNvLink, kPcieSwitch, kSameSocket, kCrossSocket };

struct GpuDevice {
  int index = 0;
  std::string model;    // "A100-80GB"
  MemoryMiB memory_mb;  // device memory (MiB, as nvidia-smi reports it)
};

enum class NodeState { kUp, kDrain, kDown };
const char* NodeStateName(NodeState s);

struct Node {
  std::string name;     // unique within the fleet: "local-0", "slurm/hpc1/node1"
  std::string backend;  // "local", "slurm/hpc1", "kubernetes/prod"
  NodeState state = NodeState::kUp;
  // Capacity offered to skyrun: where the engine is shared (Slurm), what
  // other users' jobs hold now is already taken off (cpus_milli, memory_mib,
  // and their GPUs left out of `gpus`); skyrun's own tasks are not, the
  // scheduler books those itself.
  MilliCpu cpus_milli;
  MemoryMiB memory_mib;
  std::vector<GpuDevice> gpus;
  // links[i][j] between GPU i and j; empty = unknown (treated as cross-socket).
  std::vector<std::vector<GpuLink>> links;
  std::map<std::string, std::string> attributes;  // Region, Country, Zone, Provider, labels...
  double price_per_gpu_hour = 0;                  // USD
  double price_per_cpu_hour = 0;                  // USD, per whole CPU
  bool limits_enforced = false;                   // cgroup v2 limits available on this node
  std::string limits_note;                        // why not, for `skyrun nodes`
  std::string address = "127.0.0.1";              // for SKYRUN_NODE_IPS / MASTER_ADDR
};

// What is in use on a node right now (the scheduler's bookkeeping).
struct NodeUsage {
  MilliCpu cpus_milli;
  MemoryMiB memory_mib;
  std::vector<MilliGpu> gpu_milli_used;  // per device index, 0..1000
};

}  // namespace skyrun
