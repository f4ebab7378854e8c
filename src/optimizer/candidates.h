// Candidates: every way to run one stage (a JobSpec) that satisfies its
// constraints — each offer of the market (every instance type in every zone)
// on demand, and on spot when the job accepts spot and the offer has a spot
// price — with the stage's compute cost and run time there.
//
// Filters, in order (each counted in CandidateStats for "why"): resources
// (the accelerator model and count, CPUs and memory per instance, with
// tasks_per_node tasks on each of num_nodes instances; a job without GPUs
// only takes CPU offers), infra (the allow-list: "aws", "aws/us-east-1",
// "gcp/us-central1/us-central1-a"), requirements (the expression language
// over the offer's ad, offer_ad.h), max_hourly_cost (for the whole
// placement) and, for spot, a revocation rate the job can finish under.
// Zones of one region that offer the same instance at the same prices
// collapse into one candidate that lists them.
//
// Callers: Optimize. Thread-safety: pure (Market's functions are called).
#pragma once

#include <string>
#include <vector>

#include "catalog/offer.h"
#include "common/status.h"
#include "model/job_spec.h"
#include "optimizer/market.h"
#include "optimizer/params.h"

namespace skyrun {

struct Candidate {
  const Offer* offer = nullptr;
  std::vector<std::string> zones;  // offer->zone first, then the equal-priced others of its region
  bool spot = false;
  int instances = 1;
  int num_nodes = 1;        // the job's nodes (ranks) here: its count, or the one chosen of its range
  double hourly_price = 0;  // USD per hour for the whole placement, at the price paid
  double run_hours = 0;     // expected wall-clock hours (spot: with revocations and restarts)
  double compute_cost = 0;  // USD: price x billed instance-hours
  double revocations = 0;   // expected (spot)
};

struct CandidateStats {
  int offers = 0;  // offers looked at
  int resources = 0;
  int infra = 0;
  int requirements = 0;
  int max_hourly_cost = 0;
  int spot_unfinishable = 0;
  int too_few_nodes = 0;  // a registered cluster at a node count above its free nodes (node_scaling.h)
  int candidates = 0;     // before zones collapse
};

// `work_hours`: the stage's runtime estimate on demand. Errors: the
// requirements do not compile, or the job's mode is not planned (ps-worker).
Result<std::vector<Candidate>> StageCandidates(const JobSpec& stage, double work_hours, const Market& market,
                                               const OptimizerParams& params, CandidateStats* stats);

// Whether `infra` (empty = everywhere) allows the place.
bool InfraAllowsPlace(const std::vector<std::string>& infra, const std::string& provider,
                      const std::string& region, const std::string& zone);

// Instances the stage needs (num_nodes; tasks_per_node tasks share each).
int InstancesFor(const JobSpec& stage);

}  // namespace skyrun
