// Fleet: the indexed picture of every node the scheduler places on and what
// is booked on each. Nodes and their GPUs are addressed by integer indices;
// free capacity is kept incrementally on Reserve/Release (never recomputed by
// scanning); a node is found by name through a hash map.
//
// Node classes: nodes of the same backend, shape (CPUs, memory, GPU models),
// state, attributes, prices and the same GPU bookings (per GPU model) share a class, so the
// scheduler's filters and device picker run once per class, not once per
// node. Free CPU and memory vary too finely to split classes (real tasks ask
// for every amount): a class keeps its nodes ordered by free CPU instead.
// A node changes class when something is reserved on or released from it.
//
// Backend capabilities: a backend whose engine hands out whole GPUs only
// (gpu_granularity_milli = 1000, Slurm GRES) books a GPU share as a whole
// GPU, so skyrun never counts two shares on a GPU the engine gives to one.
//
// Expected ends: the fleet also knows, per booked job, the tasks it holds
// and when it is expected to end (its start plus its time limit, or unknown:
// never, for planning), so the scheduler can plan when a waiting job will
// fit (reservation.h). Whoever books a running job says so (SetExpectedEnd)
// and forgets it when the job's bookings are released (ForgetExpectedEnd).
//
// generation() changes when capacity is freed, the nodes change or Touch()
// is called (e.g. a node policy's inputs changed): a job found unschedulable
// at generation g cannot fit before the generation moves.
//
// The class journal: every class whose members change is noted, so whoever
// keeps something per class (scheduler.h's explanations) brings it up to
// date by looking only at the classes changed since, not at all of them.
// Positions are valid for one Fleet object (instance_id(): a copy or a move
// is another) until the classes are rebuilt.
//
// Owned by the controller (under its cycle lock) or by a simulator/bench.
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "common/quantities.h"
#include "drivers/driver.h"
#include "model/node.h"
#include "model/placement.h"
#include "scheduler/flat_set.h"

namespace skyrun {

using NodeIndex = int32_t;
constexpr NodeIndex kNoNode = -1;

class Fleet {
 public:
  struct NodeClass {
    int shape = 0;  // equal shapes = equal static facts (see ShapeKey)
    // By (free milli-CPU, index): the tightest node on CPU that still fits is
    // a lower_bound away, and ties go to the lowest index.
    FlatSet<std::pair<int64_t, NodeIndex>> members;
    // What the bookings (the same on every member) leave, so a search can
    // skip a class that cannot fit without looking at a node: idle GPUs and
    // the milli-GPU free on the emptiest GPU (0 on a node without GPUs).
    int idle_gpus = 0;
    int64_t most_gpu_free = 0;
    // The most free milli-CPU of a member (0 when empty), kept as members
    // change: a search asks it of every class it meets.
    int64_t most_free_cpu = 0;
    int64_t MostFreeCpu() const { return most_free_cpu; }
  };

  // Replaces the nodes. What is booked on a node is kept by name across
  // calls (a node that leaves and comes back keeps its bookings).
  void SetNodes(std::vector<Node> nodes);
  // What `backend` can honour; set before anything is booked there.
  void SetCapabilities(const std::string& backend, const BackendCapabilities& caps);
  const BackendCapabilities& CapabilitiesOf(const std::string& backend) const;

  const std::vector<Node>& nodes() const { return nodes_; }
  NodeIndex size() const { return static_cast<NodeIndex>(nodes_.size()); }
  const Node& node(NodeIndex i) const { return nodes_[i]; }
  const Node* FindNode(const std::string& name) const;
  NodeIndex IndexOf(std::string_view name) const;  // kNoNode if absent
  // What is booked on a node (zeros for an unknown one), for `skyrun nodes`.
  NodeUsage UsageOf(const std::string& name) const;

  MilliCpu FreeCpu(NodeIndex i) const { return free_[i].cpus_milli; }
  MemoryMiB FreeMemory(NodeIndex i) const { return free_[i].memory_mib; }
  // Booked milli-GPU of the device at position `pos` of node i (0..1000).
  MilliGpu GpuUsed(NodeIndex i, size_t pos) const { return used_[i].gpu_milli_used[pos]; }
  int IdleGpus(NodeIndex i) const { return idle_gpus_[i]; }
  // milli-GPU units the node's backend books a share in (1 or 1000).
  int64_t Granularity(NodeIndex i) const { return CapabilitiesOf(nodes_[i].backend).gpu_granularity_milli; }
  // What a share of `per_gpu` books on node i's backend.
  MilliGpu Booked(NodeIndex i, MilliGpu per_gpu) const;

  // Books or gives back what a placed task holds. Release is the exact
  // inverse of Reserve (used when an attempt ends and to undo a plan).
  void Reserve(const TaskPlacement& task);
  void Release(const TaskPlacement& task);
  // Takes back a tentative Reserve made in the same planning step: nothing
  // was really freed, so the generation does not move.
  void Unreserve(const TaskPlacement& task) { Apply(task, -1); }

  // A booked job: what it holds and when it is expected to end.
  struct Holder {
    std::vector<TaskPlacement> tasks;
    std::optional<Micros> expected_end;  // nullopt: no time limit, never ends for planning
  };
  // Records (or replaces) what `job` holds, already booked with Reserve.
  void SetExpectedEnd(JobId job, std::vector<TaskPlacement> tasks, std::optional<Micros> expected_end);
  void ForgetExpectedEnd(JobId job) { holders_.erase(job); }
  const std::unordered_map<JobId, Holder>& holders() const { return holders_; }
  // Whether `task` is booked here in full (so Unreserve cannot go below 0):
  // a holder whose bookings were released without ForgetExpectedEnd is
  // skipped by planning rather than trusted.
  bool Holds(const TaskPlacement& task) const;
  // The same nodes and capabilities with nothing booked (planning "once
  // every running job has ended").
  Fleet EmptyCopy() const;

