// The controller's side of the broker: which jobs go through it, sending
// them to the provisioner, narrowing a job to the place chosen for its next
// attempt, and giving instances back when an attempt ends.
#include <algorithm>
#include <cstdio>
#include <functional>

#include "common/strings.h"
#include "controller/controller.h"
#include "optimizer/optimizer.h"

namespace skyrun {

namespace {

std::string PriceText(double usd) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9f", usd);
  return buf;
}

// A num_nodes range (issue 12): this attempt runs the count the broker chose
// (its gang's ranks, SKYRUN_NUM_NODES); the next attempt is planned anew.
void ApplyChosenNodeCount(const PlacementChoice& c, JobSpec* spec) {
  const NodeRange& r = spec->node_range;
  if (r.present() && c.num_nodes >= r.min && c.num_nodes <= r.max) spec->num_nodes = c.num_nodes;
}

bool WasPreempted(const std::vector<AttemptRecord>& attempts) {
  return std::any_of(attempts.begin(), attempts.end(), [](const AttemptRecord& a) {
    return a.state == RunState::kLost && a.reason.find("PREEMPTED") != std::string::npos;
  });
}

}  // namespace

bool Controller::IsPoolBackend(const std::string& backend) const {
  return std::any_of(pools_.begin(), pools_.end(),
                     [&](const Provisioner::Pool& p) { return p.backend == backend; });
}

Status Controller::CheckBrokerFeasible(const JobSpec& spec, const std::vector<Node>& nodes) {
  std::vector<BrokerOffer> offers = ClusterBrokerOffers(nodes, {});
  for (const Provisioner::Pool& p : pools_) {
    std::vector<BrokerOffer> sold = PoolBrokerOffers(p.backend, p.pool->Offers());
    offers.insert(offers.end(), sold.begin(), sold.end());
  }
  BrokerRequest request;
  request.spec = spec;
  request.spec.resources.max_hourly_cost.reset();
  request.spec.budget_usd.reset();
  request.spec.deadline_seconds.reset();
  for (Role& role : request.spec.roles) role.resources.max_hourly_cost.reset();
  SKYRUN_ASSIGN_OR_RETURN(PlacementChoice choice, ChoosePlacement(request, offers, Market{}));
  if (choice.kind == PlacementChoice::Kind::kNone)
    return FailedPrecondition("no offer of this server's clusters and capacity pools can run it: " +
                              choice.explanation);
  return Status::Ok();
}

void Controller::SetUpBroker(LiveJob& job) {
  const JobSpec& spec = job.rec.spec;
  // The optimizer plans single jobs, gangs and ps-worker jobs (role by role:
  // NarrowRoles); services keep the scheduler's own placement.
  const bool plannable = spec.mode != JobMode::kService;
  job.broker.on = plannable && (!pools_.empty() || UsesBrokerFields(spec));
  if (job.broker.on) job.broker.spec = spec;
}

bool Controller::ReadyToPlace(LiveJob& job) {
  LiveJob::Brokered& b = job.broker;
  if (!b.on || b.chosen) return true;
  if (b.planning) return false;
  const Micros now = clock_->MonotonicNow();
  if (now < b.next_plan) return false;
  PlanOrder order;
  order.job = job.rec.id;
  order.attempt_no = job.rec.attempt_no + 1;
  order.request.spec = b.spec;
  order.request.blocks = b.sticky_blocks;
  order.request.prefer_region = b.prefer_region;
  order.nodes = snapshot_.nodes();
  for (const Node& n : order.nodes) order.usage[n.name] = snapshot_.UsageOf(n.name);
  b.planning = true;
  if (job.pending_reason.empty()) job.pending_reason = "the broker is choosing where to run it";
  provisioner_->RequestPlan(std::move(order));
  return false;
}

