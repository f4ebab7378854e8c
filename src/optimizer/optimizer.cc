#include "optimizer/optimizer.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>
#include <unordered_map>

#include "common/strings.h"
#include "optimizer/node_scaling.h"

namespace skyrun {
namespace {

std::string Hours(double seconds) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(2);
  s << seconds / 3600 << " h";
  return s.str();
}

std::string PlaceOf(const Candidate& c) {
  std::string place = c.offer->provider + "/" + c.offer->region;
  if (!c.offer->zone.empty()) place += "/" + c.offer->zone;
  return place;
}

std::string Describe(const Candidate& c) {
  std::string what = c.offer->instance_type.empty() ? c.offer->accelerator : c.offer->instance_type;
  if (c.instances > 1) what = std::to_string(c.instances) + " x " + what;
  return what + (c.spot ? " (spot)" : "") + " in " + PlaceOf(c);
}

bool SameLocation(const Location& a, const Location& b) {
  return a.provider == b.provider && a.region == b.region;
}

double TransferSeconds(const LinkBandwidth& bw, const Location& from, const Location& to, double gb) {
  if (gb <= 0) return 0;
  double gbps = SameLocation(from, to)         ? bw.same_region_gbps
                : from.provider == to.provider ? bw.same_provider_gbps
                                               : bw.cross_provider_gbps;
  return gbps > 0 ? gb * 8 / gbps : 0;
}

// Stages in an order where every parent comes before its children (file
// order where it already is). Errors name the unknown or cyclic stage.
Result<std::vector<size_t>> TopologicalOrder(const std::vector<JobSpec>& stages,
                                             const std::unordered_map<std::string, size_t>& index) {
  size_t n = stages.size();
  std::vector<int> missing(n, 0);
  std::vector<std::vector<size_t>> children(n);
  for (size_t s = 0; s < n; ++s) {
    for (const std::string& dep : stages[s].depends_on) {
      auto it = index.find(dep);
      if (it == index.end())
        return InvalidArgument("stage " + stages[s].name + " depends on " + dep +
                               ", which is not a stage here");
      if (it->second == s) return InvalidArgument("stage " + stages[s].name + " depends on itself");
      children[it->second].push_back(s);
      ++missing[s];
    }
  }
  std::vector<size_t> order;
  std::set<size_t> ready;
  for (size_t s = 0; s < n; ++s)
    if (missing[s] == 0) ready.insert(s);
  while (!ready.empty()) {
    size_t s = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(s);
    for (size_t c : children[s])
      if (--missing[c] == 0) ready.insert(c);
  }
  if (order.size() != n) return InvalidArgument("the stages' depends_on form a cycle");
  return order;
}

double OutputGb(const JobSpec& stage) {
  double gb = 0;
  for (const DataRef& d : stage.outputs) gb += d.size_gb;
  return gb;
}

std::string NoPlanReason(const PlanResult& r, const std::vector<JobSpec>& stages) {
  std::ostringstream out;
  for (size_t i = 0; i < r.stages.size(); ++i) {
    const CandidateStats& st = r.stages[i].stats;
    if (r.stages[i].candidates > 0) continue;
    out << "stage " << r.stages[i].stage << ": none of " << st.offers << " offers fits: " << st.resources
        << " lack the resources";
    if (st.infra) out << ", " << st.infra << " are outside resources.infra";
    if (st.requirements) out << ", " << st.requirements << " fail resources.requirements";
    if (st.max_hourly_cost)
      out << ", " << st.max_hourly_cost << " cost more than max_hourly_cost "
          << PlanMoney(*stages[i].resources.max_hourly_cost) << "/h";
    if (st.spot_unfinishable)
      out << ", " << st.spot_unfinishable << " on spot would be revoked faster than it progresses";
    out << ". ";
  }
  std::string text = out.str();
  if (text.empty())
    text =
        "every combination of candidates breaks a stage's budget or deadline (each bounds the stage's own "
        "cost "
        "and time, egress and transfers included). ";
  return "No plan. " + text + "Relax the constraint that removes the most.";
}

std::string Explain(const PlanResult& r) {
  const Plan& best = r.plans[0];
  bool cost = r.objective == PlanObjective::kCost;
  std::ostringstream out;
  out << "Best plan (objective " << (cost ? "cost" : "time") << "): ";
  for (size_t i = 0; i < best.stages.size(); ++i) {
    if (i) out << "; ";
    if (best.stages.size() > 1) out << best.stages[i].stage << " on ";
    out << Describe(best.stages[i].candidate);
  }
  out << ", est. " << PlanMoney(best.est_cost) << " (compute " << PlanMoney(best.est_cost - best.egress_cost)
      << " + egress " << PlanMoney(best.egress_cost) << ") over " << Hours(best.est_time_s) << ".";
  // Plans that tie with the best (another region at the same price) are
  // counted; the first plan that is worse is what the best beat.
  auto ties = [&](const Plan& p) {
    return std::fabs(p.est_cost - best.est_cost) < 1e-9 * std::max(1.0, best.est_cost) &&
           std::fabs(p.est_time_s - best.est_time_s) < 1e-9 * std::max(1.0, best.est_time_s);
  };
  size_t tied = 0;
  while (tied + 1 < r.plans.size() && ties(r.plans[tied + 1])) ++tied;
  if (tied > 0)
    out << " " << tied << " other plan(s) shown tie with it (the same prices elsewhere)"
        << (tied + 1 == r.plans.size() ? "." : ";");
  if (tied + 1 < r.plans.size()) {
    const Plan& alt = r.plans[tied + 1];
    out << (tied > 0 ? " next best: " : " Next best: ");
    for (size_t j = 0; j < alt.stages.size(); ++j) {
      if (j) out << "; ";
      out << Describe(alt.stages[j].candidate);
    }
    if (cost) {
      out << ", est. " << PlanMoney(alt.est_cost) << " (compute " << PlanMoney(alt.est_cost - alt.egress_cost)
          << " + egress " << PlanMoney(alt.egress_cost) << "): " << PlanMoney(alt.est_cost - best.est_cost)
          << " more.";
    } else {
      out << ", " << Hours(alt.est_time_s) << ": " << Hours(alt.est_time_s - best.est_time_s) << " longer.";
    }
  }
  size_t candidates = 0;
  for (const StageStats& s : r.stages) candidates += s.candidates;
  out << " " << candidates << " candidate placement(s) satisfied the constraints"
      << (r.stages.size() > 1 ? (r.chain ? "; solved exactly by dynamic programming over the chain."
                                         : "; solved exactly by branch and bound over the DAG.")
                              : ".");
  return out.str();
}

// " Nodes: 4 of its range 2..8 (scaling efficiency 0.9)." for each ranged stage.
// With how many larger counts a registered cluster could not give for lack of
// free nodes.
std::string ChosenCounts(const PlanResult& result, const std::vector<JobSpec>& stages) {
  std::ostringstream out;
  const Plan& best = result.plans.front();
  for (size_t i = 0; i < stages.size() && i < best.stages.size(); ++i) {
    const NodeRange& r = stages[i].node_range;
    if (!r.present()) continue;
    out << " " << (stages.size() > 1 ? "Stage " + stages[i].name + " runs" : std::string("It runs")) << " on "
        << best.stages[i].candidate.num_nodes << " node(s) of its range " << r.min << ".." << r.max
        << " (scaling efficiency " << r.scaling_efficiency << ").";
    const int too_few = i < result.stages.size() ? result.stages[i].stats.too_few_nodes : 0;
    if (too_few > 0)
      out << " " << too_few << " candidate(s) at larger counts were left out: their registered cluster has "
          << "fewer free nodes.";
  }
  return out.str();
}

}  // namespace

