#include "controller/broker.h"

#include <algorithm>
#include <cmath>

#include "catalog/cluster_offers.h"
#include "common/check.h"
#include "common/strings.h"
#include "optimizer/candidates.h"
#include "optimizer/optimizer.h"
#include "optimizer/roles_plan.h"
#include "scheduler/tasks.h"

namespace skyrun {

bool Block::Covers(const Offer& offer) const {
  if (offer.provider != provider) return false;
  switch (scope) {
    case FailureScope::kProvider: return true;
    case FailureScope::kRegion: return offer.region == region;
    case FailureScope::kZone: return offer.region == region && offer.zone == zone;
  }
  return false;
}

std::string Block::Describe() const {
  std::string where = provider;
  if (scope != FailureScope::kProvider) where += "/" + region;
  if (scope == FailureScope::kZone) where += "/" + zone;
  return std::string(FailureScopeName(scope)) + " " + where;
}

bool operator==(const Block& a, const Block& b) {
  return a.scope == b.scope && a.provider == b.provider && a.region == b.region && a.zone == b.zone;
}

bool IsOwnedNode(const Node& node) {
  auto it = node.attributes.find(kOwnerJobAttribute);
  return it != node.attributes.end() && it->second != "0" && !it->second.empty();
}

std::vector<BrokerOffer> ClusterBrokerOffers(const std::vector<Node>& nodes,
                                             const std::map<std::string, NodeUsage>& usage) {
  // Spot nodes (a pool's warm spot instances) are offered apart, as spot
  // only: a job that does not accept spot would be placed on them by the
  // plan and then kept off them by its `Spot == false` clause, forever.
  std::vector<Node> on_demand;
  std::vector<Node> spot;
  for (const Node& n : nodes) {
    if (IsOwnedNode(n)) continue;
    auto it = n.attributes.find("Spot");
    (it != n.attributes.end() && it->second == "true" ? spot : on_demand).push_back(n);
  }
  std::vector<BrokerOffer> out;
  for (bool spot_only : {false, true}) {
    for (Offer& o : catalog::ClusterOffers(spot_only ? spot : on_demand, usage)) {
      BrokerOffer b;
      b.backend = o.provider;  // a cluster's offers name their backend as provider
      if (spot_only) {
        o.spot_only = true;
        o.spot_price = o.price;
      }
      b.offer = std::move(o);
      out.push_back(std::move(b));
    }
  }
  return out;
}

std::vector<BrokerOffer> PoolBrokerOffers(const std::string& backend, const std::vector<Offer>& offers) {
  std::vector<BrokerOffer> out;
  out.reserve(offers.size());
  for (const Offer& o : offers) out.push_back({o, backend, /*pool=*/true});
  return out;
}

bool UsesBrokerFields(const JobSpec& spec) {
  // `budget` with a time limit too: a registered cluster's offer is priced by
  // the job's share of the node (Offer::by_share), as accounting bills it, so
  // the plan's cost (share x time limit) is what the job can cost. Without a
  // time limit the optimizer's default hour would stand in for its run; its
  // budget then only stops it when spent (controller/job_budget.cc).
  const bool roles = std::any_of(spec.roles.begin(), spec.roles.end(), [](const Role& r) {
    return r.resources.use_spot || r.resources.max_hourly_cost.has_value();
  });
  return roles || spec.resources.use_spot || spec.resources.max_hourly_cost || spec.objective == "time" ||
         !spec.inputs.empty() || (spec.budget_usd.has_value() && spec.time_limit_seconds.has_value());
}

namespace {

bool InfraAllowsOffer(const std::vector<std::string>& infra, const BrokerOffer& b) {
  if (infra.empty()) return true;
  // The backend ("simcloud/sim1", "local") or the place it sells ("aws/us-east-1").
  return InfraAllows(infra, b.backend) ||
         (b.pool && InfraAllowsPlace(infra, b.offer.provider, b.offer.region, b.offer.zone));
}

// The optimizer's market over `allowed` (indices into offers), and the way
// back from a candidate's offer to the BrokerOffer it came from.
class AllowedMarket {
 public:
  AllowedMarket(const std::vector<BrokerOffer>& offers, const std::vector<size_t>& allowed,
                const Market& world)
      : offers_(offers), allowed_(allowed), market_(world) {
    copies_.reserve(allowed.size());
    for (size_t i : allowed) copies_.push_back(offers[i].offer);
    market_.offers = &copies_;
  }
  AllowedMarket(const AllowedMarket&) = delete;
  AllowedMarket& operator=(const AllowedMarket&) = delete;

  const Market& market() const { return market_; }
  const BrokerOffer& OfferOf(const Offer* offer) const {
    const size_t index = static_cast<size_t>(offer - copies_.data());
    SKYRUN_CHECK(index < allowed_.size());
    return offers_[allowed_[index]];
  }

