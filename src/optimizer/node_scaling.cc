#include "optimizer/node_scaling.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace skyrun {

double ScalingSpeedup(int nodes, double efficiency) {
  const double n = std::max(1, nodes);
  const double e = efficiency > 0 && efficiency <= 1 ? efficiency : 1.0;
  return n * std::pow(e, std::log2(n));
}

double HoursOnNodes(const NodeRange& range, int nodes, double hours_at_min) {
  const int min = std::max(1, range.min);
  return hours_at_min * ScalingSpeedup(min, range.scaling_efficiency) /
         ScalingSpeedup(nodes, range.scaling_efficiency);
}

std::vector<int> NodeCountsToTry(const NodeRange& range) {
  const int lo = std::max(1, range.min);
  const int hi = std::max(lo, range.max);
  std::vector<int> out;
  if (hi - lo + 1 <= kMaxNodeCounts) {
    for (int n = lo; n <= hi; ++n) out.push_back(n);
    return out;
  }
  std::set<int> counts = {lo, hi};
  const double ratio = static_cast<double>(hi) / lo;
  for (int i = 1; i + 1 < kMaxNodeCounts; ++i)
    counts.insert(
        std::clamp(static_cast<int>(std::lround(lo * std::pow(ratio, i / (kMaxNodeCounts - 1.0)))), lo, hi));
  return {counts.begin(), counts.end()};
}

Result<std::vector<Candidate>> RangeCandidates(const JobSpec& stage, double hours_at_min,
                                               const Market& market, const OptimizerParams& params,
                                               CandidateStats* stats) {
  std::vector<Candidate> out;
  CandidateStats total;
  bool first = true;
  for (int n : NodeCountsToTry(stage.node_range)) {
    JobSpec at = stage;
    at.num_nodes = n;
    CandidateStats st;
    SKYRUN_ASSIGN_OR_RETURN(
        std::vector<Candidate> got,
        StageCandidates(at, HoursOnNodes(stage.node_range, n, hours_at_min), market, params, &st));
    if (first) {
      total = st;
      total.candidates = 0;
      first = false;
    }
    total.candidates += st.candidates;
    out.insert(out.end(), std::make_move_iterator(got.begin()), std::make_move_iterator(got.end()));
  }
  if (stats) *stats = total;
  return out;
}

}  // namespace skyrun
