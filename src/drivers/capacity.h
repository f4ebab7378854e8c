// CapacityPool: provisioned capacity, the interface beside Driver. A Driver
// runs tasks on nodes that exist; a capacity pool is where nodes come from
// when they are bought (cloud instances): it lists what can be bought
// (offers), buys it (Provision) or gives it back (Terminate), tells what
// happened to what was bought (events: ready, preemption notice, preempted,
// terminated) and what it cost (billing records, per interval at the price in
// force). A cloud region is then a pool to draw from, not a fixed node list.
//
// Callers: the provisioner (it turns the optimizer's plan into Provision
// calls and, on a classified error, blocks the zone, region or provider the
// error names and asks again), accounting (Billing) and managed recovery
// (preemption events). A pool that also runs tasks on its instances (simcloud)
// is a Driver too and returns its pool from Driver::Capacity(); its instances
// then appear in its Inventory as nodes.
//
// Time is the pool's injected clock: events and billing intervals carry its
// timestamps. Thread-safety: implementations must allow concurrent calls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/offer.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/status.h"

namespace skyrun {

// What to buy: `count` instances of one offer (provider, region, zone and
// instance type name it; an empty zone lets the pool choose one in the region).
struct ProvisionRequest {
  std::string provider;
  std::string region;
  std::string zone;
  std::string instance_type;
  int count = 1;
  bool spot = false;
  JobId job_id;  // what the instances are for (0 = none: capacity kept warm)
};

// Why a provision failed, in the terms the provisioner blocks by.
enum class ProvisionErrorKind {
  kCapacity,  // the zone (or region) has no such instances free now: try elsewhere, or later
  kQuota,     // the account's limit in the region or provider is reached: more of the same fails too
  kOther,     // a bad request (unknown offer, count < 1) or an internal error
};
inline const char* ProvisionErrorKindName(ProvisionErrorKind kind) {
  switch (kind) {
    case ProvisionErrorKind::kCapacity: return "capacity";
    case ProvisionErrorKind::kQuota: return "quota";
    case ProvisionErrorKind::kOther: return "other";
  }
  return "?";
}

// How far the failure reaches: what the provisioner should stop asking.
enum class FailureScope { kZone, kRegion, kProvider };
inline const char* FailureScopeName(FailureScope scope) {
  switch (scope) {
    case FailureScope::kZone: return "zone";
    case FailureScope::kRegion: return "region";
    case FailureScope::kProvider: return "provider";
  }
  return "?";
}

struct ProvisionError {
  ProvisionErrorKind kind = ProvisionErrorKind::kOther;
  FailureScope scope = FailureScope::kZone;
  std::string provider;
  std::string region;
  std::string zone;     // set when scope is kZone
  std::string message;  // for people: what was refused and why
};

enum class InstanceState {
  kLaunching,   // bought, not yet usable (launch delay)
  kRunning,     // usable: a node
  kNoticed,     // running, with a preemption notice: it will be reclaimed at preempt_at
  kPreempted,   // reclaimed by the provider
  kTerminated,  // given back by skyrun
};
inline const char* InstanceStateName(InstanceState state) {
  switch (state) {
    case InstanceState::kLaunching: return "LAUNCHING";
    case InstanceState::kRunning: return "RUNNING";
    case InstanceState::kNoticed: return "NOTICED";
    case InstanceState::kPreempted: return "PREEMPTED";
    case InstanceState::kTerminated: return "TERMINATED";
  }
  return "?";
}
inline bool IsGone(InstanceState state) {
  return state == InstanceState::kPreempted || state == InstanceState::kTerminated;
}

struct Instance {
  std::string id;  // unique within the pool: "i-0001"
  Offer offer;     // provider, region, zone (the one chosen), type, accelerators, prices
  bool spot = false;
  JobId job_id;
  InstanceState state = InstanceState::kLaunching;
  Micros requested_at = 0;
  Micros ready_at = 0;    // when it is (or will be) running
  Micros notice_at = 0;   // 0 = no preemption announced (yet): known from the notice on
  Micros preempt_at = 0;  // 0 = none announced
  Micros ended_at = 0;    // 0 = still held
};

// Either the instances bought, or why none were (a provision is all or
// nothing: a partial gang is no use, so nothing is kept on failure).
struct ProvisionOutcome {
  std::vector<Instance> instances;
  std::optional<ProvisionError> error;
  bool ok() const { return !error.has_value(); }
};

enum class CapacityEventKind { kReady, kPreemptionNotice, kPreempted, kTerminated, kPriceChange };
inline const char* CapacityEventKindName(CapacityEventKind kind) {
  switch (kind) {
    case CapacityEventKind::kReady: return "ready";
    case CapacityEventKind::kPreemptionNotice: return "preemption-notice";
    case CapacityEventKind::kPreempted: return "preempted";
    case CapacityEventKind::kTerminated: return "terminated";
    case CapacityEventKind::kPriceChange: return "price-change";
  }
  return "?";
}

struct CapacityEvent {
  int64_t seq = 0;  // 1, 2, ...: consumers keep the last one they saw
  Micros time = 0;  // when it happened (pool clock), not when it was seen
  CapacityEventKind kind = CapacityEventKind::kReady;
  std::string instance_id;  // empty for a price change
  std::string detail;       // "reclaimed at 2026-...", "spot price of p3.2xlarge in us-east-1a now 0.95"
};

// One stretch of an instance's life at one price.
struct BillingInterval {
  Micros start = 0;
  Micros end = 0;
  double hourly_price = 0;  // USD per instance-hour in force during [start, end)
  double cost_usd = 0;
};

struct BillingRecord {
  std::string instance_id;
  std::string provider;
  std::string region;
  std::string zone;
  std::string instance_type;
  bool spot = false;
  JobId job_id;
  Micros start = 0;
  Micros end = 0;     // the instance's end, or now while it runs
  bool open = false;  // still running: `end` is now and the record will grow
  std::vector<BillingInterval> intervals;
  double cost_usd = 0;  // sum of the intervals
};

class CapacityPool {
 public:
  virtual ~CapacityPool() = default;
  virtual std::string PoolName() const = 0;  // "simcloud/sim1"
  // Everything this pool sells, with today's prices.
  virtual std::vector<Offer> Offers() = 0;
  // Buys request.count instances, all or none.
  virtual ProvisionOutcome Provision(const ProvisionRequest& request) = 0;
  // Gives an instance back (billing stops now). NotFound for an unknown id;
  // OK for one already gone.
  virtual Status Terminate(const std::string& instance_id) = 0;
  // Every instance the pool has handed out, gone ones included, as of now.
  virtual std::vector<Instance> Instances() = 0;
  // Events with seq > after_seq, in order. Each consumer keeps its own cursor.
  virtual std::vector<CapacityEvent> EventsSince(int64_t after_seq) = 0;
  // Billing of every instance up to now.
  virtual std::vector<BillingRecord> Billing() = 0;
};

}  // namespace skyrun
