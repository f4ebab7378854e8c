// Scheduler: decides which nodes and which GPUs every task of a job gets.
// One entry point for the server and a simulator: Schedule(queue, fleet,
// now) runs one cycle over the pending queue and the fleet and returns a
// decision per job: place (the placement, already booked in the fleet), or
// wait (why, summarised per node class with counts). Nothing here touches
// files, sockets, the wall clock or the store; time comes in as `now`.
//
// A cycle: queue sort; per job, pre-filters, then per rank filters, device
// picker and scores over the node classes (plugin.h), reserving each rank
// tentatively so the next rank sees it gone; permit the whole plan or undo
// it. A gang is planned per candidate backend (the backend of the best node
// for its first rank first) and never split across backends; num_nodes
// ranks land on distinct nodes unless the spec sets tasks_per_node.
//
// Reservations (reservation.h): walking the queue in priority order, the
// first profile.reservations jobs that cannot start now get a planned start
// and the capacity they would get then is held for them; a later job starts
// now only where it touches nothing held or where it ends (now + its time
// limit) before the reservations it touches start. A job placed here is
// recorded in the fleet with its expected end (now + time limit).
//
// A one-task job asking what an earlier one that found no room asked is
// explained from what was kept for that request, brought up to date from
// the fleet's class journal (explanations.h): no search when nothing fits.
//
// A job found unschedulable is not tried again until the fleet's generation
// moves (capacity freed, nodes changed, Touch()) or what is held ahead of it
// changes; within a cycle, jobs that ask exactly the same thing as one that
// did not fit wait without planning once no reservation is left to give.
//
// Thread-safety: none; one owner (the controller under its cycle lock).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "scheduler/explanations.h"
#include "scheduler/fleet.h"
#include "scheduler/plugin.h"
#include "scheduler/profile.h"
#include "scheduler/reservation.h"
#include "scheduler/tasks.h"

namespace skyrun {

struct Decision {
  enum class Kind { kPlace, kWait };
  Kind kind = Kind::kWait;
  JobId job;
  Placement placement;         // kPlace: booked in the fleet; the caller launches or releases it
  std::string reason;          // kWait: for people
  bool evaluated = true;       // false: not tried again (nothing it depends on changed)
  std::vector<JobId> victims;  // jobs to preempt for it (empty until preemption lands)
};

struct CycleStats {
  int64_t planned = 0;     // jobs planned from scratch
  int64_t unchanged = 0;   // waiting jobs skipped: the fleet did not change for them
  int64_t equivalent = 0;  // waiting like an identical job before them this cycle
};

struct PlaceOutcome {
  std::optional<Placement> placement;  // set (and booked) when every task found room
  std::string reason;                  // why not
};

class Scheduler {
 public:
  // The default profile (today's behaviour).
  Scheduler();
  // A profile from the server config; fails with where the bad entry is.
  static Result<Scheduler> Create(const ProfileSpec& spec);
  Scheduler(Scheduler&&) = default;
  Scheduler& operator=(Scheduler&&) = default;

  // One cycle. `queue` in any order (the queue sort plugin orders it).
  std::vector<Decision> Schedule(std::vector<PendingJob> queue, Fleet& fleet, Micros now);
  const CycleStats& last_cycle() const { return stats_; }

  // Places one job now, booking on success (tests, tools).
  PlaceOutcome Place(const PendingJob& job, Fleet& fleet);

  // Whether the job could fit on an EMPTY fleet of these nodes (admission:
  // refuse at submission what can never run). OK or the reason per backend.
  Status CheckFeasible(const JobSpec& spec, const std::vector<Node>& nodes, JobMatcher* matcher,
                       const std::unordered_map<std::string, BackendCapabilities>& caps = {});

 private:
  explicit Scheduler(Profile profile) : profile_(std::move(profile)) {}