void Controller::OnPlanned(PlanAnswer answer) {
  auto it = live_.find(answer.job);
  const bool wanted = it != live_.end() && it->second.broker.planning && !IsTerminal(it->second.rec.state) &&
                      !it->second.cancel_requested && !it->second.pending_move &&
                      it->second.rec.attempt_no + 1 == answer.attempt_no;
  if (!wanted) {
    // Nobody waits for these any more: never leave them running (and billed).
    if (!answer.instance_ids.empty())
      provisioner_->RequestTerminate(answer.choice.backend, answer.instance_ids);
    if (it != live_.end()) it->second.broker.planning = false;
    return;
  }
  LiveJob& job = it->second;
  LiveJob::Brokered& b = job.broker;
  b.planning = false;
  view_dirty_ = true;
  const PlacementChoice& c = answer.choice;
  if (c.kind == PlacementChoice::Kind::kNone) {
    b.empty_rounds++;
    std::string tried = answer.refusals > 0
                            ? " (" + std::to_string(answer.refusals) + " place(s) refused it this round)"
                            : "";
    if (!options_.retry_until_up) {
      MoveOrRetry(job, JobState::kFailed, "no offer can take it: " + c.explanation + tried);
      return;
    }
    // Exponential backoff with jitter (up to half the pause, from the job and round).
    Micros pause = options_.retry_backoff;
    for (int i = 1; i < b.empty_rounds && pause < options_.retry_backoff_max; ++i) pause *= 2;
    pause = std::min(pause, options_.retry_backoff_max);
    const size_t h = std::hash<std::string>{}(job.rec.id.ToString() + "/" + std::to_string(b.empty_rounds));
    pause += static_cast<Micros>(h % static_cast<size_t>(std::max<Micros>(pause / 2, 1)));
    b.next_plan = clock_->MonotonicNow() + pause;
    job.pending_reason = "nothing can take it now: " + c.explanation + tried + "; the broker asks again in " +
                         std::to_string(pause / kMicrosPerSecond) + "s";
    return;
  }
  b.empty_rounds = 0;
  b.chosen = true;
  b.backend = c.backend;
  b.region = c.offer.provider + "/" + c.offer.region;
  b.place = Location{c.offer.provider, c.offer.region};
  b.instances = answer.instance_ids;
  // The job, narrowed for this attempt: the chosen backend, and there only
  // nodes it may use (its own instances, or capacity nobody owns), at a price
  // within its cap and of the kind (spot or not) it accepts.
  JobSpec spec = b.spec;
  ApplyChosenNodeCount(c, &spec);
  spec.resources.infra = {c.backend};
  std::vector<std::string> clauses;
  if (c.kind == PlacementChoice::Kind::kPool) {
    clauses.push_back(std::string(kOwnerJobAttribute) + " == " + std::to_string(job.rec.id.value()));
  } else {
    // max_hourly_cost is the scheduler's (its max-hourly-cost filter and
    // permit weigh each task's share of a node, as accounting bills it).
    if (IsPoolBackend(c.backend)) clauses.push_back(std::string(kOwnerJobAttribute) + " == 0");
  }
  if (IsPoolBackend(c.backend) && !spec.resources.use_spot) clauses.push_back("Spot == false");
  if (!c.roles.empty()) NarrowRoles(job, c, spec);
  if (!clauses.empty()) {
    std::string extra = Join(clauses, " && ");
    spec.resources.requirements =
        spec.resources.requirements.empty() ? extra : "(" + spec.resources.requirements + ") && " + extra;
  }
  job.rec.spec = std::move(spec);
  if (!CompileMatch(job)) return;  // FAILED
  fleet_dirty_ = true;
  if (c.kind == PlacementChoice::Kind::kPool) {
    next_inventory_[c.backend] = 0;  // its instances join the fleet at the next read
    job.pending_reason = "waiting for its instance(s) " + Join(b.instances, ", ") + " (" +
                         c.offer.instance_type + (c.spot ? ", spot" : "") + ") in " + b.region + " to start";
  } else {
    job.pending_reason = "the broker chose " + c.backend;
  }
}

void Controller::NarrowRoles(const LiveJob& job, const PlacementChoice& c, JobSpec& spec) const {
  // Each role on the kind of capacity chosen for it: on a pool, the job's own
  // instances of that kind (a stateful role's on demand, the workers' spot);
  // on a registered cluster, nodes of that kind at most at the chosen price.
  const bool pool = IsPoolBackend(c.backend);
  for (Role& role : spec.roles) {
    auto rc = std::find_if(c.roles.begin(), c.roles.end(),
                           [&](const RoleChoice& r) { return r.role == role.name; });
    if (rc == c.roles.end()) continue;
    role.resources.infra = {c.backend};
    std::vector<std::string> clauses;
    if (c.kind == PlacementChoice::Kind::kPool)
      clauses.push_back(std::string(kOwnerJobAttribute) + " == " + std::to_string(job.rec.id.value()));
    else if (pool)
      clauses.push_back(std::string(kOwnerJobAttribute) + " == 0");
    if (pool || rc->spot) clauses.push_back(rc->spot ? "Spot == true" : "Spot == false");
    if (c.kind == PlacementChoice::Kind::kCluster && spec.resources.max_hourly_cost)
      clauses.push_back("HourlyPrice <= " + PriceText(rc->hourly_price / std::max(1, rc->instances)));
    // A role without requirements of its own reads the job's (matching.h).
    const std::string& base =
        role.resources.requirements.empty() ? spec.resources.requirements : role.resources.requirements;
    const std::string extra = Join(clauses, " && ");
    role.resources.requirements = base.empty() ? extra : "(" + base + ") && " + extra;
  }
}

