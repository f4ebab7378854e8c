// The built-in plugins and the registry that builds plugins by name.
#include <algorithm>
#include <limits>
#include <map>
#include <mutex>
#include <unordered_map>

#include "common/money.h"
#include "common/strings.h"
#include "scheduler/plugin.h"

namespace skyrun {

namespace {

// --- queue sort ---

// Strict priority, then submission order.
class PriorityFifo final : public QueueSortPlugin {
 public:
  std::string_view Name() const override { return "priority-fifo"; }
  bool Less(const PendingJob& a, const PendingJob& b) const override {
    if (a.priority != b.priority) return a.priority > b.priority;
    return a.order < b.order;
  }
};

// --- filters ---

class NodeStateFilter final : public FilterPlugin {
 public:
  std::string_view Name() const override { return "node-state"; }
  bool Filter(const TaskContext&, const Fleet& fleet, NodeIndex node, std::string* why) override {
    NodeState s = fleet.node(node).state;
    if (s == NodeState::kUp) return true;
    if (why) *why = std::string("node is ") + NodeStateName(s);
    return false;
  }
  bool ShapeOnly(const TaskContext&) const override { return true; }
};

// The expression language's verdicts, judged once per node shape for a job
// (they read only static facts unless the matcher says NodeSpecific).
class VerdictCache {
 public:
  const NodeVerdict& Get(const TaskContext& ctx, const Fleet& fleet, NodeIndex node) {
    JobMatcher* m = ctx.job->matcher;
    if (m->NodeSpecific()) {
      scratch_ = m->Judge(fleet.node(node), *ctx.task);
      return scratch_;
    }
    if (ctx.plan != plan_ || ctx.task->role != role_ || fleet.shape_count() != shapes_) {
      plan_ = ctx.plan;
      role_ = ctx.task->role;
      shapes_ = fleet.shape_count();
      by_shape_.assign(static_cast<size_t>(shapes_), std::nullopt);
    }
    auto& slot = by_shape_[static_cast<size_t>(fleet.ShapeOf(node))];
    if (!slot) slot = m->Judge(fleet.node(node), *ctx.task);
    return *slot;
  }

 private:
  uint64_t plan_ = 0;
  std::string role_;
  int shapes_ = 0;
  std::vector<std::optional<NodeVerdict>> by_shape_;
  NodeVerdict scratch_;
};

// The job's requirements and the node's policy must both be TRUE.
class ExpressionFilter final : public FilterPlugin {
 public:
  std::string_view Name() const override { return "expression"; }
  bool Filter(const TaskContext& ctx, const Fleet& fleet, NodeIndex node, std::string* why) override {
    if (!ctx.job->matcher) return true;
    const NodeVerdict& v = cache_.Get(ctx, fleet, node);
    if (v.reject.empty()) return true;
    if (why) *why = v.reject;
    return false;
  }
  bool NodeSpecific(const TaskContext& ctx) const override {
    return ctx.job->matcher && ctx.job->matcher->NodeSpecific();
  }
  bool ShapeOnly(const TaskContext& ctx) const override { return !NodeSpecific(ctx); }

 private:
  VerdictCache cache_;
};

// --- scores ---

// The job's rank expression: higher first; nodes where it is undefined last.
class ExpressionRank final : public ScorePlugin {
 public:
  std::string_view Name() const override { return "expression-rank"; }
  std::optional<double> Score(const TaskContext& ctx, const Fleet& fleet, NodeIndex node,
                              const DeviceChoice&) override {
    if (!ctx.job->matcher) return 0.0;
    const NodeVerdict& v = cache_.Get(ctx, fleet, node);
    if (!v.rank_defined) return std::nullopt;
    return v.rank;
  }
  bool Uniform(const TaskContext& ctx) const override {
    return !ctx.job->matcher || !ctx.job->matcher->Ranks();
  }

