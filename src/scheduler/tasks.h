// Tasks: what one job asks of the scheduler, rank by rank, and the small
// facts about requests every plugin shares (which backends the job may use,
// which GPU model names match, how a request reads for people, what a task
// costs per hour). Used by the scheduler's plugins, admission and the
// launcher (HourlyPrice: the one home of the price formula).
// Thread-safety: plain functions over values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/job_spec.h"
#include "model/node.h"
#include "model/placement.h"

namespace skyrun {

// The per-task request of a job (one entry per rank; roles expand).
struct TaskRequest {
  int rank = 0;
  std::string role;
  ResourceRequest resources;
};
std::vector<TaskRequest> ExpandTasks(const JobSpec& spec);

// How many ranks of `spec` may share one node: 1 for a gang of num_nodes
// (nodes means machines, as in SkyPilot and Slurm), tasks_per_node when the
// spec says so, unlimited (0) for ps-worker roles.
int MaxRanksPerNode(const JobSpec& spec);

// Whether `infra` (spec.resources.infra) allows a node of this backend.
bool InfraAllows(const std::vector<std::string>& infra, const std::string& backend);

// "A100" accepts "A100", "a100" and "A100-80GB"; "A100-80GB" accepts only itself.
bool ModelMatches(std::string_view requested, std::string_view device);

// "GPU V100:2, 1 CPU" / "300 milli-GPU of A10G, 1 CPU, 512 MiB memory".
std::string DescribeRequest(const ResourceRequest& r);

// USD per hour of one placed task on `node` at its list prices.
double HourlyPrice(const Node& node, const TaskPlacement& task);

// USD per hour that a task asking `r` costs on `node` at the least: its CPUs
// and the cheapest GPU choice the node has enough devices of (a share counts
// as its milli-GPU of one device). nullopt when the node has too few GPUs for
// every choice; CPUs, memory and what is booked are not looked at.
std::optional<double> LeastHourlyPrice(const ResourceRequest& r, const Node& node);

}  // namespace skyrun
