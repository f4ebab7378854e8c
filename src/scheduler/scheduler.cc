#include "scheduler/scheduler.h"

#include <algorithm>

#include "common/check.h"
#include "common/quantities.h"
#include "common/strings.h"

namespace skyrun {

void ClusterSnapshot::SetNodes(std::vector<Node> nodes) {
  nodes_ = std::move(nodes);
  for (const auto& n : nodes_) {
    auto& u = usage_[n.name];
    u.gpu_milli_used.resize(n.gpus.size(), 0);
  }
}

const Node* ClusterSnapshot::FindNode(const std::string& name) const {
  for (const auto& n : nodes_)
    if (n.name == name) return &n;
  return nullptr;
}

NodeUsage& ClusterSnapshot::UsageOf(const std::string& node) { return usage_[node]; }

const NodeUsage& ClusterSnapshot::UsageOf(const std::string& node) const {
  static const NodeUsage kEmpty;
  auto it = usage_.find(node);
  return it == usage_.end() ? kEmpty : it->second;
}

void ClusterSnapshot::Reserve(const TaskPlacement& task) {
  NodeUsage& u = usage_[task.node];
  u.cpus_milli += task.cpus_milli;
  u.memory_mib += task.memory_mib;
  int64_t per_gpu = task.gpu_indices.empty() ? 0 : task.gpu_milli / static_cast<int64_t>(task.gpu_indices.size());
  for (int idx : task.gpu_indices) {
    if (static_cast<size_t>(idx) >= u.gpu_milli_used.size()) u.gpu_milli_used.resize(idx + 1, 0);
    u.gpu_milli_used[idx] += per_gpu;
  }
}

void ClusterSnapshot::Release(const TaskPlacement& task) {
  NodeUsage& u = usage_[task.node];
  u.cpus_milli -= task.cpus_milli;
  u.memory_mib -= task.memory_mib;
  int64_t per_gpu = task.gpu_indices.empty() ? 0 : task.gpu_milli / static_cast<int64_t>(task.gpu_indices.size());
  for (int idx : task.gpu_indices) {
    if (static_cast<size_t>(idx) < u.gpu_milli_used.size()) u.gpu_milli_used[idx] -= per_gpu;
  }
  // Bookkeeping must never go negative: that would be a double release.
  SKYRUN_CHECK(u.cpus_milli >= 0 && u.memory_mib >= 0);
}

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

namespace {

// "A100" accepts "A100", "a100" and "A100-80GB"; "A100-80GB" accepts only itself.
bool ModelMatches(const std::string& requested, const std::string& device) {
  if (EqualsIgnoreCase(requested, device)) return true;
  return device.size() > requested.size() && device[requested.size()] == '-' &&
         EqualsIgnoreCase(std::string_view(device).substr(0, requested.size()), requested);
}

struct Fit {
  bool ok = false;
  std::string why_not;
  TaskPlacement placement;
  int64_t score = 0;  // lower is better (tighter fit)
  NodeVerdict verdict;
};

// Rank first (higher, defined before undefined), then the tighter fit.
bool Better(const Fit& a, const Fit& b) {
  if (a.verdict.rank_defined != b.verdict.rank_defined) return a.verdict.rank_defined;
  if (a.verdict.rank_defined && a.verdict.rank != b.verdict.rank) return a.verdict.rank > b.verdict.rank;
  return a.score < b.score;
}

std::string DescribeRequest(const ResourceRequest& r) {
  std::vector<std::string> parts;
  if (r.gpu_milli > 0) {
    std::string models;
    for (const auto& [m, n] : r.accelerators) models += (models.empty() ? "" : "|") + m;
    parts.push_back(std::to_string(r.gpu_milli) + " milli-GPU" + (models.empty() ? "" : " of " + models));
  } else if (!r.accelerators.empty()) {
    std::vector<std::string> opts;
    for (const auto& [m, n] : r.accelerators) opts.push_back(m + ":" + std::to_string(n));
    parts.push_back("GPU " + Join(opts, " or "));
  }
  parts.push_back(FormatMilli(r.cpus_milli) + " CPU");
  if (r.memory_mib > 0) parts.push_back(std::to_string(r.memory_mib) + " MiB memory");
  return Join(parts, ", ");
}

// Tries to fit one task on one node given current usage.
Fit FitTask(const TaskRequest& task, const Node& node, const NodeUsage& usage) {
  Fit fit;
  const ResourceRequest& req = task.resources;
  if (node.state != NodeState::kUp) {
    fit.why_not = std::string("node is ") + NodeStateName(node.state);
    return fit;
  }
  int64_t free_cpu = node.cpus_milli - usage.cpus_milli;
  if (req.cpus_milli > node.cpus_milli) {
    fit.why_not = "has " + FormatMilli(node.cpus_milli) + " CPUs in all";
    return fit;
  }
  if (req.cpus_milli > free_cpu) {
    fit.why_not = FormatMilli(free_cpu) + " of " + FormatMilli(node.cpus_milli) + " CPUs free";
    return fit;
  }
  int64_t free_mem = node.memory_mib - usage.memory_mib;
  if (req.memory_mib > node.memory_mib) {
    fit.why_not = "has " + std::to_string(node.memory_mib) + " MiB memory in all";
    return fit;
  }
  if (req.memory_mib > free_mem) {
    fit.why_not = std::to_string(free_mem) + " MiB memory free";
    return fit;
  }
  TaskPlacement& p = fit.placement;
  p.rank = task.rank;
  p.role = task.role;
  p.node = node.name;
  p.node_address = node.address;
  p.cpus_milli = req.cpus_milli;
  p.memory_mib = req.memory_mib;

  auto used = [&](size_t i) { return i < usage.gpu_milli_used.size() ? usage.gpu_milli_used[i] : 0; };
  auto model_ok = [&](const GpuDevice& g) {
    if (req.accelerators.empty()) return true;
    for (const auto& [m, n] : req.accelerators)
      if (ModelMatches(m, g.model)) return true;
    return false;
  };

  int64_t free_gpus_after = 0;
  if (req.gpu_milli > 0) {
    // A share of one GPU: the fullest device that still has room (best fit).
    int best = -1;
    for (size_t i = 0; i < node.gpus.size(); ++i) {
      if (!model_ok(node.gpus[i]) || used(i) + req.gpu_milli > kMilliPerUnit) continue;
      if (best < 0 || used(i) > used(best)) best = static_cast<int>(i);
    }
    if (best < 0) {
      fit.why_not = node.gpus.empty() ? "has no GPU" : "no GPU of a matching model with " +
                                                             std::to_string(req.gpu_milli) + " milli-GPU free";
      return fit;
    }
    p.gpu_indices = {node.gpus[best].index};
    p.gpu_milli = req.gpu_milli;
    p.gpu_model = node.gpus[best].model;
  } else if (!req.accelerators.empty()) {
    // Whole GPUs: the first model option that this node can satisfy.
    bool found = false;
    std::string detail;
    for (const auto& [model, count] : req.accelerators) {
      std::vector<int> idle, any;
      for (size_t i = 0; i < node.gpus.size(); ++i) {
        if (!ModelMatches(model, node.gpus[i].model)) continue;
        any.push_back(static_cast<int>(i));
        if (used(i) == 0) idle.push_back(static_cast<int>(i));
      }
      if (static_cast<int>(idle.size()) >= count) {
        for (int k = 0; k < count; ++k) p.gpu_indices.push_back(node.gpus[idle[k]].index);
        p.gpu_milli = static_cast<int64_t>(count) * kMilliPerUnit;
        p.gpu_model = node.gpus[idle[0]].model;
        found = true;
        break;
      }
      if (!detail.empty()) detail += "; ";
      detail += any.empty() ? "no " + model
                            : std::to_string(idle.size()) + " of " + std::to_string(any.size()) + " " + model +
                                  " free";
    }
    if (!found) {
      fit.why_not = node.gpus.empty() ? "has no GPU" : detail;
      return fit;
    }
  }
  for (size_t i = 0; i < node.gpus.size(); ++i) {
    int64_t u = used(i);
    for (int idx : p.gpu_indices)
      if (node.gpus[i].index == idx) u += p.gpu_milli / static_cast<int64_t>(p.gpu_indices.size());
    if (u == 0) ++free_gpus_after;
  }
  fit.ok = true;
  // Best fit: keep idle GPUs together for big jobs, then pack CPUs.
  fit.score = free_gpus_after * 1'000'000'000LL + (free_cpu - req.cpus_milli);
  return fit;
}

}  // namespace

PlaceOutcome Scheduler::Place(const JobSpec& spec, ClusterSnapshot& snapshot, const NodePredicate& predicate) const {
  PlaceOutcome outcome;
  std::vector<TaskRequest> tasks = ExpandTasks(spec);
  Placement placement;
  std::vector<TaskPlacement> reserved;
  auto undo = [&] {
    for (const auto& t : reserved) snapshot.Release(t);
  };
  for (const auto& task : tasks) {
    const Fit* best = nullptr;
    std::vector<Fit> fits;
    fits.reserve(snapshot.nodes().size());
    std::vector<std::string> why;
    for (const auto& node : snapshot.nodes()) {
      if (!InfraAllows(spec.resources.infra, node.backend)) continue;
      NodeVerdict verdict;
      if (predicate) {
        verdict = predicate(node, task);
        if (!verdict.reject.empty()) {
          why.push_back(node.name + ": " + verdict.reject);
          continue;
        }
      }
      fits.push_back(FitTask(task, node, snapshot.UsageOf(node.name)));
      fits.back().verdict = verdict;
      if (!fits.back().ok) why.push_back(node.name + ": " + fits.back().why_not);
    }
    for (const auto& f : fits)
      if (f.ok && (!best || Better(f, *best))) best = &f;
    if (!best) {
      undo();
      outcome.reason = "no node has room for rank " + std::to_string(task.rank) + " (needs " +
                       DescribeRequest(task.resources) + ")";
      if (why.empty()) {
        outcome.reason += ": no node is allowed by resources.infra";
      } else {
        // Show a few nodes' reasons: enough to act on, not a wall of text.
        size_t shown = std::min<size_t>(why.size(), 3);
        outcome.reason += ": " + Join(std::vector<std::string>(why.begin(), why.begin() + shown), "; ");
        if (why.size() > shown) outcome.reason += "; and " + std::to_string(why.size() - shown) + " more";
      }
      return outcome;
    }
    snapshot.Reserve(best->placement);
    reserved.push_back(best->placement);
    placement.tasks.push_back(best->placement);
    const Node* node = snapshot.FindNode(best->placement.node);
    placement.backend = node->backend;
    placement.hourly_price += node->price_per_gpu_hour * static_cast<double>(best->placement.gpu_milli) / 1000.0 +
                              node->price_per_cpu_hour * static_cast<double>(best->placement.cpus_milli) / 1000.0;
  }
  // A job runs on one backend: ranks of a gang must reach each other.
  for (const auto& t : placement.tasks) {
    if (snapshot.FindNode(t.node)->backend != placement.backend) {
      undo();
      outcome.reason = "the tasks would span backends (" + placement.backend + " and " +
                       snapshot.FindNode(t.node)->backend + "); a job runs on one backend";
      return outcome;
    }
  }
  outcome.placement = std::move(placement);
  return outcome;
}

Status Scheduler::CheckFeasible(const JobSpec& spec, const std::vector<Node>& nodes,
                                const NodePredicate& predicate) const {
  // Per backend, try the job on that backend's nodes with nothing in use.
  std::map<std::string, std::vector<Node>> by_backend;
  for (const auto& n : nodes) {
    Node copy = n;
    if (copy.state == NodeState::kDown) copy.state = NodeState::kUp;  // down now, may come back
    by_backend[n.backend].push_back(std::move(copy));
  }
  std::vector<std::string> reasons;
  for (auto& [backend, group] : by_backend) {
    if (!InfraAllows(spec.resources.infra, backend)) continue;
    ClusterSnapshot empty;
    empty.SetNodes(group);
    PlaceOutcome o = Place(spec, empty, predicate);
    if (o.placement) return Status::Ok();
    reasons.push_back(backend + ": " + o.reason);
  }
  if (reasons.empty()) {
    return InvalidArgument("no backend is allowed by resources.infra (" + Join(spec.resources.infra, ", ") + ")");
  }
  return ResourceExhausted("the job can never fit: " + Join(reasons, " | "));
}

}  // namespace skyrun