  struct Candidate {
    NodeIndex node = kNoNode;
    DeviceChoice choice;
    std::vector<std::optional<double>> raw;  // per score plugin
  };
  // BestNode's fast path for a task whose winner one score decides: node
  // classes by idle GPUs, most promising level first, stopping when no level
  // left can beat the best found. nullopt when it does not apply; a
  // candidate with node kNoNode when no node has room.
  // may_fit(class) is false for a class that cannot take the task; filters
  // before first_filter are known to pass on every class that may.
  // A level of few classes with many nodes each is judged class by class;
  // any other from its nodes tightest on CPU first, stopping at the first
  // whose free CPU cannot beat the best found (ScorePlugin::BoundAtIdle).
  // eligible(node): the node may take another rank of the job.
  // shape_may_fit(shape, idle GPUs) is false when no class of that shape
  // and level may take the task.
  template <typename ShapeMayFit, typename MayFit, typename Tightest, typename Eligible>
  std::optional<Candidate> BestByLevel(const TaskContext& ctx, Fleet& fleet, const ShapeMayFit& shape_may_fit,
                                       const MayFit& may_fit, const Tightest& tightest,
                                       const Eligible& eligible, size_t first_filter);
  // A level with more than this many nodes per class is walked by class.
  static constexpr size_t kNodesPerClassForClassWalk = 4;
  // The best node for one task among backends with allowed[backend shape]; or why none.
  std::optional<Candidate> BestNode(const TaskContext& ctx, Fleet& fleet, const std::vector<char>& shape_ok,
                                    std::string* why);
  PlaceOutcome PlanOn(const PendingJob& job, const std::vector<TaskRequest>& tasks, Fleet& fleet,
                      const std::vector<char>& shape_ok, uint64_t plan);
  // For a one-task job whose expressions (if any) read only static facts,
  // under the built-in filters: the request's key in explanations_ ("" when
  // it does not qualify); with expressions, ShapeVerdicts completes it.
  std::string ExplanationKey(const PendingJob& job, const std::vector<TaskRequest>& tasks) const;
  // The entry for `key` brought up to date: nullopt when some class may
  // take the task (search it), else why no node can.
  std::optional<std::string> Explain(const TaskContext& ctx, Fleet& fleet, const std::vector<char>& shape_ok,
                                     const std::string& key);
  // The filters' verdict (and reason) on every allowed node shape.
  std::string ShapeVerdicts(const TaskContext& ctx, const Fleet& fleet, const std::vector<char>& shape_ok);

  Profile profile_;
  CycleStats stats_;
  uint64_t next_plan_ = 1;
  // Per waiting job: the fleet generation it was found unschedulable at,
  // what was held ahead of it then (ReservationBook::digest), why, and what
  // is held for it.
  struct Waiting {
    uint64_t generation = 0;
    uint64_t ahead = 0;
    std::shared_ptr<const std::string> reason;  // never null; shared by jobs waiting alike
    std::optional<Reservation> reservation;
  };
  // Places a job now, or says why not, with `book`'s reservations held:
  // first where it touches nothing held, then, with a time limit, also on
  // what is held for reservations that start after it would end.
  PlaceOutcome PlaceNow(const PendingJob& job, Fleet& fleet, ReservationBook& book, Micros now);
  std::unordered_map<JobId, Waiting> waiting_;
  // The backends of one fleet's shapes (its instance_id() and statics()):
  // their names in the order their first shape comes, and each shape's.
  struct ShapeBackends {
    uint64_t fleet = 0;
    uint64_t statics = 0;
    std::vector<std::string> names;
    std::vector<int> of_shape;  // by shape: an index into names
  };
  ShapeBackends shape_backends_;
  const ShapeBackends& BackendsOf(const Fleet& fleet);
  // Reused buffers (no allocation per node).
  std::vector<uint16_t> ranks_on_;  // by node: ranks of the job being planned
  int max_per_node_ = 1;
  std::vector<Candidate> candidates_;
  std::vector<int8_t> shape_pass_;                   // by shape, for the task being searched
  std::vector<std::pair<double, int>> level_order_;  // BestByLevel's levels, most promising first
  std::vector<uint32_t> class_seen_;                 // by class: seen_mark_ once judged in this search
  uint32_t seen_mark_ = 0;
  std::vector<int> visit_;  // BestNode's classes to visit
  Explanations explanations_;
  // Keys of requests with expressions that found no room (their entries
  // are keyed by the shapes' verdicts too).
  std::unordered_set<std::string> failed_with_expressions_;
};

}  // namespace skyrun
