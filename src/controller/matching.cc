#include "controller/matching.h"

#include "common/strings.h"
#include "expr/ads.h"

namespace skyrun {

void FleetAds::Rebuild(const std::vector<Node>& nodes,
                       const std::map<std::string, std::vector<std::string>>* tenants_on) {
  entries_.clear();
  index_.clear();
  has_policies_ = false;
  entries_.reserve(nodes.size());
  static const std::vector<std::string> kNone;
  for (const Node& node : nodes) {
    const std::vector<std::string>* running = nullptr;
    if (tenants_on) {
      auto it = tenants_on->find(node.name);
      running = it == tenants_on->end() ? &kNone : &it->second;
    }
    Entry e{expr::NodeAd(node, node_schema_, running), std::nullopt, ""};
    auto policy = expr::NodePolicy(node, node_schema_, job_schema_);
    if (policy.ok()) {
      if (!policy->always_true()) {
        e.policy.emplace(std::move(policy).value());
        has_policies_ = true;
      }
    } else {
      e.policy_error = policy.status().message();
      has_policies_ = true;
    }
    index_[node.name] = entries_.size();
    entries_.push_back(std::move(e));
  }
}

const FleetAds::Entry* FleetAds::Find(const std::string& node) const {
  auto it = index_.find(node);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

Result<std::unique_ptr<JobMatch>> JobMatch::Create(const JobSpec& spec, const std::string& tenant,
                                                   const std::string& queue, FleetAds& fleet) {
  std::unique_ptr<JobMatch> m(new JobMatch(&fleet));
  auto add = [&](const std::string& role_name, const Role* role) -> Status {
    const ResourceRequest& res = role ? role->resources : spec.resources;
    // A role's own resources without requirements keep the job's.
    const std::string& req = res.requirements.empty() ? spec.resources.requirements : res.requirements;
    const std::string& rank = res.rank.empty() ? spec.resources.rank : res.rank;
    if (!req.empty() || !rank.empty()) m->trivial_ = false;
    if (!rank.empty()) m->ranks_ = true;
    // Conservative: any mention of a name or of RunningTenants may tell two
    // nodes of one class apart (both are per node, not per node class).
    for (const std::string* text : {&req, &rank}) {
      std::string lower = ToLower(*text);
      if (lower.find("name") != std::string::npos || lower.find("runningtenants") != std::string::npos)
        m->reads_node_identity_ = true;
    }
    auto matcher = expr::Matcher::Create(req, rank, fleet.job_schema(), fleet.node_schema());
    if (!matcher.ok()) {
      std::string where = role ? "roles." + role_name + ".resources" : "resources";
      return matcher.status().WithContext(where);
    }
    Side& side = m->sides_[role_name];
    side.matcher.emplace(std::move(matcher).value());
    side.ad.emplace(expr::JobAd(spec, tenant, queue, fleet.job_schema(), role));
    return Status::Ok();
  };
  if (spec.mode == JobMode::kPsWorker && !spec.roles.empty()) {
    for (const Role& role : spec.roles) SKYRUN_RETURN_IF_ERROR(add(role.name, &role));
  } else {
    SKYRUN_RETURN_IF_ERROR(add("", nullptr));
  }
  return m;
}

NodeVerdict JobMatch::Judge(const Node& node, const TaskRequest& task) {
  const FleetAds& fleet = *fleet_;
  NodeVerdict v;
  auto side = sides_.find(task.role);
  if (side == sides_.end()) side = sides_.find("");
  if (side == sides_.end()) return v;  // nothing compiled for this task: no opinion
  const FleetAds::Entry* entry = fleet.Find(node.name);
  if (!entry) {
    v.reject = "no attributes are published for this node yet";
    return v;
  }
  if (!entry->policy_error.empty()) {
    v.reject = "its " + entry->policy_error;
    return v;
  }
  const expr::Condition* policy = entry->policy ? &*entry->policy : nullptr;
  const expr::Matcher& matcher = *side->second.matcher;
  const expr::Ad& job_ad = *side->second.ad;
  expr::MatchResult r = matcher.Match(job_ad, entry->ad, policy, scratch_);
  if (!r.matched) {
    // Explaining costs string work: only for nodes that are turned down.
    r = matcher.Match(job_ad, entry->ad, policy, scratch_, /*explain=*/true);
    v.reject = r.reason.empty() ? "does not match" : r.reason;
    return v;
  }
  v.rank = r.rank;
  v.rank_defined = r.rank_defined;
  return v;
}

Result<JobMatcher*> AdmissionMatcher(const JobSpec& spec, const std::string& tenant,
                                     const std::vector<Node>& nodes, AdmissionMatch& holder) {
  bool job_asks = !spec.resources.requirements.empty() || !spec.resources.rank.empty();
  for (const Role& r : spec.roles) job_asks |= !r.resources.requirements.empty() || !r.resources.rank.empty();
  bool nodes_ask = false;
  for (const Node& n : nodes) {
    for (const auto& [key, value] : n.attributes)
      nodes_ask |= EqualsIgnoreCase(key, "Policy") && !value.empty();
  }
  if (!job_asks && !nodes_ask) return static_cast<JobMatcher*>(nullptr);
  // On an empty fleet nobody runs anywhere: RunningTenants is {} everywhere.
  const std::map<std::string, std::vector<std::string>> nobody;
  holder.fleet.Rebuild(nodes, &nobody);
  SKYRUN_ASSIGN_OR_RETURN(holder.job, JobMatch::Create(spec, tenant, "", holder.fleet));
  return static_cast<JobMatcher*>(holder.job.get());
}

}  // namespace skyrun
