#include "catalog/cluster_offers.h"

#include <algorithm>

namespace skyrun::catalog {

std::vector<Offer> ClusterOffers(const std::vector<Node>& nodes,
                                 const std::map<std::string, NodeUsage>& usage) {
  std::vector<Offer> offers;
  for (const Node& node : nodes) {
    if (node.state != NodeState::kUp) continue;
    const NodeUsage* used = nullptr;
    if (auto it = usage.find(node.name); it != usage.end()) used = &it->second;
    const MilliCpu free_cpus =
        std::max(MilliCpu(0), node.cpus_milli - (used ? used->cpus_milli : MilliCpu()));
    const MemoryMiB free_memory =
        std::max(MemoryMiB(0), node.memory_mib - (used ? used->memory_mib : MemoryMiB()));

    Offer base;
    base.provider = node.backend;
    base.region = node.backend;
    base.zone = node.name;
    base.cpus = free_cpus;
    base.memory = free_memory;
    base.by_share = true;
    base.price_per_gpu_hour = node.price_per_gpu_hour;
    base.price_per_cpu_hour = node.price_per_cpu_hour;
    const double cpu_cost = node.price_per_cpu_hour * static_cast<double>(free_cpus.raw()) / kMilliPerUnit;

    // Free whole GPUs by model, in the order the models first appear.
    std::vector<std::string> models;
    std::map<std::string, std::pair<int, MemoryMiB>> free;  // model -> (count, smallest memory)
    for (const GpuDevice& gpu : node.gpus) {
      const size_t index = static_cast<size_t>(gpu.index);
      const bool busy = used && gpu.index >= 0 && index < used->gpu_milli_used.size() &&
                        used->gpu_milli_used[index].IsPositive();
      if (busy) continue;
      auto [it, inserted] = free.try_emplace(gpu.model, 0, gpu.memory_mb);
      if (inserted) models.push_back(gpu.model);
      it->second.first += 1;
      it->second.second = std::min(it->second.second, gpu.memory_mb);
    }
    for (const std::string& model : models) {
      Offer offer = base;
      offer.accelerator = model;
      offer.accelerator_count = free[model].first;
      offer.gpu_memory_mib = free[model].second.raw();
      offer.price = node.price_per_gpu_hour * offer.accelerator_count + cpu_cost;
      offers.push_back(std::move(offer));
    }
    if (free_cpus.IsPositive()) {
      Offer offer = base;
      offer.price = cpu_cost;
      offers.push_back(std::move(offer));
    }
  }
  return offers;
}

}  // namespace skyrun::catalog