  uint64_t generation() const { return generation_; }
  void Touch() { ++generation_; }
  // Changes whenever the nodes' static facts or the backends' capabilities
  // may have changed (what a plugin keeps per shape is then stale); with
  // instance_id() it names one set of shapes.
  uint64_t statics() const { return statics_; }

  // Tells this fleet object apart from every other, copies included.
  uint64_t instance_id() const { return instance_.value; }
  // The journal's end: pass it to ClassJournalSince later.
  uint64_t journal_end() const { return journal_base_ + journal_.size(); }
  // The classes whose members changed since `position`, oldest first
  // (repeats possible; a view valid until the fleet changes); nullopt when
  // the journal no longer reaches back that far (the classes were rebuilt):
  // then treat every class as changed.
  std::optional<std::span<const int>> ClassJournalSince(uint64_t position) const;

  const std::vector<NodeClass>& classes() const { return classes_; }
  // The fleet by the idle GPUs its nodes have (bookings are part of a class,
  // so a class never changes level): the level's classes that have members
  // (in no particular order), and its nodes by (free milli-CPU, index), so a
  // search can visit a level's nodes from the tightest on CPU that fits.
  // The same classes are also grouped by shape (`shapes`: the shapes with
  // a class here, in no particular order; `of_shape[s]`: shape s's classes
  // here by (most free milli-CPU, class)), so a search skips a shape that
  // cannot take a task once per level, and a shape's classes without a node
  // with the CPUs the task asks without visiting them.
  struct Level {
    std::vector<int> classes;
    std::set<std::pair<int64_t, NodeIndex>> nodes;
    std::vector<int> shapes;
    std::vector<FlatSet<std::pair<int64_t, int>>> of_shape;  // by shape; empty for a shape not here
    std::vector<int32_t> shape_pos;  // by shape: its position in `shapes`, -1 when absent
  };
  // Indexed by idle GPUs; a level may be empty.
  const std::vector<Level>& levels() const { return levels_; }
  int ClassOf(NodeIndex i) const { return class_of_[i]; }
  // The lowest index among class c's nodes (kNoNode when it has none); kept
  // lazily: worked out again only after that node left the class.
  NodeIndex LowestOf(int c) const;
  int ShapeOf(NodeIndex i) const { return shape_of_[i]; }
  int shape_count() const { return static_cast<int>(shape_index_.size()); }
  // A node of that shape (its backend, its static facts).
  NodeIndex ShapeExample(int shape) const { return shape_example_[shape]; }

 private:
  void Apply(const TaskPlacement& task, int sign);
  void Unclassify(NodeIndex i);
  void Classify(NodeIndex i);

  std::vector<Node> nodes_;
  std::vector<NodeUsage> used_;  // by node index; gpu_milli_used by device position
  // What each node has free, side by side (a search reads it for node after
  // node; the Node and its usage are far larger).
  struct Free {
    MilliCpu cpus_milli;
    MemoryMiB memory_mib;
  };
  std::vector<Free> free_;  // by node index
  void NoteFree(NodeIndex i) {
    free_[i] = {nodes_[i].cpus_milli - used_[i].cpus_milli, nodes_[i].memory_mib - used_[i].memory_mib};
  }
  // Classify's buffers (no allocation per booking).
  std::string class_key_;
  std::vector<int64_t> class_gpus_;
  std::vector<int> idle_gpus_;
  std::unordered_map<std::string, NodeIndex> index_;
  std::unordered_map<std::string, NodeUsage> orphans_;  // bookings on nodes not in the fleet now
  std::unordered_map<std::string, BackendCapabilities> caps_;
  std::unordered_map<JobId, Holder> holders_;

  std::vector<int> shape_of_;
  std::vector<NodeIndex> shape_example_;
  std::vector<std::vector<int64_t>> shape_models_;  // by shape, per GPU: its model's first position
  std::vector<int> class_of_;
  std::unordered_map<std::string, int> shape_index_;
  std::vector<NodeClass> classes_;
  mutable std::vector<NodeIndex> lowest_;  // by class; kNoNode when stale or empty
  std::vector<Level> levels_;
  std::vector<int32_t> live_pos_;  // by class: its position in its level's classes, -1 when empty
  // Adds a class that just got its first member to its level's lists;
  // takes one that just lost its last out of them (its most free CPU was
  // `most_cpu`); and files one whose most free CPU moved from `most_cpu`
  // under the new figure.
  void Enlist(int c);
  void Delist(int c, int64_t most_cpu);
  void Refile(int c, int64_t most_cpu);
  std::unordered_map<std::string, int> class_index_;
  uint64_t generation_ = 1;
  uint64_t statics_ = 1;

  // A fresh id on construction, copy and move alike.
  struct InstanceId {
    static uint64_t Next();
    uint64_t value = Next();
    InstanceId() = default;
    InstanceId(const InstanceId&) : value(Next()) {}
    InstanceId(InstanceId&&) noexcept : value(Next()) {}
    InstanceId& operator=(const InstanceId&) {
      value = Next();
      return *this;
    }
    InstanceId& operator=(InstanceId&&) noexcept {
      value = Next();
      return *this;
    }
  };
  InstanceId instance_;
  std::vector<int> journal_;   // classes whose members changed, oldest first
  uint64_t journal_base_ = 0;  // the position of journal_[0]
  void Note(int c);
};

}  // namespace skyrun