 private:
  VerdictCache cache_;
};

// The device picker and score of today's scheduler: fits CPU, memory and
// GPUs; a share goes on the fullest GPU with room, whole GPUs on the first
// idle ones of the first model option that fits; the node left with the
// fewest idle GPUs wins (keeps idle GPUs together for big jobs), then the
// one left with the least free CPU.
class BestFit final : public DevicePicker, public ScorePlugin {
 public:
  std::string_view Name() const override { return "best-fit"; }

  std::optional<DeviceChoice> Pick(const TaskRequest& task, const Fleet& fleet, NodeIndex i,
                                   std::string* why) override {
    const Node& node = fleet.node(i);
    const ResourceRequest& req = task.resources;
    MilliCpu free_cpu = fleet.FreeCpu(i);
    if (req.cpus_milli > node.cpus_milli) {
      if (why) *why = "has " + FormatMilli(node.cpus_milli) + " CPUs in all";
      return std::nullopt;
    }
    if (req.cpus_milli > free_cpu) {
      if (why) *why = FormatMilli(free_cpu) + " of " + FormatMilli(node.cpus_milli) + " CPUs free";
      return std::nullopt;
    }
    if (req.memory_mib > node.memory_mib) {
      if (why) *why = "has " + std::to_string(node.memory_mib.raw()) + " MiB memory in all";
      return std::nullopt;
    }
    if (req.memory_mib > fleet.FreeMemory(i)) {
      if (why) *why = std::to_string(fleet.FreeMemory(i).raw()) + " MiB memory free";
      return std::nullopt;
    }
    DeviceChoice c;
    c.cpu_free_after = free_cpu - req.cpus_milli;
    c.idle_gpus_after = fleet.IdleGpus(i);
    auto model_ok = [&](const GpuDevice& g) {
      if (req.accelerators.empty()) return true;
      for (const auto& [m, n] : req.accelerators)
        if (ModelMatches(m, g.model)) return true;
      return false;
    };
    if (req.gpu_milli.IsPositive()) {
      // A share of one GPU: the fullest device that still has room for what
      // the backend books (a whole GPU where the engine hands out no less).
      MilliGpu booked = fleet.Booked(i, req.gpu_milli);
      int best = -1;
      for (size_t p = 0; p < node.gpus.size(); ++p) {
        if (!model_ok(node.gpus[p]) || fleet.GpuUsed(i, p) + booked > MilliGpu(kMilliPerUnit)) continue;
        if (best < 0 || fleet.GpuUsed(i, p) > fleet.GpuUsed(i, static_cast<size_t>(best)))
          best = static_cast<int>(p);
      }
      if (best < 0) {
        if (why)
          *why = node.gpus.empty() ? "has no GPU"
                                   : "no GPU of a matching model with " +
                                         std::to_string(req.gpu_milli.raw()) + " milli-GPU free" +
                                         (booked > req.gpu_milli ? " (its backend books whole GPUs)" : "");
        return std::nullopt;
      }
      c.positions = {best};
      c.per_gpu = req.gpu_milli;
      c.model = node.gpus[best].model;
      if (fleet.GpuUsed(i, static_cast<size_t>(best)).IsZero()) --c.idle_gpus_after;
      return c;
    }
    if (req.accelerators.empty()) return c;
    // Whole GPUs: the first model option that this node can satisfy.
    std::string detail;
    for (const auto& [model, count] : req.accelerators) {
      int any = 0;
      c.positions.clear();
      for (size_t p = 0; p < node.gpus.size(); ++p) {
        if (!ModelMatches(model, node.gpus[p].model)) continue;
        ++any;
        if (fleet.GpuUsed(i, p).IsZero() && static_cast<int>(c.positions.size()) < count)
          c.positions.push_back(static_cast<int>(p));
      }
      if (static_cast<int>(c.positions.size()) >= count && count > 0) {
        c.per_gpu = MilliGpu(kMilliPerUnit);
        c.model = node.gpus[c.positions[0]].model;
        c.idle_gpus_after -= count;
        return c;
      }
      if (!why) continue;
      int idle = 0;
      for (size_t p = 0; p < node.gpus.size(); ++p)
        idle += ModelMatches(model, node.gpus[p].model) && fleet.GpuUsed(i, p).IsZero();
      if (!detail.empty()) detail += "; ";
      detail += any == 0 ? "no " + model
                         : std::to_string(idle) + " of " + std::to_string(any) + " " + model + " free";
    }
    if (why) *why = node.gpus.empty() ? "has no GPU" : detail;
    return std::nullopt;
  }

