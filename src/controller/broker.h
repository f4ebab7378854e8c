// Broker placement: where a job runs, chosen by the optimizer over what the
// server can use now — the offers of its capacity pools (cloud instances it
// can buy) and its registered clusters' free capacity (ClusterOffers) — minus
// the places blocked for the job (a zone that refused capacity, a region a
// spot instance was reclaimed in). The answer is a registered cluster (the
// scheduler then places the job there) or a pool offer (the provisioner buys
// it first), or why nothing can take the job now.
//
// The job's broker fields act here: use_spot (spot candidates), max_hourly_cost
// (offers above it are no candidates), budget and deadline (bound the
// estimated cost and time), objective (cost or time) and inputs (egress).
//
// Callers: the provisioner thread (provisioner.h) and admission (a job no
// offer could ever take is refused). Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "catalog/offer.h"
#include "common/status.h"
#include "drivers/capacity.h"
#include "model/job_spec.h"
#include "model/node.h"
#include "optimizer/market.h"

namespace skyrun {

// A place the broker must not choose for a job: a zone, a region or a whole
// provider (of pool offers; a registered cluster is its own provider).
struct Block {
  FailureScope scope = FailureScope::kZone;
  std::string provider;
  std::string region;
  std::string zone;
  std::string why;  // "capacity error", "preempted (eager_next_region)"
  bool Covers(const Offer& offer) const;
  // "zone aws/us-east-1/us-east-1a"
  std::string Describe() const;
};
bool operator==(const Block& a, const Block& b);

// One offer the broker may choose, with who sells it.
struct BrokerOffer {
  Offer offer;
  std::string backend;  // the driver that runs what is placed there: "local", "simcloud/sim1"
  bool pool = false;    // true: instances must be bought from backend's pool first
};

// One role of a ps-worker job placed (optimizer/roles_plan.h): every role of
// a choice is in one region and sold by the choice's backend.
struct RoleChoice {
  std::string role;
  Offer offer;
  bool spot = false;
  int instances = 1;
  double hourly_price = 0;  // USD per hour for the role's instances
};

struct PlacementChoice {
  enum class Kind { kNone, kCluster, kPool };
  Kind kind = Kind::kNone;
  std::string backend;
  Offer offer;  // the chosen offer (its zone: where to buy)
  bool spot = false;
  int instances = 1;
  int num_nodes = 1;        // the job's nodes: its count, or the one chosen of its num_nodes range
  double hourly_price = 0;  // USD per hour for the whole placement
  double est_cost = 0;
  std::string explanation;  // why it won, or why nothing can take the job
  // A ps-worker job: each role's place (offer, spot, instances above are the
  // first role's; hourly_price and est_cost the whole job's). Empty otherwise.
  std::vector<RoleChoice> roles;
};

struct BrokerRequest {
  JobSpec spec;  // as submitted (infra as the user wrote it)
  std::vector<Block> blocks;
  // "provider/region" tried first (recovery strategy failover); empty: none.
  std::string prefer_region;
};

// Registered clusters' offers from the fleet (nodes a pool bought for a job
// are nobody else's and are left out; see IsOwnedNode).
std::vector<BrokerOffer> ClusterBrokerOffers(const std::vector<Node>& nodes,
                                             const std::map<std::string, NodeUsage>& usage);
// A pool's offers, as the pool sells them.
std::vector<BrokerOffer> PoolBrokerOffers(const std::string& backend, const std::vector<Offer>& offers);

// The node attribute that marks an instance bought for one job ("OwnerJob",
// the job id; "0" for capacity kept warm, which anyone may use).
inline constexpr const char* kOwnerJobAttribute = "OwnerJob";
bool IsOwnedNode(const Node& node);

// The best place for the job now. `world` gives regions, egress and
// preemption rates (its offers are ignored). A ps-worker job is placed role
// by role (Proteus: stateful roles on demand, workers on spot where they
// accept it; PlacementChoice::roles). Errors: a spec the optimizer refuses
// (requirements that do not compile).
Result<PlacementChoice> ChoosePlacement(const BrokerRequest& request, const std::vector<BrokerOffer>& offers,
                                        const Market& world);

// Whether a job's placement goes through the broker on a server without
// capacity pools: it uses a field only the broker honours.
bool UsesBrokerFields(const JobSpec& spec);

}  // namespace skyrun
