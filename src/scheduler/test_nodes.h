// Nodes and jobs for the scheduler's unit tests.
#pragma once

#include <functional>
#include <string>

#include "scheduler/plugin.h"

namespace skyrun::testing_nodes {

inline Node MakeNode(const std::string& name, int cpus, int64_t mem_gib, int gpus,
                     const std::string& model = "A100-80GB", const std::string& backend = "local") {
  Node n;
  n.name = name;
  n.backend = backend;
  n.cpus_milli = MilliCpu(cpus * 1000);
  n.memory_mib = MemoryMiB(mem_gib * 1024);
  for (int i = 0; i < gpus; ++i) n.gpus.push_back({i, model, MemoryMiB(81920)});
  return n;
}

inline JobSpec GpuJob(int nodes, int gpus_per_task, const std::string& model = "A100") {
  JobSpec s;
  s.mode = nodes > 1 ? JobMode::kGang : JobMode::kSingle;
  s.num_nodes = nodes;
  s.resources.cpus_milli = MilliCpu(1000);
  s.resources.accelerators[model] = gpus_per_task;
  return s;
}

// A matcher from a function of the node (tests judge by name, so per node).
class FnMatcher final : public JobMatcher {
 public:
  explicit FnMatcher(std::function<NodeVerdict(const Node&)> fn) : fn_(std::move(fn)) {}
  NodeVerdict Judge(const Node& node, const TaskRequest&) override { return fn_(node); }
  bool NodeSpecific() const override { return true; }

 private:
  std::function<NodeVerdict(const Node&)> fn_;
};

inline PendingJob Pending(const JobSpec& spec, int64_t id = 1, JobMatcher* matcher = nullptr) {
  PendingJob p;
  p.id = JobId(id);
  p.priority = spec.priority;
  p.order = id;
  p.spec = &spec;
  p.matcher = matcher;
  return p;
}

// What one task holds on `node`: GPU `gpu` and `milli` of it (nothing else).
inline TaskPlacement GpuBooking(const std::string& node, int gpu, int64_t milli) {
  TaskPlacement t;
  t.node = node;
  t.gpu_indices = {gpu};
  t.gpu_milli = MilliGpu(milli);
  return t;
}

}  // namespace skyrun::testing_nodes
