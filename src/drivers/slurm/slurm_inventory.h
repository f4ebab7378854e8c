// The nodes of a Slurm cluster as skyrun sees them, and the check that
// refuses a job no node of the cluster could ever hold. Pure functions over
// parsed `scontrol show node` output; the SlurmDriver calls them with what
// its commands printed, the tests with recorded outputs.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "drivers/slurm/slurm_config.h"
#include "drivers/slurm/slurm_parse.h"
#include "model/job_spec.h"
#include "model/node.h"

namespace skyrun {

// Nodes from `scontrol show node` as skyrun sees them (pure; Inventory's core).
std::vector<Node> SlurmNodesToInventory(const std::vector<SlurmNodeInfo>& nodes,
                                        const SlurmClusterConfig& config);

// FailedPrecondition, with the reason, when some task of `spec` needs more GPUs,
// CPUs or memory than any one node of `nodes` has (naming the biggest node),
// or a gang needs more such nodes than there are. Pure.
Status CheckFitsOnNodes(const JobSpec& spec, const std::vector<Node>& nodes, const std::string& backend);

}  // namespace skyrun
