// Provisioner: turns the broker's choice into capacity, off the controller's
// loop thread. For each job the controller hands it, it asks the broker
// (broker.h) where to run the job; a registered cluster is the answer as it
// is (the scheduler places the job there), a pool offer is bought through
// the pool (CapacityPool::Provision, all instances or none). When the pool
// refuses, the place the error names (zone, region or provider, by the
// error's scope) is blocked, the broker is asked again without it, and so on
// until an offer is bought or nothing is left. A capacity or quota refusal's
// block lasts (BlockHold: 10 min and 1 h by default, server config
// scheduler.block_capacity / block_quota) for every job's rounds, not only
// this one's: the pools are the server's accounts, so a full zone or a spent
// quota is full or spent for all of them; it expires by the injected clock.
// Held blocks are kept in the store (Store::SaveHeldBlock), so a restarted
// server reads them back and keeps avoiding the place until they expire.
// An `other` refusal blocks for the round only. Every try is
// written to the store (Store::RecordProvisionTry), so `skyrun status JOB`
// shows what was tried, why it failed and what that blocked. It also gives
// instances back (Terminate) when the controller says a job's attempt is over.
//
// Callers: the controller (RequestPlan, RequestTerminate, TakeAnswers).
// Thread-safety: Request* and TakeAnswers may be called from any thread;
// the pools and the store are called only on the provisioner's own thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "controller/broker.h"
#include "drivers/capacity.h"
#include "model/node.h"
#include "optimizer/market.h"
#include "store/store.h"

namespace skyrun {

struct PlanOrder {
  JobId job;
  int attempt_no = 1;  // the attempt being placed
  BrokerRequest request;
  // The registered clusters as of the controller's last cycle.
  std::vector<Node> nodes;
  std::map<std::string, NodeUsage> usage;
};

struct PlanAnswer {
  JobId job;
  int attempt_no = 1;
  PlacementChoice choice;                 // kNone: nothing can take it now (choice.explanation says why)
  std::vector<std::string> instance_ids;  // kPool: the instances bought for it, in choice.backend's pool
  std::vector<Block> blocked;             // places refused during this round
  int refusals = 0;
};

// A spot price that changed under an instance bought for a job: from `at`
// on, the instance costs usd_per_hour (accounting bills the job's tasks on
// it from then on).
struct PriceNote {
  JobId job;
  std::string backend;
  std::string instance_id;
  Micros at = 0;
  double usd_per_hour = 0;
};

// How long a refusal keeps its place blocked for every job; 0: the round only.
struct BlockHold {
  Micros capacity = 10 * 60 * kMicrosPerSecond;
  Micros quota = 60 * 60 * kMicrosPerSecond;
};

// A block that outlives its round, until `until` (wall time, Clock::Now()).
struct HeldBlock {
  Block block;
  Micros until = 0;
};

// "zone aws/us-east-1/us-east-1a until 2026-12-02T23:10:00.000Z"
std::string DescribeHeld(const HeldBlock& held);

class Provisioner {
 public:
  struct Pool {
    std::string backend;  // the driver's name: "simcloud/sim1"
    CapacityPool* pool = nullptr;
  };
  // `world` gives regions, egress and preemption rates. `notify` is called
  // (on the provisioner's thread) after each answer. Starts its thread.
  Provisioner(std::vector<Pool> pools, Market world, Store* store, Clock* clock, std::function<void()> notify,
              Logger* log, BlockHold hold = {});
  ~Provisioner();
  Provisioner(const Provisioner&) = delete;
  Provisioner& operator=(const Provisioner&) = delete;

  void RequestPlan(PlanOrder order);
  void RequestTerminate(const std::string& backend, std::vector<std::string> instance_ids);
  std::vector<PlanAnswer> TakeAnswers();
  std::vector<PriceNote> TakePriceNotes();
  // Waits until nothing asked is left undone (tests), or `timeout` passes.
  bool WaitIdle(Micros timeout);
  void Stop();

  // One planning round, on the caller's thread (the thread runs it; tests too).
  PlanAnswer Plan(const PlanOrder& order);
  // Reads the pools' events; after a price change, the spot instances held
  // for jobs whose price moved (the thread runs it about every second; tests too).
  std::vector<PriceNote> SweepPrices();
  // The blocks held now (expired ones left out), in the order they were made.
  std::vector<HeldBlock> HeldBlocks() const;

 private:
  struct Work {
    std::optional<PlanOrder> plan;
    std::string backend;
    std::vector<std::string> terminate;
  };
  void Run();
  CapacityPool* PoolOf(const std::string& backend) const;
  void Record(const ProvisionTry& t);
  // Holds `b` until now + the hold of its kind (extending a hold already
  // there); returns the expiry, or 0 when the kind holds for the round only.
  Micros Hold(const Block& b, ProvisionErrorKind kind, Micros now);
  // The held blocks kept in the store (a restarted server still avoids the
  // places) are read at construction and written as they change.
  void LoadHeld();
  void SaveHeld(const HeldBlock& h);

  const std::vector<Pool> pools_;
  const BlockHold hold_;
  const Market world_;
  Store* const store_;
  Clock* const clock_;
  const std::function<void()> notify_;
  Logger* const log_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Work> work_;
  std::vector<PlanAnswer> answers_;
  std::vector<PriceNote> price_notes_;
  // SweepPrices' own (its caller's thread only): each pool's event cursor and
  // the last price seen of each spot instance bought for a job.
  std::map<std::string, int64_t> event_cursor_;
  std::map<std::pair<std::string, std::string>, double> last_price_;
  mutable std::mutex held_mu_;
  std::vector<HeldBlock> held_;  // guarded by held_mu_
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace skyrun
