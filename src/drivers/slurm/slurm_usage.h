// Capacity of a Slurm cluster taken by jobs that are not skyrun's. skyrun
// books its own jobs itself (the scheduler's usage), so the inventory offers
// each node minus what others hold: Slurm's allocation on the node (CPUAlloc,
// AllocMem, GresUsed of `scontrol show node -d -o`) less what skyrun's own
// jobs hold there (their per-node detail in `scontrol show job -d -o`).
// Starting from the node's allocation rather than adding up other users'
// jobs keeps this right where PrivateData hides other users' jobs.
//
// skyrun's jobs are those whose name starts with "skyrun-" (sbatch_render
// names every job skyrun-<id>-<name>-a<attempt>), counted while they hold
// their allocation (RUNNING, COMPLETING, CONFIGURING, SUSPENDED).
//
// The SlurmDriver's Inventory calls these on what its commands printed; the
// tests on recorded outputs (tests/slurm/recorded/*_shared.txt).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "drivers/slurm/slurm_parse.h"
#include "model/node.h"

namespace skyrun {

inline constexpr const char* kSkyrunJobNamePrefix = "skyrun-";

// What one job holds on one node.
struct SlurmNodeAllocation {
  std::string node;  // Slurm node name
  int64_t cpus = 0;
  int64_t memory_mib = 0;
  std::set<int> gpus;  // device indices (IDX)
};

// A job with its allocation per node (none while it is pending).
struct SlurmJobAllocation {
  std::string job_id;
  std::string name;
  std::string state;  // JobState as printed: "RUNNING", "CANCELLED"
  std::vector<SlurmNodeAllocation> nodes;
};

// Every job line of `scontrol show job -d -o`. "No jobs in the system" -> none.
Result<std::vector<SlurmJobAllocation>> ParseScontrolJobDetails(const std::string& text);

// Lowers each node of `inventory` (SlurmNodesToInventory of `nodes`) by what
// jobs other than skyrun's hold: cpus_milli and memory_mib by the difference,
// the GPUs others hold removed from `gpus`. Records what was taken in the
// attributes CpusTakenByOthers, MemoryTakenByOthersMiB and GpusTakenByOthers.
void SubtractTakenByOthers(const std::vector<SlurmNodeInfo>& nodes,
                           const std::vector<SlurmJobAllocation>& jobs, std::vector<Node>* inventory);

}  // namespace skyrun