  // Pick's checks that a class decides: some member with the CPUs, GPUs
  // that the bookings leave; and those a shape decides, once per task.
  bool MayFit(const TaskContext& ctx, const Fleet& fleet, int ci) override {
    const Fleet::NodeClass& cls = fleet.classes()[static_cast<size_t>(ci)];
    const ResourceRequest& req = ctx.task->resources;
    if (cls.MostFreeCpu() < req.cpus_milli.raw()) return false;
    const ShapeFit& shape = Shape(ctx, fleet, cls.shape);
    return shape.cpu_memory && GpusMayFit(req, shape, cls);
  }

  // MayFit's checks that a shape decides at one level of idle GPUs: a
  // share needs a GPU with room (any idle one has it), whole GPUs as many
  // idle as the smallest option that could fit.
  bool ShapeMayFit(const TaskContext& ctx, const Fleet& fleet, int s, int idle_gpus) override {
    const ShapeFit& shape = Shape(ctx, fleet, s);
    if (!shape.cpu_memory || !shape.gpus) return false;
    return ctx.task->resources.gpu_milli.IsPositive() || idle_gpus >= shape.fewest_gpus;
  }

  // Pick's checks in Pick's order; the GPU ones from the class's bookings
  // where every GPU of the node is of one model (the class then decides).
  std::optional<ReasonKey> WhyNot(const TaskContext& ctx, const Fleet& fleet, NodeIndex i) override {
    const Node& node = fleet.node(i);
    const ResourceRequest& req = ctx.task->resources;
    if (req.cpus_milli > node.cpus_milli) return ReasonKey{1, node.cpus_milli.raw(), 0};
    MilliCpu free_cpu = fleet.FreeCpu(i);
    if (req.cpus_milli > free_cpu) return ReasonKey{2, free_cpu.raw(), node.cpus_milli.raw()};
    if (req.memory_mib > node.memory_mib) return ReasonKey{3, node.memory_mib.raw(), 0};
    MemoryMiB free_memory = fleet.FreeMemory(i);
    if (req.memory_mib > free_memory) return ReasonKey{4, free_memory.raw(), 0};
    if (!req.gpu_milli.IsPositive() && req.accelerators.empty()) return std::nullopt;  // fits
    if (node.gpus.empty()) return ReasonKey{5, 0, 0};
    const ShapeFit& shape = Shape(ctx, fleet, fleet.ShapeOf(i));
    if (!shape.one_model) return std::nullopt;
    const Fleet::NodeClass& cls = fleet.classes()[static_cast<size_t>(fleet.ClassOf(i))];
    if (GpusMayFit(req, shape, cls)) return std::nullopt;  // fits
    if (req.gpu_milli.IsPositive()) return ReasonKey{6, shape.booked > req.gpu_milli, 0};
    return ReasonKey{7, fleet.ShapeOf(i), cls.idle_gpus};
  }

  // The CPU and memory reasons print every figure of their key, and no GPU
  // reason speaks of CPUs or memory ("... of ... CPUs free" would need a
  // GPU model named "CPUs").
  bool KeyNamesReason(const ReasonKey& key) const override { return key.kind >= 1 && key.kind <= 4; }

