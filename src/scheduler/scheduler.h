// Scheduler: decides which nodes and which GPUs every task of a job gets, over
// a snapshot of the fleet, all-or-nothing. The controller calls Place() for
// the head of its queue each cycle; the simulator will call the same code.
//
// The cycle follows the Kubernetes scheduling framework in miniature: filter
// (can this node hold this task at all, and now?), score (best fit: the node
// left with the least free GPU, then CPU), reserve (tentatively take the
// resources so the next task of a gang sees them gone), and permit (a gang is
// placed only if every task found room; otherwise every reservation is
// undone). "Does not fit" is an outcome with a reason, never an error.
//
// Thread-safety: a Scheduler is stateless between calls; a ClusterSnapshot
// is not thread-safe (the controller owns it).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/job_spec.h"
#include "model/node.h"
#include "model/placement.h"

namespace skyrun {

// The fleet as the scheduler sees it: nodes and what is in use on each.
class ClusterSnapshot {
 public:
  void SetNodes(std::vector<Node> nodes);
  const std::vector<Node>& nodes() const { return nodes_; }
  const Node* FindNode(const std::string& name) const;
  NodeUsage& UsageOf(const std::string& node);
  const NodeUsage& UsageOf(const std::string& node) const;

  // Takes or gives back what a placed task holds. Release is the exact
  // inverse of Reserve (used when an attempt ends and to undo a gang).
  void Reserve(const TaskPlacement& task);
  void Release(const TaskPlacement& task);

 private:
  std::vector<Node> nodes_;
  std::map<std::string, NodeUsage> usage_;
};

struct TaskRequest;

// What the controller's matching (the expression language: the job's
// requirements and rank, the node's policy) says about one node for one task.
struct NodeVerdict {
  std::string reject;      // "" = acceptable; else why not, for people
  double rank = 0;         // the job's rank on this node: higher is preferred
  bool rank_defined = false;
};

// Optional filter and score the controller plugs in. Among the nodes where a
// task fits, a higher defined rank wins over any packing preference; nodes
// with an undefined rank come after those with one; ties go to best fit.
using NodePredicate = std::function<NodeVerdict(const Node&, const TaskRequest&)>;

struct PlaceOutcome {
  std::optional<Placement> placement;  // set when every task found room
  std::string reason;                  // why not, for people ("needs 4 GPU A100; best node local-0 has 2 free")
  bool never_fits = false;             // not even on an empty fleet: the job can never run here
};

struct SchedulerOptions {
  // Backends whose nodes this job may use ("local", "slurm/hpc1"); empty = all.
  std::vector<std::string> allowed_backends;
};

class Scheduler {
 public:
  // Places every task of `spec` on `snapshot`, reserving on success.
  PlaceOutcome Place(const JobSpec& spec, ClusterSnapshot& snapshot, const NodePredicate& predicate = {}) const;

  // Whether the job could fit on an EMPTY fleet of these nodes (admission:
  // refuse at submission what can never run). Returns OK or the reason.
  Status CheckFeasible(const JobSpec& spec, const std::vector<Node>& nodes,
                       const NodePredicate& predicate = {}) const;
};

// The per-task request of a job (one entry per rank; roles expand).
struct TaskRequest {
  int rank = 0;
  std::string role;
  ResourceRequest resources;
};
std::vector<TaskRequest> ExpandTasks(const JobSpec& spec);

// Whether `infra` (spec.resources.infra) allows a node of this backend.
bool InfraAllows(const std::vector<std::string>& infra, const std::string& backend);

}  // namespace skyrun
