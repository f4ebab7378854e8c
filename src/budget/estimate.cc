#include "budget/estimate.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "common/clock.h"
#include "scheduler/tasks.h"

namespace skyrun {

namespace {

// USD per hour of `task` alone on `node`, or nullopt when the node cannot hold it.
std::optional<double> TaskPriceOn(const TaskRequest& task, const Node& node) {
  const ResourceRequest& r = task.resources;
  if (node.state == NodeState::kDown) return std::nullopt;
  if (r.cpus_milli > node.cpus_milli) return std::nullopt;
  if (r.memory_mib.IsPositive() && node.memory_mib.IsPositive() && r.memory_mib > node.memory_mib)
    return std::nullopt;
  return LeastHourlyPrice(r, node);
}

std::string Hours(int64_t seconds) {
  char buf[32];
  const double h = static_cast<double>(seconds) / 3600.0;
  if (seconds % 3600 == 0)
    std::snprintf(buf, sizeof buf, "%.0fh", h);
  else
    std::snprintf(buf, sizeof buf, "%.2fh", h);
  return buf;
}

}  // namespace

Result<CostEstimate> EstimateJobCost(const JobSpec& spec, std::optional<int64_t> default_time_limit_seconds,
                                     const std::vector<Node>& nodes) {
  CostEstimate e;
  std::string limit_source = "time limit";
  if (spec.time_limit_seconds && *spec.time_limit_seconds > 0) {
    e.seconds = *spec.time_limit_seconds;
  } else if (default_time_limit_seconds && *default_time_limit_seconds > 0) {
    e.seconds = *default_time_limit_seconds;
  } else if (spec.deadline_seconds && *spec.deadline_seconds > 0) {
    e.seconds = *spec.deadline_seconds;
    limit_source = "deadline";
  } else {
    return InvalidArgument(
        "this job has no time limit, so its cost cannot be estimated against the budget; set time_limit "
        "(e.g. time_limit: 2h) in the spec");
  }
  std::vector<std::string> where;
  e.priced = true;
  for (const TaskRequest& task : ExpandTasks(spec)) {
    double best = std::numeric_limits<double>::infinity();
    const Node* best_node = nullptr;
    for (const Node& node : nodes) {
      if (!InfraAllows(spec.resources.infra, node.backend)) continue;
      auto price = TaskPriceOn(task, node);
      if (price && *price < best) {
        best = *price;
        best_node = &node;
      }
    }
    if (!best_node) {
      e.priced = false;
      continue;
    }
    e.hourly_usd += best;
    if (where.empty() || where.back() != best_node->backend) where.push_back(best_node->backend);
  }
  if (!e.priced) e.hourly_usd = 0;
  e.usd = e.hourly_usd * static_cast<double>(e.seconds) / 3600.0;
  std::string places;
  for (const auto& w : where) places += (places.empty() ? "" : ", ") + w;
  const size_t tasks = ExpandTasks(spec).size();
  e.basis = Hours(e.seconds) + " (its " + limit_source + ") x " + FormatUsd(e.hourly_usd) +
            "/h, the cheapest " + "placement of its " + std::to_string(tasks) +
            (tasks == 1 ? " task" : " tasks") + " (" + DescribeRequest(spec.resources) +
            (places.empty() ? "" : " on " + places) + ")";
  return e;
}

}  // namespace skyrun