  std::optional<double> Score(const TaskContext&, const Fleet&, NodeIndex, const DeviceChoice& c) override {
    return -(static_cast<double>(c.idle_gpus_after) * 1e9 + static_cast<double>(c.cpu_free_after.raw()));
  }

  // Pick takes one GPU for a share (none when it lands on a used one), the
  // count of one model option for whole GPUs: the node is left with at
  // least idle - most idle GPUs, and free_cpu - the task's CPUs free CPU.
  std::optional<double> BoundAtIdle(const TaskContext& ctx, int idle_gpus, int64_t free_cpu) const override {
    const ResourceRequest& req = ctx.task->resources;
    int most = 0, fewest = 0;
    if (req.gpu_milli.IsPositive()) {
      most = 1;
    } else {
      bool first = true;
      for (const auto& [model, count] : req.accelerators) {
        if (count <= 0) continue;  // Pick never places on such an option
        most = std::max(most, count);
        fewest = first ? count : std::min(fewest, count);
        first = false;
      }
      if (first && !req.accelerators.empty()) return -std::numeric_limits<double>::infinity();
    }
    if (idle_gpus < fewest) return -std::numeric_limits<double>::infinity();
    int64_t cpu_after = std::max<int64_t>(0, free_cpu - req.cpus_milli.raw());
    return -(static_cast<double>(std::max(0, idle_gpus - most)) * 1e9 + static_cast<double>(cpu_after));
  }

 private:
  struct ShapeFit {
    bool cpu_memory = true;  // the node has the CPUs and memory in all
    bool gpus = true;        // its GPUs could serve the request, were they free
    bool one_model = true;   // every GPU is of one model
    MilliGpu booked;         // what a share books on a GPU of this shape
    int fewest_gpus = 0;     // idle GPUs the smallest whole-GPU option that could fit needs
  };

  // A necessary condition on the GPUs, and where the node has one model of
  // GPU also a sufficient one.
  static bool GpusMayFit(const ResourceRequest& req, const ShapeFit& shape, const Fleet::NodeClass& cls) {
    if (!shape.gpus) return false;
    if (req.gpu_milli.IsPositive()) return cls.most_gpu_free >= shape.booked.raw();
    return cls.idle_gpus >= shape.fewest_gpus;
  }

  // Per shape for the task being placed, kept per request (what ShapeFitOf
  // reads of it) for as long as the fleet's shapes stay the same, so jobs
  // asking the same judge each shape once between them.
  // A plan places on one fleet as it is (ctx.plan), so the fleet is looked
  // at only when the plan or the task changes.
  const ShapeFit& Shape(const TaskContext& ctx, const Fleet& fleet, int s) {
    if (ctx.plan != plan_ || ctx.task != task_) ForTask(ctx, fleet);
    std::optional<ShapeFit>& slot = (*shapes_)[static_cast<size_t>(s)];
    if (!slot) slot = ShapeFitOf(ctx.task->resources, fleet, fleet.ShapeExample(s));
    return *slot;
  }

  void ForTask(const TaskContext& ctx, const Fleet& fleet) {
    plan_ = ctx.plan;
    task_ = ctx.task;
    if (fleet.instance_id() != fleet_ || fleet.statics() != statics_) {
      by_request_.clear();
      fleet_ = fleet.instance_id();
      statics_ = fleet.statics();
    }
    RequestKey(ctx.task->resources, &key_);
    // Bounded: a tenant may ask for any number of different amounts.
    if (by_request_.size() >= kMaxRequests && by_request_.find(key_) == by_request_.end())
      by_request_.clear();
    shapes_ = &by_request_[key_];
    shapes_->resize(static_cast<size_t>(fleet.shape_count()));
  }

