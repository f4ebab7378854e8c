// SimCloud: a simulated public cloud over a list of offers, as a
// CapacityPool (drivers/capacity.h). It keeps the books of a cloud account,
// nothing runs here: zones with a capacity, a launch delay, configured
// capacity and quota errors, spot preemptions (a seeded process or a
// recorded list) announced by a notice before the kill, and per-second
// billing with a spot price that may change over time. SimCloudDriver puts
// real tasks on its instances; tests drive it alone with a SimulatedClock.
//
// The simulation is lazy: every call first brings the books up to the
// clock's now (instances become ready, notices and preemptions happen,
// events are logged in time order), so a test advances the clock and asks.
// Instance ids are i-0001, i-0002, ... in provision order, and a spot
// instance's preemption time is drawn from Rng(seed, its number) when it is
// bought: the same config and the same requests give the same run.
//
// Books that survive a restart: with a books file (Create's `books_path`,
// the server's STATE/simcloud/<name>.json) every change is written there
// atomically (sim_books.h), and a cloud created over an existing file
// continues from it: the same start, instances, event log and billing, then
// brought up to the clock's now lazily, as always.
//
// Thread-safety: every method may be called concurrently (one mutex).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "drivers/capacity.h"
#include "drivers/simcloud/sim_books.h"
#include "drivers/simcloud/simcloud_config.h"

namespace skyrun {

class SimCloud final : public CapacityPool {
 public:
  // Validates the config; the simulation starts at clock.Now(). `clock` must
  // outlive the cloud. The config's `provision` list is not bought here (the
  // driver does it, so its failures reach the server's start).
  // With config.books_path, the books are kept there and, when the file
  // exists, read back (an unreadable file fails Create rather than start afresh).
  static Result<std::unique_ptr<SimCloud>> Create(SimCloudConfig config, Clock& clock);

  std::string PoolName() const override { return "simcloud/" + config_.name; }
  std::vector<Offer> Offers() override;
  ProvisionOutcome Provision(const ProvisionRequest& request) override;
  Status Terminate(const std::string& instance_id) override;
  std::vector<Instance> Instances() override;
  std::vector<CapacityEvent> EventsSince(int64_t after_seq) override;
  std::vector<BillingRecord> Billing() override;

  // One instance as of now; NotFound for an unknown id.
  Result<Instance> Get(const std::string& instance_id);
  // The spot price of `instance_type` in `zone` at time t (nullopt: no spot offer).
  std::optional<double> SpotPriceAt(const std::string& instance_type, const std::string& zone,
                                    Micros t) const;
  Micros start() const { return start_; }
  Micros Now() const { return clock_.Now(); }
  const SimCloudConfig& config() const { return config_; }
  // Whether Create read existing books (the config's `provision` list was bought then).
  bool restored() const { return restored_; }
  // The last failure to write the books (OK when none).
  Status BooksStatus();

 private:
  using Held = SimHeldInstance;

  SimCloud(SimCloudConfig config, Clock& clock, Micros start);
  // Writes the books when something changed since the last write. Requires mu_.
  void SaveLocked();
  // Brings instance states and the event log up to `now`. Requires mu_.
  void AdvanceLocked(Micros now);
  // The first configured error rule that refuses a request for `offer` now
  // (counting the refusal), or the quota or capacity it would break.
  std::optional<ProvisionError> CheckLocked(const Offer& offer, const ProvisionRequest& request);
  BillingRecord BillLocked(const Instance& inst, Micros now) const;
  Micros PreemptionTime(int64_t number, Micros ready_at) const;

  const SimCloudConfig config_;
  Clock& clock_;
  const Micros start_;
  std::mutex mu_;
  std::vector<Held> held_;                 // in provision order
  std::vector<CapacityEvent> events_;      // seq = index + 1
  std::vector<int64_t> refusals_;          // per config_.errors entry
  std::vector<bool> price_points_logged_;  // per config_.spot_prices entry
  std::string books_path_;                 // "": not kept
  bool restored_ = false;
  bool dirty_ = false;  // changed since the books were written
  Status books_status_;
};

}  // namespace skyrun
