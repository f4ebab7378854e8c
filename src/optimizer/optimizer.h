// The broker's optimizer: where to run a job, or each stage of a pipeline,
// and what it is expected to cost and take. Every offer that satisfies a
// stage's constraints is a candidate (candidates.h); the data a stage reads
// (inputs at their location, its parents' outputs) and writes (outputs with a
// location) is priced with the market's egress and timed with the link
// bandwidths; the exact solvers of solve.h rank whole plans.
//
// Per stage, with candidate c in location L (docs/optimizer.md has more):
//   compute  = c's price x billed hours (on demand: instances x price x H;
//              spot: spot_model.h's expected billed instance-hours)
//   egress   = Σ inputs EgressCost(input.location -> L, size)
//            + Σ parents EgressCost(parent's L -> L, parent's output size)
//            + Σ outputs with a location EgressCost(L -> it, size)
//   time     = run hours (spot: expected, with revocations) + Σ transfer
//              times (size x 8 / bandwidth of the link class)
//   budget and deadline bound the stage's own cost and time.
// The plan's objective is the stages' (they must agree): cost = Σ stage
// costs, time = the makespan; ties go to the other measure.
//
// A job whose num_nodes is a range is a candidate at each count it allows,
// its runtime scaled by its scaling_efficiency (node_scaling.h); the solver
// chooses the count with the place (Candidate::num_nodes).
//
// Not modelled yet: `ordered` / `any_of` preferences (the spec has none).
// ps-worker jobs are planned role by role by roles_plan.h.
//
// Callers: `skyrun plan` (plan_cli.h), the benchmark, the controller's broker
// (controller/broker.h).
// Thread-safety: pure (the Market's functions are called).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/job_spec.h"
#include "optimizer/candidates.h"
#include "optimizer/market.h"
#include "optimizer/params.h"
#include "optimizer/solve.h"

namespace skyrun {

struct PlanRequest {
  // One job, or a pipeline's stages (depends_on names other stages).
  std::vector<JobSpec> stages;
  // Runtime estimate per stage on demand, in hours; by stage name, else `hours`.
  double hours = 1;
  std::map<std::string, double> hours_by_stage;
  size_t max_plans = 10;
  OptimizerParams params;
};

struct StagePlan {
  std::string stage;
  Candidate candidate;
  double compute_cost = 0;
  double egress_cost = 0;  // into and out of the stage, as above
  double transfer_s = 0;
  double run_s = 0;
  double cost = 0;    // compute + egress
  double time_s = 0;  // run + transfers
};

struct Plan {
  std::vector<StagePlan> stages;  // in the request's order
  double est_cost = 0;
  double est_time_s = 0;  // makespan
  double egress_cost = 0;
  double hourly_price = 0;  // Σ stages' placements, USD per hour
};

struct StageStats {
  std::string stage;
  CandidateStats stats;
  size_t candidates = 0;  // after zones collapse
};

struct PlanResult {
  PlanObjective objective = PlanObjective::kCost;
  std::vector<Plan> plans;  // ranked, best first; empty: nothing satisfies the constraints
  std::vector<StageStats> stages;
  bool chain = true;         // solved by the chain DP (else branch and bound)
  bool node_ranges = false;  // a stage's num_nodes is a range: each plan's counts are chosen
  std::string explanation;   // why the best plan won, or why there is none
};

// Errors: a malformed request (no stages, unknown or cyclic depends_on,
// stages that disagree on the objective, a bad runtime estimate) or a stage
// the candidates refuse (requirements that do not compile, ps-worker).
Result<PlanResult> Optimize(const PlanRequest& request, const Market& market);

// "aws/us-east-1" -> {aws, us-east-1}; "local" -> {local, ""}.
Location ParseLocation(const std::string& place);

// Dollars as the explanations write them: "$1.500" under $10, "$12.34" from there.
std::string PlanMoney(double usd);

}  // namespace skyrun
