// How many nodes: a job whose num_nodes is a range (num_nodes: 2..8 with
// scaling_efficiency e; model/job_spec.h's NodeRange) is a candidate at every
// count it allows. Its runtime estimate is for the range's MIN nodes; n nodes
// take
//   runtime(n) = runtime(MIN) x S(MIN) / S(n),  S(n) = n x e^log2(n)
// (twice the nodes are 2e times as fast: e = 1 halves the time, e = 0.9 cuts
// it to 1/1.8). Each count's candidates are StageCandidates of the job at
// that count, so that its price is n nodes' (max_hourly_cost bounds the whole
// placement), its cost n x price x runtime(n), and the solver (solve.h)
// picks the count with the rest: objective cost, the cheapest count that
// meets the deadline and budget; objective time, the fastest within them.
// Ranges wider than kMaxNodeCounts counts are tried at kMaxNodeCounts counts
// spread geometrically from MIN to MAX (both ends included). A registered
// cluster (its offers are its nodes, sold by share) is a candidate above MIN
// only at counts up to its nodes that fit the job now (CandidateStats::
// too_few_nodes counts the others): more would wait there, not run.
//
// Callers: Optimize. Thread-safety: pure.
#pragma once

#include <vector>

#include "common/status.h"
#include "model/job_spec.h"
#include "optimizer/candidates.h"
#include "optimizer/market.h"
#include "optimizer/params.h"

namespace skyrun {

inline constexpr int kMaxNodeCounts = 64;

// S(n) = n x e^log2(n) = n^(1 + log2 e).
double ScalingSpeedup(int nodes, double efficiency);

// runtime(n) for a range whose runtime at range.min is `hours_at_min`.
double HoursOnNodes(const NodeRange& range, int nodes, double hours_at_min);

// The counts tried, ascending: every count of the range, or kMaxNodeCounts
// of them when it is wider.
std::vector<int> NodeCountsToTry(const NodeRange& range);

// The candidates of `stage` (whose node_range is set) at every count tried;
// each Candidate's num_nodes says its count. `stats`: the filters' counts at
// the range's MIN (the most offers pass there), with candidates over all
// counts. Errors: as StageCandidates.
Result<std::vector<Candidate>> RangeCandidates(const JobSpec& stage, double hours_at_min,
                                               const Market& market, const OptimizerParams& params,
                                               CandidateStats* stats);

}  // namespace skyrun
