#include "drivers/slurm/slurm_inventory.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "common/quantities.h"
#include "common/strings.h"

namespace skyrun {
namespace {

bool EqualsModel(const std::string& a, const std::string& b) {
  return EqualsIgnoreCase(a, b);
}

std::string Plural(int64_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// The resource requests of a job's tasks, with a label for messages.
std::vector<std::pair<std::string, const ResourceRequest*>> TaskRequests(const JobSpec& spec) {
  std::vector<std::pair<std::string, const ResourceRequest*>> out;
  if (spec.mode == JobMode::kPsWorker && !spec.roles.empty()) {
    for (const auto& r : spec.roles) out.push_back({"each '" + r.name + "' task", &r.resources});
  } else {
    out.push_back({"each task", &spec.resources});
  }
  return out;
}

int64_t GpusOfModel(const Node& n, const std::string& model) {
  int64_t c = 0;
  for (const auto& g : n.gpus) {
    if (model.empty() || EqualsModel(g.model, model)) ++c;
  }
  return c;
}

std::string DescribeGpus(const Node& n) {
  std::map<std::string, int> by_model;
  for (const auto& g : n.gpus) ++by_model[g.model];
  std::vector<std::string> parts;
  for (const auto& [m, c] : by_model) parts.push_back(std::to_string(c) + " x " + m);
  return parts.empty() ? "no GPU" : Join(parts, ", ");
}

std::string ShortNodeName(const Node& n) {
  auto it = n.attributes.find("SlurmNode");
  return it == n.attributes.end() ? n.name : it->second;
}

// Nodes of `nodes` that can hold one task of `req`, and if none, why (the
// first dimension no node satisfies, naming the biggest node for it).
std::vector<const Node*> NodesFor(const ResourceRequest& req, const std::vector<Node>& nodes,
                                  const std::string& who, const std::string& backend, std::string* why) {
  std::vector<const Node*> fit;
  // GPU options: any one model with its count; a milli share needs one GPU.
  std::vector<std::pair<std::string, int64_t>> options;
  for (const auto& [model, count] : req.accelerators)
    options.push_back({model, req.gpu_milli.IsPositive() ? 1 : count});
  if (options.empty() && req.gpu_milli.IsPositive()) options.push_back({"", 1});
  auto gpus_ok = [&](const Node& n) {
    if (options.empty()) return true;
    return std::any_of(options.begin(), options.end(),
                       [&](const auto& o) { return GpusOfModel(n, o.first) >= o.second; });
  };
  auto cpus_ok = [&](const Node& n) { return req.cpus_milli <= n.cpus_milli; };
  auto mem_ok = [&](const Node& n) { return req.memory_mib <= n.memory_mib; };
  for (const auto& n : nodes) {
    if (gpus_ok(n) && cpus_ok(n) && mem_ok(n)) fit.push_back(&n);
  }
  if (!fit.empty() || nodes.empty()) {
    if (nodes.empty()) *why = backend + " has no nodes";
    return fit;
  }
  if (std::none_of(nodes.begin(), nodes.end(), gpus_ok)) {
    std::vector<std::string> asks;
    for (const auto& o : options) {
      asks.push_back(Plural(o.second, o.first.empty() ? "GPU" : o.first + " GPU",
                            o.first.empty() ? "GPUs" : o.first + " GPUs"));
    }
    // The node with the most GPUs of any requested model.
    const Node* best = nullptr;
    int64_t best_count = -1;
    std::string best_model;
    for (const auto& n : nodes) {
      for (const auto& o : options) {
        int64_t c = GpusOfModel(n, o.first);
        if (c > best_count) {
          best = &n;
          best_count = c;
          best_model = o.first;
        }
      }
    }
    std::ostringstream m;
    m << who << " asks for " << Join(asks, " or ") << ", but ";
    if (best_count <= 0) {
      std::set<std::string> models;
      for (const auto& n : nodes) {
        for (const auto& g : n.gpus) models.insert(g.model);
      }
      m << "no node of " << backend << " has " << (best_model.empty() ? "a GPU" : best_model + " GPUs")
        << (models.empty() ? "" : " (GPU models here: " + Join({models.begin(), models.end()}, ", ") + ")")
        << ". Ask for a model this cluster has, or let skyrun place the job elsewhere.";
    } else {
      m << "the most any node of " << backend << " has is " << best_count << " (" << ShortNodeName(*best)
        << ": " << DescribeGpus(*best) << "). Ask for at most " << best_count
        << " GPUs per task (and more tasks), or let skyrun place the job elsewhere.";
    }
    *why = m.str();
    return fit;
  }
  if (std::none_of(nodes.begin(), nodes.end(), cpus_ok)) {
    const Node* best = &*std::max_element(
        nodes.begin(), nodes.end(), [](const Node& a, const Node& b) { return a.cpus_milli < b.cpus_milli; });
    *why = who + " asks for " + FormatMilli(req.cpus_milli) + " CPUs, but the most any node of " + backend +
           " has is " + FormatMilli(best->cpus_milli) + " (" + ShortNodeName(*best) +
           "). Ask for fewer CPUs per task.";
    return fit;
  }
  if (std::none_of(nodes.begin(), nodes.end(), mem_ok)) {
    const Node* best = &*std::max_element(
        nodes.begin(), nodes.end(), [](const Node& a, const Node& b) { return a.memory_mib < b.memory_mib; });
    *why = who + " asks for " + std::to_string(req.memory_mib.raw()) +
           " MiB of memory, but the most any node of " + backend + " has is " +
           std::to_string(best->memory_mib.raw()) + " MiB (" + ShortNodeName(*best) +
           "). Ask for less memory per task.";
    return fit;
  }
  *why = who + " needs its GPUs, CPUs and memory on one node, and no node of " + backend +
         " has them all together.";
  return fit;
}
}  // namespace

std::vector<Node> SlurmNodesToInventory(const std::vector<SlurmNodeInfo>& nodes,
                                        const SlurmClusterConfig& config) {
  std::vector<Node> out;
  const std::string backend = "slurm/" + config.name;
  for (const auto& s : nodes) {
    if (!config.partition.empty() &&
        std::find(s.partitions.begin(), s.partitions.end(), config.partition) == s.partitions.end()) {
      continue;
    }
    Node n;
    n.name = backend + "/" + s.name;
    n.backend = backend;
    switch (ClassifyNodeState(s.state)) {
      case SlurmNodeHealth::kUp: n.state = NodeState::kUp; break;
      case SlurmNodeHealth::kDrain: n.state = NodeState::kDrain; break;
      case SlurmNodeHealth::kDown: n.state = NodeState::kDown; break;
    }
    n.cpus_milli = MilliCpu(kMilliPerUnit) * s.cpus;
    n.memory_mib = MemoryMiB(s.memory_mib);
    int index = 0;
    for (const auto& g : s.gres) {
      if (g.name != "gpu") continue;
      std::string model = g.type.empty() ? "GPU" : g.type;
      if (auto it = config.gpu_models.find(g.type); it != config.gpu_models.end()) model = it->second;
      int64_t memory = 0;
      if (auto it = config.gpu_memory_mb.find(model); it != config.gpu_memory_mb.end()) memory = it->second;
      for (int i = 0; i < g.count; ++i) n.gpus.push_back(GpuDevice{index++, model, MemoryMiB(memory)});
    }
    n.attributes["Provider"] = "slurm";
    n.attributes["Cluster"] = config.name;
    n.attributes["SlurmNode"] = s.name;
    n.attributes["Partition"] = Join(s.partitions, ",");
    n.attributes["State"] = s.state;
    n.attributes["CpusAllocated"] = std::to_string(s.cpus_alloc);
    n.attributes["MemoryAllocatedMiB"] = std::to_string(s.memory_alloc_mib);
    if (!s.features.empty()) n.attributes["Features"] = s.features;
    if (!s.reason.empty()) n.attributes["Reason"] = s.reason;
    n.price_per_gpu_hour = config.price_per_gpu_hour;
    n.price_per_cpu_hour = config.price_per_cpu_hour;
    n.limits_enforced = false;
    n.limits_note = "limits are Slurm's own (its task and cgroup plugins), not skyrun's";
    n.address = s.address;
    out.push_back(std::move(n));
  }
  return out;
}

Status CheckFitsOnNodes(const JobSpec& spec, const std::vector<Node>& nodes, const std::string& backend) {
  for (const auto& [who, req] : TaskRequests(spec)) {
    std::string why;
    auto fit = NodesFor(*req, nodes, who, backend, &why);
    if (fit.empty()) return FailedPrecondition(backend + " cannot run job '" + spec.name + "': " + why);
    // A gang puts one task on each of num_nodes distinct nodes.
    if (spec.mode == JobMode::kGang && spec.num_nodes > static_cast<int>(fit.size())) {
      return FailedPrecondition(
          backend + " cannot run job '" + spec.name + "': it needs " + std::to_string(spec.num_nodes) +
          " nodes that can each hold one of its tasks, but " + backend + " has " +
          std::to_string(fit.size()) + ". Ask for fewer nodes, or let skyrun place the job elsewhere.");
    }
  }
  return Status::Ok();
}
}  // namespace skyrun
