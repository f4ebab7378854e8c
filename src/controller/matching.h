// Matching in scheduling: the expression language (expr/) behind the
// scheduler's "expression" filter and "expression-rank" score plugins
// (scheduler/plugin.h, JobMatcher). A job's requirements must be exactly TRUE
// against a node's ad, the node's own policy exactly TRUE against the job's
// ad, and the job's rank orders the nodes that pass.
//
// FleetAds holds the node side: one ad and one compiled policy per node,
// rebuilt when the fleet or what runs on it changes (RunningTenants feeds
// tenant-aware anti-affinity policies). JobMatch holds the job side: its
// requirements and rank compiled once, per role, against the fleet's
// schemas. Both must be used with the FleetAds they were made for.
//
// Thread-safety: none. The controller uses one FleetAds under its cycle lock;
// admission (CheckSubmission) builds its own on the stack.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "expr/matcher.h"
#include "expr/schema.h"
#include "expr/scratch.h"
#include "model/job_spec.h"
#include "model/node.h"
#include "scheduler/plugin.h"

namespace skyrun {

class FleetAds {
 public:
  FleetAds() = default;
  FleetAds(const FleetAds&) = delete;  // compiled expressions point at its schemas
  FleetAds& operator=(const FleetAds&) = delete;

  // Replaces the node ads and policies. `tenants_on` (node -> tenants with
  // tasks there) is published as RunningTenants; null = not known.
  void Rebuild(const std::vector<Node>& nodes,
               const std::map<std::string, std::vector<std::string>>* tenants_on);

  // Whether any node publishes a policy (then every job must be matched).
  bool has_policies() const { return has_policies_; }

  expr::Schema& node_schema() { return node_schema_; }
  expr::Schema& job_schema() { return job_schema_; }

  struct Entry {
    expr::Ad ad;
    std::optional<expr::Condition> policy;  // empty with policy_error set when it does not compile
    std::string policy_error;
  };
  const Entry* Find(const std::string& node) const;

 private:
  expr::Schema node_schema_;
  expr::Schema job_schema_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> index_;
  bool has_policies_ = false;
};

class JobMatch final : public JobMatcher {
 public:
  // Compiles the job's (and each role's) requirements and rank. Errors say
  // which field ("resources.requirements: expected ')' at 1:23 ...").
  static Result<std::unique_ptr<JobMatch>> Create(const JobSpec& spec, const std::string& tenant,
                                                  const std::string& queue, FleetAds& fleet);

  // True when the job has neither requirements nor rank anywhere.
  bool trivial() const { return trivial_; }

  // Against the FleetAds it was created with (which must outlive it).
  NodeVerdict Judge(const Node& node, const TaskRequest& task) override;
  // Its expressions read the node's Name or RunningTenants, or nodes publish
  // policies (which may read RunningTenants): judge every node.
  bool NodeSpecific() const override { return reads_node_identity_ || fleet_->has_policies(); }
  bool Ranks() const override { return ranks_; }

 private:
  struct Side {
    std::optional<expr::Matcher> matcher;
    std::optional<expr::Ad> ad;
  };
  explicit JobMatch(const FleetAds* fleet) : fleet_(fleet) {}

  std::map<std::string, Side> sides_;  // by role ("" = the job as a whole)
  bool trivial_ = true;
  bool reads_node_identity_ = false;
  bool ranks_ = false;  // some role (or the job) has a rank expression
  const FleetAds* fleet_;
  expr::EvalScratch scratch_;
};

// The matcher for one job over `nodes`, built on the spot (admission), or
// null when neither the job nor any node asks for matching. `holder` keeps
// what the matcher refers to alive.
struct AdmissionMatch {
  FleetAds fleet;
  std::unique_ptr<JobMatch> job;
};
Result<JobMatcher*> AdmissionMatcher(const JobSpec& spec, const std::string& tenant,
                                     const std::vector<Node>& nodes, AdmissionMatch& holder);

}  // namespace skyrun
