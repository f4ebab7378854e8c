// The scheduler's extension points, after the Kubernetes scheduling
// framework: queue sort, pre-filter, filter, post-filter, score, reserve /
// unreserve and permit, plus a per-node device picker (which GPUs inside a
// node). A plugin implements one or more of the interfaces below; a profile
// (profile.h) lists plugins by name and the registry builds them.
//
// Filters and scores run once per node class (fleet.h) unless a filter says
// its answer may differ between nodes of one class (NodeSpecific), so a
// plugin must read only what a class shares: the node's static facts and
// what is booked on it, never its name, unless it says NodeSpecific.
//
// Thread-safety: a plugin is used by one scheduler, on one thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "common/quantities.h"
#include "model/job_spec.h"
#include "model/placement.h"
#include "scheduler/fleet.h"
#include "scheduler/tasks.h"

namespace skyrun {

// What the expression language (controller/matching) says about one node
// for one task: the job's requirements and the node's policy, and the rank.
struct NodeVerdict {
  std::string reject;  // "" = acceptable; else why not, for people
  double rank = 0;     // the job's rank on this node: higher is preferred
  bool rank_defined = false;
};

// The job's side of matching, made by whoever compiles expressions.
class JobMatcher {
 public:
  virtual ~JobMatcher() = default;
  virtual NodeVerdict Judge(const Node& node, const TaskRequest& task) = 0;
  // True when two nodes of one class may be judged differently (the
  // expressions read the node's Name or RunningTenants, or nodes publish
  // policies): then every node is judged, not one per class.
  virtual bool NodeSpecific() const = 0;
  // False when no task of the job has a rank expression: every verdict then
  // has rank_defined = false, and the scheduler may skip ranking.
  virtual bool Ranks() const { return true; }
};

// A job waiting to be placed.
struct PendingJob {
  JobId id;
  int priority = 0;
  int64_t order = 0;  // submission order: FIFO among equals
  const JobSpec* spec = nullptr;
  JobMatcher* matcher = nullptr;  // null: nothing to match
  std::string tenant;
  // How long it runs at most once started (its time limit, else its queue's
  // default); nullopt: unknown, never ends for planning (reservation.h).
  std::optional<Micros> time_limit;
};

// One task being placed, as plugins see it.
struct TaskContext {
  const PendingJob* job = nullptr;
  const TaskRequest* task = nullptr;
  // Unique per planning of one job (never reused): plugins may cache what
  // they learn about node shapes for this job under it.
  uint64_t plan = 0;
};

// Which devices of a node a task gets, and what the node has left after.
struct DeviceChoice {
  std::vector<int> positions;  // into Node::gpus
  MilliGpu per_gpu;            // what the task uses of each (its request, not the booking)
  std::string model;
  int idle_gpus_after = 0;
  MilliCpu cpu_free_after;
};

class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual std::string_view Name() const = 0;
};

class QueueSortPlugin : public virtual Plugin {
 public:
  // Whether `a` goes before `b`.
  virtual bool Less(const PendingJob& a, const PendingJob& b) const = 0;
};

class PreFilterPlugin : public virtual Plugin {
 public:
  // Before any node is looked at: "" to go on, else why the job waits.
  virtual std::string PreFilter(const PendingJob& job, const std::vector<TaskRequest>& tasks,
                                const Fleet& fleet) = 0;
};

class FilterPlugin : public virtual Plugin {
 public:
  // Whether `node` may hold the task; when not and `why` is set, says why.
  virtual bool Filter(const TaskContext& ctx, const Fleet& fleet, NodeIndex node, std::string* why) = 0;
  virtual bool NodeSpecific(const TaskContext&) const { return false; }
  // True when the answer (and the reason) reads only the node's static
  // facts, so it holds for every node of a shape: the scheduler then asks
  // once per shape, not once per class.
  virtual bool ShapeOnly(const TaskContext&) const { return false; }
};

class PostFilterPlugin : public virtual Plugin {
 public:
  // After a job found no room: may name running jobs to preempt (the next
  // issue's preemption fills this in).
  virtual void PostFilter(const PendingJob& job, const Fleet& fleet, std::vector<JobId>* victims) = 0;
};