std::string PlanMoney(double usd) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(usd < 10 ? 3 : 2);
  s << "$" << usd;
  return s.str();
}

Location ParseLocation(const std::string& place) {
  size_t slash = place.find('/');
  if (slash == std::string::npos) return Location{place, ""};
  return Location{place.substr(0, slash), place.substr(slash + 1)};
}

Result<PlanResult> Optimize(const PlanRequest& request, const Market& market) {
  const std::vector<JobSpec>& stages = request.stages;
  size_t n = stages.size();
  if (n == 0) return InvalidArgument("nothing to plan: no job given");
  if (!market.offers) return InvalidArgument("nothing to plan with: the market has no offers");
  PlanResult result;
  result.objective = stages[0].objective == "time" ? PlanObjective::kTime : PlanObjective::kCost;
  std::unordered_map<std::string, size_t> index;
  for (size_t s = 0; s < n; ++s) {
    if (!index.emplace(stages[s].name, s).second)
      return InvalidArgument("two stages are named " + stages[s].name + "; give each its own name");
    if (stages[s].objective != stages[0].objective)
      return InvalidArgument("stage " + stages[s].name + " asks for objective " + stages[s].objective +
                             " but stage " + stages[0].name + " for " + stages[0].objective +
                             "; a pipeline is planned for one objective");
  }
  SKYRUN_ASSIGN_OR_RETURN(std::vector<size_t> order, TopologicalOrder(stages, index));
  std::vector<size_t> position(n);  // request index -> solve index
  for (size_t i = 0; i < n; ++i) position[order[i]] = i;

  // Candidates, and the locations they sit in.
  std::vector<std::vector<Candidate>> candidates(n);
  std::vector<Location> locations;
  std::unordered_map<std::string, int> location_index;
  auto location_of = [&](const Offer& o) {
    std::string key = o.provider + "/" + o.region;
    auto [it, inserted] = location_index.emplace(key, static_cast<int>(locations.size()));
    if (inserted) locations.push_back(Location{o.provider, o.region});
    return it->second;
  };
  std::vector<std::vector<int>> candidate_location(n);
  result.stages.resize(n);
  for (size_t s = 0; s < n; ++s) {
    auto h = request.hours_by_stage.find(stages[s].name);
    double hours = h == request.hours_by_stage.end() ? request.hours : h->second;
    if (!(hours > 0) || !std::isfinite(hours) || hours > 1e5)
      return InvalidArgument("stage " + stages[s].name +
                             ": the runtime estimate must be between 0 and 100000 hours");
    result.stages[s].stage = stages[s].name;
    result.node_ranges = result.node_ranges || stages[s].node_range.present();
    // A range of nodes: candidates at every count (node_scaling.h).
    SKYRUN_ASSIGN_OR_RETURN(
        candidates[s],
        stages[s].node_range.present()
            ? RangeCandidates(stages[s], hours, market, request.params, &result.stages[s].stats)
            : StageCandidates(stages[s], hours, market, request.params, &result.stages[s].stats));
    result.stages[s].candidates = candidates[s].size();
    for (const Candidate& c : candidates[s]) candidate_location[s].push_back(location_of(*c.offer));
  }
  int n_loc = static_cast<int>(locations.size());

  // The fixed data movement of each stage, per location it may run in.
  auto fixed_data = [&](size_t s, int loc, double* cost, double* time_s) {
    *cost = 0;
    *time_s = 0;
    for (const DataRef& in : stages[s].inputs) {
      if (in.location.empty() || in.size_gb <= 0) continue;
      Location from = ParseLocation(in.location);
      if (market.egress_cost) *cost += market.egress_cost(from, locations[loc], in.size_gb);
      *time_s += TransferSeconds(request.params.bandwidth, from, locations[loc], in.size_gb);
    }
    for (const DataRef& out : stages[s].outputs) {
      if (out.location.empty() || out.size_gb <= 0) continue;
      Location to = ParseLocation(out.location);
      if (market.egress_cost) *cost += market.egress_cost(locations[loc], to, out.size_gb);
      *time_s += TransferSeconds(request.params.bandwidth, locations[loc], to, out.size_gb);
    }
  };

  SolveProblem problem;
  problem.num_locations = n_loc;
  problem.objective = result.objective;
  problem.stages.resize(n);
  std::vector<std::vector<double>> fixed_cost(n, std::vector<double>(n_loc, -1));
  std::vector<std::vector<double>> fixed_time(n, std::vector<double>(n_loc, 0));
  for (size_t s = 0; s < n; ++s) {
    SolveStage& st = problem.stages[position[s]];
    st.budget = stages[s].budget_usd;
    if (stages[s].deadline_seconds) st.deadline_s = static_cast<double>(*stages[s].deadline_seconds);
    for (size_t c = 0; c < candidates[s].size(); ++c) {
      int loc = candidate_location[s][c];
      if (fixed_cost[s][loc] < 0) fixed_data(s, loc, &fixed_cost[s][loc], &fixed_time[s][loc]);
      const Candidate& cand = candidates[s][c];
      st.options.push_back(SolveOption{loc, cand.compute_cost + fixed_cost[s][loc],
                                       cand.run_hours * 3600 + fixed_time[s][loc]});
    }
  }
  // Edges: a parent's outputs flow to each of its children.
  for (size_t s = 0; s < n; ++s) {
    for (const std::string& dep : stages[s].depends_on) {
      size_t parent = index.at(dep);
      SolveEdge e;
      e.from = static_cast<int>(position[parent]);
      e.to = static_cast<int>(position[s]);
      double gb = OutputGb(stages[parent]);
      if (gb > 0) {
        e.cost.assign(static_cast<size_t>(n_loc) * n_loc, 0);
        e.time_s.assign(static_cast<size_t>(n_loc) * n_loc, 0);
        std::set<int> from_locs(candidate_location[parent].begin(), candidate_location[parent].end());
        std::set<int> to_locs(candidate_location[s].begin(), candidate_location[s].end());
        for (int f : from_locs)
          for (int t : to_locs) {
            size_t at = static_cast<size_t>(f) * n_loc + t;
            if (market.egress_cost) e.cost[at] = market.egress_cost(locations[f], locations[t], gb);
            e.time_s[at] = TransferSeconds(request.params.bandwidth, locations[f], locations[t], gb);
          }
      }
      problem.edges.push_back(std::move(e));
    }
  }
  std::sort(problem.edges.begin(), problem.edges.end(), [](const SolveEdge& a, const SolveEdge& b) {
    return std::tie(a.to, a.from) < std::tie(b.to, b.from);
  });

  result.chain = IsChain(problem);
  std::vector<Solution> solutions =
      result.chain ? SolveChain(problem, request.max_plans) : SolveDag(problem, request.max_plans);

  // Plans, each stage with its share of the egress and transfers.
  for (const Solution& sol : solutions) {
    Plan plan;
    plan.est_cost = sol.cost;
    plan.est_time_s = sol.time_s;
    for (size_t s = 0; s < n; ++s) {
      int choice = sol.choice[position[s]];
      const Candidate& cand = candidates[s][choice];
      int loc = candidate_location[s][choice];
      StagePlan sp;
      sp.stage = stages[s].name;
      sp.candidate = cand;
      sp.compute_cost = cand.compute_cost;
      sp.run_s = cand.run_hours * 3600;
      sp.egress_cost = fixed_cost[s][loc];
      sp.transfer_s = fixed_time[s][loc];
      for (const SolveEdge& e : problem.edges) {
        if (static_cast<size_t>(e.to) != position[s] || e.cost.empty()) continue;
        int from = problem.stages[e.from].options[sol.choice[e.from]].location;
        size_t at = static_cast<size_t>(from) * n_loc + loc;
        sp.egress_cost += e.cost[at];
        sp.transfer_s += e.time_s[at];
      }
      sp.cost = sp.compute_cost + sp.egress_cost;
      sp.time_s = sp.run_s + sp.transfer_s;
      plan.egress_cost += sp.egress_cost;
      plan.hourly_price += cand.hourly_price;
      plan.stages.push_back(std::move(sp));
    }
    result.plans.push_back(std::move(plan));
  }
  result.explanation = result.plans.empty() ? NoPlanReason(result, stages) : Explain(result);
  if (!result.plans.empty()) result.explanation += ChosenCounts(result, stages);
  return result;
}

}  // namespace skyrun
