#include "scheduler/tasks.h"

#include <algorithm>

#include "common/quantities.h"
#include "common/strings.h"

namespace skyrun {

std::vector<TaskRequest> ExpandTasks(const JobSpec& spec) {
  std::vector<TaskRequest> out;
  if (spec.mode == JobMode::kPsWorker && !spec.roles.empty()) {
    int rank = 0;
    for (const auto& role : spec.roles) {
      for (int i = 0; i < role.count; ++i) out.push_back({rank++, role.name, role.resources});
    }
    return out;
  }
  for (int r = 0; r < std::max(1, spec.num_nodes); ++r) out.push_back({r, "", spec.resources});
  return out;
}

int MaxRanksPerNode(const JobSpec& spec) {
  if (spec.mode == JobMode::kPsWorker && !spec.roles.empty()) return 0;
  return std::max(1, spec.tasks_per_node);
}

bool InfraAllows(const std::vector<std::string>& infra, const std::string& backend) {
  if (infra.empty()) return true;
  for (const auto& entry : infra) {
    // "slurm" allows every Slurm cluster; "slurm/hpc1" only that one; "local" the local pool.
    if (EqualsIgnoreCase(entry, backend)) return true;
    if (backend.size() > entry.size() && backend[entry.size()] == '/' &&
        EqualsIgnoreCase(std::string_view(backend).substr(0, entry.size()), entry))
      return true;
  }
  return false;
}

bool ModelMatches(std::string_view requested, std::string_view device) {
  if (EqualsIgnoreCase(requested, device)) return true;
  return device.size() > requested.size() && device[requested.size()] == '-' &&
         EqualsIgnoreCase(device.substr(0, requested.size()), requested);
}

std::string DescribeRequest(const ResourceRequest& r) {
  std::vector<std::string> parts;
  if (r.gpu_milli.IsPositive()) {
    std::string models;
    for (const auto& [m, n] : r.accelerators) models += (models.empty() ? "" : "|") + m;
    parts.push_back(std::to_string(r.gpu_milli.raw()) + " milli-GPU" +
                    (models.empty() ? "" : " of " + models));
  } else if (!r.accelerators.empty()) {
    std::vector<std::string> opts;
    for (const auto& [m, n] : r.accelerators) opts.push_back(m + ":" + std::to_string(n));
    parts.push_back("GPU " + Join(opts, " or "));
  }
  parts.push_back(FormatMilli(r.cpus_milli) + " CPU");
  if (r.memory_mib.IsPositive()) parts.push_back(std::to_string(r.memory_mib.raw()) + " MiB memory");
  return Join(parts, ", ");
}

double HourlyPrice(const Node& node, const TaskPlacement& task) {
  return node.price_per_gpu_hour * static_cast<double>(task.gpu_milli.raw()) / kMilliPerUnit +
         node.price_per_cpu_hour * static_cast<double>(task.cpus_milli.raw()) / kMilliPerUnit;
}

std::optional<double> LeastHourlyPrice(const ResourceRequest& r, const Node& node) {
  TaskPlacement placed;
  placed.cpus_milli = r.cpus_milli;
  if (r.WantsGpu()) {
    std::optional<MilliGpu> least;
    auto consider = [&](const std::string& model, MilliGpu milli) {
      int64_t devices = 0;
      for (const GpuDevice& g : node.gpus) devices += model.empty() || ModelMatches(model, g.model);
      const int64_t needed = std::max<int64_t>(1, milli.raw() / kMilliPerUnit);
      if (devices >= needed && (!least || milli < *least)) least = milli;
    };
    if (r.accelerators.empty()) consider("", r.gpu_milli);
    for (const auto& [model, count] : r.accelerators) consider(model, r.GpuMilliFor(model));
    if (!least) return std::nullopt;
    placed.gpu_milli = *least;
  }
  return HourlyPrice(node, placed);
}

}  // namespace skyrun