class ScorePlugin : public virtual Plugin {
 public:
  // A raw score, higher is better; nullopt = no opinion on this node (ranks
  // after every node with one). The framework normalises the raw scores of
  // all candidates to 0..100 and weighs them by the profile.
  virtual std::optional<double> Score(const TaskContext& ctx, const Fleet& fleet, NodeIndex node,
                                      const DeviceChoice& choice) = 0;
  // True when Score gives every node the same answer for this task: the
  // plugin then cannot change which node wins.
  virtual bool Uniform(const TaskContext&) const { return false; }
  // An upper bound on Score for any node that has `idle_gpus` idle GPUs and
  // at least `free_cpu` milli-CPU free before the task, when this plugin is
  // also the profile's device picker; never higher for more free CPU;
  // -infinity when no such node can take the task; nullopt when the plugin
  // knows no bound. Lets the scheduler visit node classes from the most
  // promising level, and a level's nodes from the least free CPU up, and
  // stop when nothing left can beat the best found.
  virtual std::optional<double> BoundAtIdle(const TaskContext&, int idle_gpus, int64_t free_cpu) const {
    return std::nullopt;
  }
};

class ReservePlugin : public virtual Plugin {
 public:
  // After a job is placed (the fleet already holds its bookings) and when a
  // placement is taken back, for state of the plugin's own (quotas).
  virtual void Reserve(const PendingJob& job, const Placement& placement) = 0;
  virtual void Unreserve(const PendingJob& job, const Placement& placement) = 0;
};

class PermitPlugin : public virtual Plugin {
 public:
  // The whole plan, every rank placed: "" to accept, else why not. A plan
  // is all or nothing (a gang never half-starts).
  virtual std::string Permit(const PendingJob& job, const Placement& plan, const Fleet& fleet) = 0;
};

// Names a why-not without writing it (see DevicePicker::WhyNot).
struct ReasonKey {
  int64_t kind = 0, a = 0, b = 0;
  bool operator==(const ReasonKey&) const = default;
};
// Mixes every bit of the three figures (free CPUs of nearby amounts must not
// crowd into a few buckets).
struct ReasonKeyHash {
  size_t operator()(const ReasonKey& k) const {
    auto mix = [](uint64_t h) {
      h ^= h >> 30;
      h *= 0xbf58476d1ce4e5b9ULL;
      h ^= h >> 27;
      h *= 0x94d049bb133111ebULL;
      return h ^ (h >> 31);
    };
    uint64_t h = mix(static_cast<uint64_t>(k.kind));
    h = mix(h ^ static_cast<uint64_t>(k.a));
    return static_cast<size_t>(mix(h ^ static_cast<uint64_t>(k.b)));
  }
};

class DevicePicker : public virtual Plugin {
 public:
  // Whether the task fits in what node has free, and on which devices.
  virtual std::optional<DeviceChoice> Pick(const TaskRequest& task, const Fleet& fleet, NodeIndex node,
                                           std::string* why) = 0;
  // A quick necessary condition: false only when Pick fails on every node of
  // class `cls`. Called for every class a search meets, so it must be cheap
  // (what it needs per shape it may cache under ctx.plan and ctx.task).
  virtual bool MayFit(const TaskContext&, const Fleet&, int cls) { return true; }
  // The same for a whole shape at one level of idle GPUs: false only when
  // MayFit is false for every class of shape `shape` whose nodes have
  // `idle_gpus` idle GPUs (a search then skips them all at once).
  virtual bool ShapeMayFit(const TaskContext&, const Fleet&, int shape, int idle_gpus) { return true; }
  // On a node where Pick fails: a key that is equal on two nodes only when
  // Pick says the same why-not on both, so a task that fits nowhere is
  // explained with one reason written per key, not one per class; nullopt
  // when the picker cannot tell (Pick is then asked).
  virtual std::optional<ReasonKey> WhyNot(const TaskContext&, const Fleet&, NodeIndex) {
    return std::nullopt;
  }
  // True when `key`'s text is its own: no node with another key, or with
  // none, is told the same why-not by this picker. Such a reason is grouped
  // by its key and written only when it is shown.
  virtual bool KeyNamesReason(const ReasonKey&) const { return false; }
};

// Builds plugins by name ("best-fit", "expression"). The built-ins are
// registered on first use; Register adds others (tests, a simulator).
using PluginFactory = std::unique_ptr<Plugin> (*)();
void RegisterPlugin(std::string_view name, PluginFactory factory);
std::unique_ptr<Plugin> MakePlugin(std::string_view name);  // null if unknown
std::vector<std::string> PluginNames();                     // sorted

}  // namespace skyrun