void Controller::RecordInputEgress(const LiveJob& job, int attempt_no) {
  if (!job.broker.on || !job.broker.chosen || !options_.catalog) return;
  for (const DataRef& in : job.rec.spec.inputs) {
    if (in.location.empty() || !(in.size_gb > 0)) continue;
    // Staged by the driver: billed for the bytes it really moves (RecordMovedEgress).
    if (!in.path.empty()) continue;
    const Location from = ParseLocation(in.location);
    if (from.provider == job.broker.place.provider && from.region == job.broker.place.region) continue;
    EgressCharge charge;
    charge.job = job.rec.id;
    charge.attempt_no = attempt_no;
    charge.at = clock_->Now();
    charge.gb = in.size_gb;
    charge.usd = options_.catalog->EgressCost(from, job.broker.place, in.size_gb);
    charge.source = in.location;
    charge.destination = job.broker.region;
    if (Status s = store_->RecordEgress(charge); !s.ok())
      log_->Warn("job " + job.rec.id.ToString() + ": recording the egress of input " + in.uri +
                 " failed: " + s.ToString());
  }
}

void Controller::OnPriceNote(const PriceNote& note) {
  auto it = live_.find(note.job);
  if (it == live_.end()) return;
  LiveJob& job = it->second;
  const std::string node = note.backend + "/" + note.instance_id;
  const auto on_node = std::count_if(job.attempts.begin(), job.attempts.end(),
                                     [&](const AttemptRecord& a) { return a.node == node; });
  for (const AttemptRecord& a : job.attempts) {
    if (a.node != node || IsTerminal(a.state)) continue;
    PriceChange change;
    change.job = job.rec.id;
    change.attempt_no = a.attempt_no;
    change.rank = a.rank;
    change.at = std::max(note.at, a.started_at);
    change.usd_per_hour = note.usd_per_hour / static_cast<double>(on_node);
    if (Status s = store_->RecordPriceChange(change); !s.ok())
      log_->Warn("job " + job.rec.id.ToString() + ": recording a spot price change failed: " + s.ToString());
  }
}

void Controller::EndBrokeredAttempt(LiveJob& job) {
  LiveJob::Brokered& b = job.broker;
  if (!b.on) return;
  if (!b.instances.empty()) {
    provisioner_->RequestTerminate(b.backend, std::move(b.instances));
    b.instances.clear();
  }
  if (b.chosen && WasPreempted(job.attempts)) {
    const size_t slash = b.region.find('/');
    if (job.broker.spec.recovery.strategy == "eager_next_region" && slash != std::string::npos) {
      Block block;
      block.scope = FailureScope::kRegion;
      block.provider = b.region.substr(0, slash);
      block.region = b.region.substr(slash + 1);
      block.why = "preempted there (recovery.strategy eager_next_region)";
      if (std::find(b.sticky_blocks.begin(), b.sticky_blocks.end(), block) == b.sticky_blocks.end())
        b.sticky_blocks.push_back(block);
      b.prefer_region.clear();
      log_->Info("job " + job.rec.id.ToString() + ": preempted in " + b.region +
                 "; that region is blocked for it");
    } else {
      b.prefer_region = b.region;  // failover: the same region first, then anywhere
    }
  }
  b.chosen = false;
  b.next_plan = 0;
  job.rec.spec = b.spec;
}

std::string Controller::CheckpointDir(JobId id, const std::string& backend) const {
  if (!IsPoolBackend(backend)) return JobDir(id) + "/checkpoints";
  std::string bucket = backend;
  std::replace(bucket.begin(), bucket.end(), '/', '-');
  return options_.state_dir + "/buckets/" + bucket + "/" + id.ToString();
}

}  // namespace skyrun
