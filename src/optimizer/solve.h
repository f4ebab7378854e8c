// The placement problem behind Optimize, free of offers and specs: stages
// (a DAG, in topological order) each with options (a location, a fixed cost
// and a fixed time), and edges whose cost and time depend only on the two
// locations (egress and transfer between the stages' places). A solution
// picks one option per stage.
//
//   stage cost  = option cost + Σ inbound edge costs        (<= the stage's budget)
//   stage time  = option time + Σ inbound edge times        (<= the stage's deadline)
//   finish(s)   = max over parents finish(p) + stage time(s)
//   plan cost   = Σ stage costs;  plan time = max finish (the makespan)
//
// Plans are ordered by the objective, then by the other measure (cost
// objective: (cost, time); time objective: (time, cost)).
//
// Exact solvers for the K best plans:
// - SolveChain: a chain (stage i's only parent is i-1): dynamic programming
//   over stages x options, keeping the K best partial plans per option. Edge
//   values depend on locations only, so each stage merges the K best plans
//   per previous location once: O(stages x (locations² + options) x K).
// - SolveDag: any DAG: depth-first branch and bound in topological order,
//   options cheapest first, pruned by a lower bound (the plan so far, plus
//   each unplaced stage's cheapest option, edges >= 0; for time, the longest
//   path with unplaced stages at their fastest) against the K-th best plan
//   found. Chosen over an integer program (CBC) because the makespan and the
//   per-stage budget/deadline are not linear in the choice, pipelines have a
//   handful of stages, and it needs no new dependency.
// Both first drop, per stage and location, the options that K others of the
// same location match or beat on both cost and time (edges depend on the
// location only, so those K make plans at least as good): about K options
// per location remain, whatever the catalog's size.
// Solve picks SolveChain for chains and SolveDag otherwise.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace skyrun {

enum class PlanObjective { kCost, kTime };

struct SolveOption {
  int location = 0;  // 0..num_locations-1
  double cost = 0;
  double time_s = 0;
};

struct SolveStage {
  std::vector<SolveOption> options;
  std::optional<double> budget;
  std::optional<double> deadline_s;
};

struct SolveEdge {
  int from = 0;  // stage index, from < to
  int to = 0;
  // [from_location * num_locations + to_location]; empty = zero everywhere.
  std::vector<double> cost;
  std::vector<double> time_s;
};

struct SolveProblem {
  int num_locations = 0;
  std::vector<SolveStage> stages;
  std::vector<SolveEdge> edges;
  PlanObjective objective = PlanObjective::kCost;
};

struct Solution {
  std::vector<int> choice;  // option index per stage
  double cost = 0;
  double time_s = 0;
};

// The plan's cost and time, or nullopt when a stage's budget or deadline is
// broken. `choice` must hold a valid option index per stage.
std::optional<Solution> Evaluate(const SolveProblem& problem, const std::vector<int>& choice);

// a before b in the ranking.
bool Better(const Solution& a, const Solution& b, PlanObjective objective);

bool IsChain(const SolveProblem& problem);
std::vector<Solution> SolveChain(const SolveProblem& problem, size_t k);
std::vector<Solution> SolveDag(const SolveProblem& problem, size_t k);
std::vector<Solution> Solve(const SolveProblem& problem, size_t k);

}  // namespace skyrun