 private:
  const std::vector<BrokerOffer>& offers_;
  const std::vector<size_t>& allowed_;
  std::vector<Offer> copies_;
  Market market_;
};

// Two plans' figures tie (cost or time, up to rounding).
bool SameFigure(double a, double b) {
  return std::abs(a - b) <= 1e-9 * std::max({1.0, std::abs(a), std::abs(b)});
}

// The optimizer over `allowed` (indices into offers); nullopt-like kNone with the reason.
Result<PlacementChoice> Best(const JobSpec& spec, const std::vector<BrokerOffer>& offers,
                             const std::vector<size_t>& allowed, const Market& world) {
  const AllowedMarket allowed_market(offers, allowed, world);
  PlanRequest request;
  JobSpec stage = spec;
  stage.resources.infra.clear();  // applied above, with the backends' names
  // skyrun's placement reads "cpus: 4" and "memory: 16" as floors (the
  // scheduler does): an instance or node with more takes the job too.
  stage.resources.cpus_exact = false;
  stage.resources.memory_exact = false;
  stage.depends_on.clear();
  request.stages.push_back(std::move(stage));
  if (spec.time_limit_seconds && *spec.time_limit_seconds > 0)
    request.hours = static_cast<double>(*spec.time_limit_seconds) / 3600.0;
  request.max_plans = 8;
  SKYRUN_ASSIGN_OR_RETURN(PlanResult result, Optimize(request, allowed_market.market()));
  PlacementChoice choice;
  choice.explanation = result.explanation;
  if (result.plans.empty() || result.plans.front().stages.empty()) return choice;
  auto offer_of = [&](const Plan& plan) -> const BrokerOffer& {
    return allowed_market.OfferOf(plan.stages.front().candidate.offer);
  };
  // Of plans that tie with the best, capacity the server already has (a
  // registered cluster) before buying more.
  const Plan* best = &result.plans.front();
  for (const Plan& plan : result.plans) {
    if (!SameFigure(plan.est_cost, best->est_cost) || !SameFigure(plan.est_time_s, best->est_time_s)) break;
    if (!offer_of(plan).pool) {
      best = &plan;
      break;
    }
  }
  const StagePlan& sp = best->stages.front();
  const BrokerOffer& chosen = offer_of(*best);
  choice.kind = chosen.pool ? PlacementChoice::Kind::kPool : PlacementChoice::Kind::kCluster;
  choice.backend = chosen.backend;
  choice.offer = chosen.offer;
  choice.spot = sp.candidate.spot;
  choice.instances = sp.candidate.instances;
  choice.num_nodes = sp.candidate.num_nodes;
  choice.hourly_price = sp.candidate.hourly_price;
  choice.est_cost = sp.cost;
  return choice;
}

// A ps-worker job over `allowed`: the roles plan (optimizer/roles_plan.h)
// whose roles are all sold by one backend.
Result<PlacementChoice> BestRoles(const JobSpec& spec, const std::vector<BrokerOffer>& offers,
                                  const std::vector<size_t>& allowed, const Market& world) {
  const AllowedMarket allowed_market(offers, allowed, world);
  JobSpec job = spec;
  job.resources.infra.clear();  // applied above, with the backends' names
  for (Role& role : job.roles) {
    // A role's own infra is read by place ("aws/us-east-1", "local"); one
    // inherited from the job was applied above.
    if (role.resources.infra == spec.resources.infra) role.resources.infra.clear();
    role.resources.cpus_exact = false;  // floors, as the scheduler reads them
    role.resources.memory_exact = false;
  }
  double hours = 1;
  if (spec.time_limit_seconds && *spec.time_limit_seconds > 0)
    hours = static_cast<double>(*spec.time_limit_seconds) / 3600.0;
  SKYRUN_ASSIGN_OR_RETURN(RolesPlanResult result,
                          PlanRoles(job, hours, allowed_market.market(), OptimizerParams{}, 8));
  PlacementChoice choice;
  choice.explanation = result.explanation;
  auto offer_of = [&](const RolePlacement& r) -> const BrokerOffer& {
    return allowed_market.OfferOf(r.candidate.offer);
  };
  auto one_backend = [&](const RolesPlan& plan) {
    return std::all_of(plan.roles.begin(), plan.roles.end(), [&](const RolePlacement& r) {
      return offer_of(r).backend == offer_of(plan.roles.front()).backend;
    });
  };
  const RolesPlan* best = nullptr;
  for (const RolesPlan& plan : result.plans) {
    if (!one_backend(plan)) continue;
    if (!best) {
      best = &plan;
      if (!offer_of(plan.roles.front()).pool) break;
      continue;
    }
    // Of plans that tie with the best, capacity the server already has first.
    if (!SameFigure(plan.est_cost, best->est_cost) || !SameFigure(plan.est_time_s, best->est_time_s)) break;
    if (!offer_of(plan.roles.front()).pool) {
      best = &plan;
      break;
    }
  }
  if (!best) {
    if (!result.plans.empty())
      choice.explanation = "no plan has every role sold by one backend: " + result.explanation;
    return choice;
  }
  const BrokerOffer& first = offer_of(best->roles.front());
  choice.kind = first.pool ? PlacementChoice::Kind::kPool : PlacementChoice::Kind::kCluster;
  choice.backend = first.backend;
  choice.offer = first.offer;
  choice.spot = best->roles.front().candidate.spot;
  choice.instances = best->roles.front().candidate.instances;
  choice.hourly_price = best->hourly_price;
  choice.est_cost = best->est_cost;
  for (const RolePlacement& r : best->roles) {
    RoleChoice rc;
    rc.role = r.role;
    rc.offer = offer_of(r).offer;
    rc.spot = r.candidate.spot;
    rc.instances = r.candidate.instances;
    rc.hourly_price = r.candidate.hourly_price;
    choice.roles.push_back(std::move(rc));
  }
  return choice;
}

Result<PlacementChoice> BestFor(const JobSpec& spec, const std::vector<BrokerOffer>& offers,
                                const std::vector<size_t>& allowed, const Market& world) {
  if (spec.mode == JobMode::kPsWorker && !spec.roles.empty()) return BestRoles(spec, offers, allowed, world);
  return Best(spec, offers, allowed, world);
}

}  // namespace

Result<PlacementChoice> ChoosePlacement(const BrokerRequest& request, const std::vector<BrokerOffer>& offers,
                                        const Market& world) {
  // SkyPilot's ordered preferences: the places of `infra` (`ordered:`) and
  // then the models of an `accelerators` list are tried in the order
  // written; the first with a plan wins, however cheap the later ones are.
  const ResourceRequest& r = request.spec.resources;
  if (r.infra_ordered && r.infra.size() > 1) {
    PlacementChoice last;
    for (const std::string& place : r.infra) {
      BrokerRequest one = request;
      one.spec.resources.infra = {place};
      one.spec.resources.infra_ordered = false;
      SKYRUN_ASSIGN_OR_RETURN(last, ChoosePlacement(one, offers, world));
      if (last.kind != PlacementChoice::Kind::kNone) {
        last.explanation = "the first place in its order with a plan (" + place + "): " + last.explanation;
        return last;
      }
    }
    last.explanation = "none of its ordered places has a plan; the last: " + last.explanation;
    return last;
  }
  if (r.accelerator_order.size() > 1) {
    PlacementChoice last;
    for (const std::string& model : r.accelerator_order) {
      auto count = r.accelerators.find(model);
      if (count == r.accelerators.end()) continue;
      BrokerRequest one = request;
      one.spec.resources.accelerators = {*count};
      one.spec.resources.accelerator_order.clear();
      SKYRUN_ASSIGN_OR_RETURN(last, ChoosePlacement(one, offers, world));
      if (last.kind != PlacementChoice::Kind::kNone) {
        last.explanation = "the first GPU in its list with a plan (" + model + "): " + last.explanation;
        return last;
      }
    }
    return last;
  }
  std::vector<size_t> allowed;
  int blocked = 0;
  for (size_t i = 0; i < offers.size(); ++i) {
    if (!InfraAllowsOffer(request.spec.resources.infra, offers[i])) continue;
    if (std::any_of(request.blocks.begin(), request.blocks.end(),
                    [&](const Block& b) { return b.Covers(offers[i].offer); })) {
      blocked++;
      continue;
    }
    allowed.push_back(i);
  }
  if (!request.prefer_region.empty()) {
    std::vector<size_t> same;
    for (size_t i : allowed) {
      const Offer& o = offers[i].offer;
      if (o.provider + "/" + o.region == request.prefer_region) same.push_back(i);
    }
    if (!same.empty()) {
      SKYRUN_ASSIGN_OR_RETURN(PlacementChoice in_region, BestFor(request.spec, offers, same, world));
      if (in_region.kind != PlacementChoice::Kind::kNone) {
        in_region.explanation = "same region first (" + request.prefer_region + "): " + in_region.explanation;
        return in_region;
      }
    }
  }
  SKYRUN_ASSIGN_OR_RETURN(PlacementChoice choice, BestFor(request.spec, offers, allowed, world));
  if (choice.kind == PlacementChoice::Kind::kNone && blocked > 0) {
    choice.explanation += " (" + std::to_string(blocked) + " offer(s) in blocked places left out)";
  }
  if (allowed.empty() && blocked == 0) {
    choice.explanation = "no offer of this server's clusters and pools is allowed by resources.infra";
  }
  return choice;
}

}  // namespace skyrun