  // Everything of a request that ShapeFitOf reads.
  static void RequestKey(const ResourceRequest& req, std::string* key) {
    key->clear();
    auto put = [key](int64_t v) { key->append(reinterpret_cast<const char*>(&v), sizeof v); };
    put(req.cpus_milli.raw());
    put(req.memory_mib.raw());
    put(req.gpu_milli.raw());
    for (const auto& [model, count] : req.accelerators) {
      put(static_cast<int64_t>(model.size()));
      key->append(model);
      put(count);
    }
  }

  static ShapeFit ShapeFitOf(const ResourceRequest& req, const Fleet& fleet, NodeIndex i) {
    const Node& node = fleet.node(i);
    ShapeFit f;
    f.cpu_memory = req.cpus_milli <= node.cpus_milli && req.memory_mib <= node.memory_mib;
    for (const GpuDevice& g : node.gpus) f.one_model &= g.model == node.gpus.front().model;
    if (req.gpu_milli.IsPositive()) {
      f.booked = fleet.Booked(i, req.gpu_milli);
      bool any = false;
      for (const GpuDevice& g : node.gpus) {
        bool model = req.accelerators.empty();
        for (const auto& [m, n] : req.accelerators) model |= ModelMatches(m, g.model);
        any |= model;
      }
      f.gpus = any;
    } else if (!req.accelerators.empty()) {
      bool any = false;
      for (const auto& [model, count] : req.accelerators) {
        if (count <= 0) continue;
        int matching = 0;
        for (const GpuDevice& g : node.gpus) matching += ModelMatches(model, g.model);
        if (matching < count) continue;
        f.fewest_gpus = any ? std::min(f.fewest_gpus, count) : count;
        any = true;
      }
      f.gpus = any;
    }
    return f;
  }

  // Requests kept at most; more clear the lot.
  static constexpr size_t kMaxRequests = 1024;
  uint64_t plan_ = 0;
  const TaskRequest* task_ = nullptr;
  uint64_t fleet_ = 0;    // the fleet's instance_id() that by_request_ is for
  uint64_t statics_ = 0;  // and its statics()
  std::unordered_map<std::string, std::vector<std::optional<ShapeFit>>> by_request_;  // by RequestKey
  std::vector<std::optional<ShapeFit>>* shapes_ = nullptr;  // the task's, in by_request_
  std::string key_;                                         // reused
};

// --- pre-filter ---

// A quick necessary condition for gangs: enough nodes with enough idle GPUs
// of a requested model on one backend, counted per node class. A 4,000-rank
// gang that cannot fit is told so without planning 4,000 ranks.
class GangCapacity final : public PreFilterPlugin {
 public:
  std::string_view Name() const override { return "gang-capacity"; }
  std::string PreFilter(const PendingJob& job, const std::vector<TaskRequest>& tasks,
                        const Fleet& fleet) override {
    if (tasks.size() < 2 || job.spec->mode == JobMode::kPsWorker) return "";
    const ResourceRequest& req = tasks.front().resources;
    if (req.gpu_milli.IsPositive() || req.accelerators.empty()) return "";
    int per_node_cap = MaxRanksPerNode(*job.spec);
    std::map<std::string, int64_t> room;  // backend -> ranks it could hold
    for (const Fleet::NodeClass& cls : fleet.classes()) {
      if (cls.members.empty()) continue;
      NodeIndex rep = cls.members.begin()->second;
      const Node& n = fleet.node(rep);
      if (!InfraAllows(job.spec->resources.infra, n.backend)) continue;
      int64_t& r = room[n.backend];
      if (n.state != NodeState::kUp) continue;
      int64_t best = 0;
      for (const auto& [model, count] : req.accelerators) {
        if (count <= 0) continue;
        int idle = 0;
        for (size_t p = 0; p < n.gpus.size(); ++p)
          idle += ModelMatches(model, n.gpus[p].model) && fleet.GpuUsed(rep, p).IsZero();
        best = std::max<int64_t>(best, idle / count);
      }
      if (per_node_cap > 0) best = std::min<int64_t>(best, per_node_cap);
      r += best * static_cast<int64_t>(cls.members.size());
    }
    std::vector<std::string> parts;
    for (const auto& [backend, r] : room) {
      if (r >= static_cast<int64_t>(tasks.size())) return "";
      parts.push_back(backend + " has room for " + std::to_string(r));
    }
    if (parts.empty()) return "";  // no backend allowed: the planner says so
    std::string spread = per_node_cap == 1  ? ", each on its own node,"
                         : per_node_cap > 1 ? ", at most " + std::to_string(per_node_cap) + " per node,"
                                            : "";
    return "needs " + std::to_string(tasks.size()) + " ranks of " + DescribeRequest(req) + spread +
           " on one backend: " + Join(parts, "; ");
  }
};

// --- permit ---

// resources.max_hourly_cost: what the attempt costs at launch prices, each
// task at its share of its node (tasks.h's HourlyPrice). As a filter, a node
// where the task alone would cost more than its part of the cap (the cap over
// the job's tasks when they all ask the same, else the whole cap) is left
// out, so that a job looks for a cheaper node rather than waiting on a plan
// the permit would refuse; node prices and GPU models are static facts, so
// the answer holds per shape. As a permit, the whole plan.
class MaxHourlyCost final : public FilterPlugin, public PermitPlugin {
 public:
  std::string_view Name() const override { return "max-hourly-cost"; }
  bool Filter(const TaskContext& ctx, const Fleet& fleet, NodeIndex node, std::string* why) override {
    const JobSpec& spec = *ctx.job->spec;
    const auto& cap = spec.resources.max_hourly_cost;
    if (!cap) return true;
    const double part = spec.roles.empty() ? *cap / std::max(1, spec.TaskCount()) : *cap;
    // No GPU choice fits the node at all: the device picker says so.
    std::optional<double> least = LeastHourlyPrice(ctx.task->resources, fleet.node(node));
    if (!least || *least <= part + kPriceSlack) return true;
    if (why)
      *why = "costs " + FormatUsd(*least) + "/hour for this task, over its part of max_hourly_cost (" +
             FormatUsd(part) + "/hour)";
    return false;
  }
  bool ShapeOnly(const TaskContext&) const override { return true; }

