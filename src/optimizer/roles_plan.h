// Roles plan (Proteus): where each role of a ps-worker job runs. Parameter
// servers hold the model's state, so a revocation would lose it: a stateful
// role (Role::stateful; a role named `ps` is one unless it says otherwise)
// runs on on-demand capacity, always. The other roles (workers) run on spot
// when their resources accept spot (`use_spot`, the job's or the role's own),
// and on demand otherwise — as for a single job, both kinds are candidates
// and the cheaper expectation wins.
//
// Every role of a plan is in one region (provider/region; any of its zones):
// parameter servers and workers exchange the model every step, and that
// traffic across regions would be billed as egress and slowed by the link,
// which the plan does not price per step. A region that cannot hold every
// role is no plan.
//
// Per region, with W the runtime estimate on demand:
//   each worker role w: its candidates (candidates.h: role.count instances,
//     spot_model.h's expected wall hours E_w and billed instance-hours);
//   wall = max(W, E_w over the worker roles chosen): the job runs until its
//     slowest worker role is done (a revocation restarts the job from its
//     checkpoint, so the servers wait through it);
//   each stateful role: the cheapest on-demand candidate of the region,
//     billed hourly_price x wall;
//   est_cost = Σ roles' compute + the inputs' egress into the region;
//   hourly_price = Σ roles' hourly prices, at most the job's max_hourly_cost.
// Worker roles' candidates are enumerated exactly (their product, each role
// cut to its kMaxWorkerOptions best when the product would be large); plans
// rank by the job's objective (cost, or time), the other measure breaking ties.
// budget and deadline bound the plan's cost and time.
//
// Callers: the controller's broker (controller/broker.h), `skyrun plan`.
// Thread-safety: pure (the Market's functions are called).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "model/job_spec.h"
#include "optimizer/candidates.h"
#include "optimizer/market.h"
#include "optimizer/params.h"

namespace skyrun {

inline constexpr size_t kMaxWorkerOptions = 16;

struct RolePlacement {
  std::string role;
  bool stateful = false;
  Candidate candidate;  // its offer points into the market's offers
  double compute_cost = 0;
};

struct RolesPlan {
  std::vector<RolePlacement> roles;  // in the spec's order
  std::string provider;
  std::string region;
  double hourly_price = 0;  // Σ roles, USD per hour
  double compute_cost = 0;
  double egress_cost = 0;  // the inputs into the region
  double est_cost = 0;     // compute + egress
  double est_time_s = 0;   // wall (above) + the inputs' transfer
};

struct RolesPlanResult {
  std::vector<RolesPlan> plans;  // ranked, best first; empty: none (explanation says why)
  std::string explanation;
};

// Whether the role runs on spot when its candidate is spot: it accepts spot
// and holds no state.
bool RoleMayUseSpot(const Role& role);

// The role as a gang the candidates understand: role.count tasks, one per
// instance, with the role's resources (spot only when RoleMayUseSpot).
JobSpec RoleStage(const JobSpec& job, const Role& role);

// Errors: not a ps-worker job, a bad runtime estimate, requirements that do
// not compile.
Result<RolesPlanResult> PlanRoles(const JobSpec& job, double work_hours, const Market& market,
                                  const OptimizerParams& params, size_t max_plans);

}  // namespace skyrun
