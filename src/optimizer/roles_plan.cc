#include "optimizer/roles_plan.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <utility>

#include "optimizer/optimizer.h"

namespace skyrun {
namespace {

std::string Describe(const RolePlacement& r) {
  const Candidate& c = r.candidate;
  std::string what = c.offer->instance_type.empty() ? c.offer->accelerator : c.offer->instance_type;
  std::string place = c.offer->provider + "/" + c.offer->region;
  if (!c.offer->zone.empty()) place += "/" + c.offer->zone;
  return r.role + " on " + std::to_string(c.instances) + " x " + what +
         (c.spot ? " (spot)" : " (on demand)") + " in " + place;
}

double TransferSeconds(const LinkBandwidth& bw, const Location& from, const Location& to, double gb) {
  if (gb <= 0) return 0;
  const bool same_region = from.provider == to.provider && from.region == to.region;
  const double gbps = same_region                    ? bw.same_region_gbps
                      : from.provider == to.provider ? bw.same_provider_gbps
                                                     : bw.cross_provider_gbps;
  return gbps > 0 ? gb * 8 / gbps : 0;
}

// One role's candidates, by region ("provider/region").
using ByRegion = std::map<std::string, std::vector<Candidate>>;

}  // namespace

bool RoleMayUseSpot(const Role& role) {
  return role.resources.use_spot && !role.stateful;
}

JobSpec RoleStage(const JobSpec& job, const Role& role) {
  JobSpec stage;
  stage.name = job.name + "." + role.name;
  stage.mode = role.count > 1 ? JobMode::kGang : JobMode::kSingle;
  stage.num_nodes = role.count;
  stage.tasks_per_node = 1;
  stage.resources = role.resources;
  stage.resources.use_spot = RoleMayUseSpot(role);
  stage.checkpoint_dir = job.checkpoint_dir;
  stage.objective = job.objective;
  return stage;
}

Result<RolesPlanResult> PlanRoles(const JobSpec& job, double work_hours, const Market& market,
                                  const OptimizerParams& params, size_t max_plans) {
  if (job.mode != JobMode::kPsWorker || job.roles.empty())
    return InvalidArgument("job " + job.name + ": only a ps-worker job with roles is planned by role");
  if (!(work_hours > 0) || !std::isfinite(work_hours) || work_hours > 1e5)
    return InvalidArgument("job " + job.name + ": the runtime estimate must be between 0 and 100000 hours");
  if (!market.offers) return InvalidArgument("nothing to plan with: the market has no offers");
  RolesPlanResult result;
  const size_t n = job.roles.size();
  std::vector<ByRegion> by_region(n);
  std::vector<CandidateStats> stats(n);
  std::ostringstream none;
  for (size_t r = 0; r < n; ++r) {
    const Role& role = job.roles[r];
    SKYRUN_ASSIGN_OR_RETURN(std::vector<Candidate> cands,
                            StageCandidates(RoleStage(job, role), work_hours, market, params, &stats[r]));
    for (Candidate& c : cands)
      by_region[r][c.offer->provider + "/" + c.offer->region].push_back(std::move(c));
    if (by_region[r].empty()) {
      const CandidateStats& st = stats[r];
      none << "role " << role.name << ": none of " << st.offers << " offers fits (" << st.resources
           << " lack the resources";
      if (st.infra) none << ", " << st.infra << " are outside resources.infra";
      if (st.requirements) none << ", " << st.requirements << " fail resources.requirements";
      if (st.max_hourly_cost) none << ", " << st.max_hourly_cost << " cost more than max_hourly_cost";
      if (st.spot_unfinishable) none << ", " << st.spot_unfinishable << " on spot would never finish";
      none << "). ";
    }
  }
  if (!none.str().empty()) {
    result.explanation = "No plan. " + none.str();
    return result;
  }
  const bool by_time = job.objective == "time";
  auto better = [by_time](const RolesPlan& a, const RolesPlan& b) {
    if (by_time && a.est_time_s != b.est_time_s) return a.est_time_s < b.est_time_s;
    if (a.est_cost != b.est_cost) return a.est_cost < b.est_cost;
    return a.est_time_s < b.est_time_s;
  };
  std::vector<RolesPlan> plans;
  int regions_all_roles = 0;
  int over_cap = 0;
  int over_budget = 0;
  int over_deadline = 0;
  for (const auto& entry : by_region[0]) {
    const std::string& key = entry.first;
    // Every role must have a candidate here.
    std::vector<const std::vector<Candidate>*> here(n);
    bool all = true;
    for (size_t r = 0; r < n && all; ++r) {
      auto it = by_region[r].find(key);
      all = it != by_region[r].end();
      if (all) here[r] = &it->second;
    }
    if (!all) continue;
    ++regions_all_roles;
    const Offer& any = *entry.second.front().offer;
    const Location loc{any.provider, any.region};
    double egress = 0;
    double transfer_s = 0;
    for (const DataRef& in : job.inputs) {
      if (in.location.empty() || in.size_gb <= 0) continue;
      const Location from = ParseLocation(in.location);
      if (market.egress_cost) egress += market.egress_cost(from, loc, in.size_gb);
      transfer_s += TransferSeconds(params.bandwidth, from, loc, in.size_gb);
    }
    // Stateful roles: the cheapest hourly price here (it is billed for the
    // wall time, whichever workers are chosen). Worker roles: each one's
    // options, best by its own cost (or time), cut when the product is large.
    std::vector<std::vector<const Candidate*>> options(n);
    size_t product = 1;
    for (size_t r = 0; r < n; ++r) {
      std::vector<const Candidate*>& o = options[r];
      for (const Candidate& c : *here[r]) o.push_back(&c);
      if (job.roles[r].stateful) {
        auto cheapest = std::min_element(o.begin(), o.end(), [](const Candidate* a, const Candidate* b) {
          return a->hourly_price < b->hourly_price;
        });
        o = {*cheapest};
        continue;
      }
      std::stable_sort(o.begin(), o.end(), [by_time](const Candidate* a, const Candidate* b) {
        if (by_time && a->run_hours != b->run_hours) return a->run_hours < b->run_hours;
        return a->compute_cost < b->compute_cost;
      });
      product *= o.size();
    }
    if (product > 4096)
      for (size_t r = 0; r < n; ++r)
        if (options[r].size() > kMaxWorkerOptions) options[r].resize(kMaxWorkerOptions);
    // Every combination of the worker roles' options.
    std::vector<size_t> pick(n, 0);
    std::vector<RolesPlan> region_plans;
    while (true) {
      double wall_hours = work_hours;
      for (size_t r = 0; r < n; ++r)
        if (!job.roles[r].stateful) wall_hours = std::max(wall_hours, options[r][pick[r]]->run_hours);
      RolesPlan p;
      p.provider = loc.provider;
      p.region = loc.region;
      for (size_t r = 0; r < n; ++r) {
        RolePlacement rp;
        rp.role = job.roles[r].name;
        rp.stateful = job.roles[r].stateful;
        rp.candidate = *options[r][pick[r]];
        rp.compute_cost =
            rp.stateful ? rp.candidate.hourly_price * wall_hours : options[r][pick[r]]->compute_cost;
        p.hourly_price += rp.candidate.hourly_price;
        p.compute_cost += rp.compute_cost;
        p.roles.push_back(std::move(rp));
      }
      p.egress_cost = egress;
      p.est_cost = p.compute_cost + egress;
      p.est_time_s = wall_hours * 3600 + transfer_s;
      if (job.resources.max_hourly_cost && p.hourly_price > *job.resources.max_hourly_cost) {
        ++over_cap;
      } else if (job.budget_usd && p.est_cost > *job.budget_usd) {
        ++over_budget;
      } else if (job.deadline_seconds && p.est_time_s > static_cast<double>(*job.deadline_seconds)) {
        ++over_deadline;
      } else {
        region_plans.push_back(std::move(p));
      }
      size_t r = 0;
      while (r < n && ++pick[r] == options[r].size()) pick[r++] = 0;
      if (r == n) break;
    }
    // The region's best only: the ranking is of places, not of combinations.
    if (!region_plans.empty())
      plans.push_back(*std::min_element(region_plans.begin(), region_plans.end(), better));
  }
  std::stable_sort(plans.begin(), plans.end(), better);
  if (plans.size() > max_plans) plans.resize(max_plans);
  result.plans = std::move(plans);
  if (result.plans.empty()) {
    std::ostringstream why;
    why << "No plan. ";
    if (regions_all_roles == 0) {
      why << "no region has a candidate for every role (the roles of a ps-worker job run in one region)";
    } else {
      why << "in the " << regions_all_roles << " region(s) that hold every role, every combination is over";
      if (over_cap)
        why << " max_hourly_cost " << PlanMoney(*job.resources.max_hourly_cost) << "/h (" << over_cap << ")";
      if (over_budget) why << " the budget (" << over_budget << ")";
      if (over_deadline) why << " the deadline (" << over_deadline << ")";
    }
    why << ".";
    result.explanation = why.str();
    return result;
  }
  const RolesPlan& best = result.plans.front();
  std::ostringstream out;
  out << "Best plan (objective " << (by_time ? "time" : "cost") << ", every role in " << best.provider << "/"
      << best.region << "): ";
  for (size_t r = 0; r < best.roles.size(); ++r) out << (r ? "; " : "") << Describe(best.roles[r]);
  out << ", " << PlanMoney(best.hourly_price) << "/h, est. " << PlanMoney(best.est_cost) << " (compute "
      << PlanMoney(best.compute_cost) << " + egress " << PlanMoney(best.egress_cost) << ") over "
      << best.est_time_s / 3600
      << " h. Stateful roles run on demand; the others on spot where they accept it.";
  result.explanation = out.str();
  return result;
}

}  // namespace skyrun