  std::string Permit(const PendingJob& job, const Placement& plan, const Fleet&) override {
    const auto& cap = job.spec->resources.max_hourly_cost;
    if (!cap || plan.hourly_price <= *cap + kPriceSlack) return "";
    return "the placement costs " + FormatUsd(plan.hourly_price) + "/hour, over max_hourly_cost (" +
           FormatUsd(*cap) + "/hour)";
  }

 private:
  // A cap split over tasks and summed again may differ in the last bits.
  static constexpr double kPriceSlack = 1e-9;
};

template <typename T>
std::unique_ptr<Plugin> New() {
  return std::make_unique<T>();
}

struct Registry {
  std::mutex mu;
  std::map<std::string, PluginFactory, std::less<>> factories{
      {"priority-fifo", &New<PriorityFifo>},
      {"node-state", &New<NodeStateFilter>},
      {"expression", &New<ExpressionFilter>},
      {"expression-rank", &New<ExpressionRank>},
      {"best-fit", &New<BestFit>},
      {"gang-capacity", &New<GangCapacity>},
      {"max-hourly-cost", &New<MaxHourlyCost>},
  };
};

Registry& TheRegistry() {
  static Registry* r = new Registry();
  return *r;
}

}  // namespace

void RegisterPlugin(std::string_view name, PluginFactory factory) {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.factories[std::string(name)] = factory;
}

std::unique_ptr<Plugin> MakePlugin(std::string_view name) {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto it = r.factories.find(name);
  return it == r.factories.end() ? nullptr : it->second();
}

std::vector<std::string> PluginNames() {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<std::string> out;
  for (const auto& [name, f] : r.factories) out.push_back(name);
  return out;
}

}  // namespace skyrun
