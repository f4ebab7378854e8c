// Registered clusters as providers: the offers of a backend (local,
// slurm/NAME, kubernetes/NAME) built from its live inventory, so that the
// optimizer weighs a cluster's free GPUs against cloud instances.
//
// One offer per up node and GPU model with at least one whole free GPU of
// that model (accelerator_count = how many are free), and one CPU-only offer
// per up node with free CPUs. The zone is the node's name, so offers of one
// shape repeated over nodes tell the optimizer how many such "instances" are
// free now. cpus and memory are the node's free amounts; the price is the
// internal one the server's config puts on the node: free GPUs x
// price_per_gpu_hour + free CPUs x price_per_cpu_hour. Each offer is sold by
// share (Offer::by_share, with the node's rates): the optimizer prices a job
// on it at what the job takes, as accounting bills it, not the whole node. A
// GPU counts as free only when nothing of it is booked (a fraction in use is
// not offered).
// Callers: the server when it builds its catalog; tests. Thread-safety: pure.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "catalog/offer.h"
#include "model/node.h"

namespace skyrun::catalog {

// `usage` by node name; a node without an entry has nothing booked.
std::vector<Offer> ClusterOffers(const std::vector<Node>& nodes,
                                 const std::map<std::string, NodeUsage>& usage);

}  // namespace skyrun::catalog
