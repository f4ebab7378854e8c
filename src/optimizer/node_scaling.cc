#include "optimizer/node_scaling.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

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
  // A registered cluster's offers are its nodes (zone = node name, sold by
  // share): how many fit a node's share of the job at MIN is how many it can
  // give now. A larger count would wait there for nodes rather than run, so
  // it is not a candidate; MIN stays one (the job may wait for it there).
  std::map<std::pair<std::string, std::string>, std::set<std::string>> fitting_nodes;
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
      for (const Candidate& c : got) {
        if (!c.offer->by_share) continue;
        auto& nodes = fitting_nodes[{c.offer->provider, c.offer->region}];
        nodes.insert(c.zones.begin(), c.zones.end());
      }
    } else {
      std::erase_if(got, [&](const Candidate& c) {
        if (!c.offer->by_share) return false;
        auto it = fitting_nodes.find({c.offer->provider, c.offer->region});
        const size_t free = it == fitting_nodes.end() ? 0 : it->second.size();
        if (static_cast<size_t>(c.instances) <= free) return false;
        ++total.too_few_nodes;
        st.candidates -= static_cast<int>(c.zones.size());  // each zone was one before the collapse
        return true;
      });
    }
    total.candidates += st.candidates;
    out.insert(out.end(), std::make_move_iterator(got.begin()), std::make_move_iterator(got.end()));
  }
  if (stats) *stats = total;
  return out;
}

}  // namespace skyrun
