// Reservations: a waiting higher-priority job is not starved by backfill.
// As Slurm's backfill scheduler does, the scheduler plans, for the first few
// jobs in priority order that cannot start now, when they can start: it gives
// back what running jobs hold in the order they are expected to end (start +
// time limit; fleet.h's expected ends) until the job fits, with the same
// filters, device picker and gang rules as placing it now. The nodes and GPUs
// it would get are then held for it from that time on. A lower-priority job
// starts now only where it touches nothing held, or where it ends (now + its
// time limit) before every reservation it touches starts.
//
// A job that fits only once jobs with no time limit have ended gets no start
// time; it holds what it would get on the emptied fleet from now on, and
// nothing lower-priority may use that.
//
// How holding works: a reservation is booked in the fleet for the length of
// one cycle, as a tentative booking (Reserve / Unreserve: the generation does
// not move), so the scheduler's plugins see held capacity as taken without
// knowing reservations exist. Clear() takes every one back before the cycle
// ends. Planning gives back and takes again running jobs' bookings the same
// way, so the fleet is as it was after every call.
//
// Used by Scheduler::Schedule only, one book per cycle. Thread-safety: none.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "model/placement.h"
#include "scheduler/fleet.h"

namespace skyrun {

struct Reservation {
  JobId job;
  std::string name;             // the job's, for wait reasons
  std::optional<Micros> start;  // nullopt: waits for jobs with no time limit (no estimate)
  Placement placement;          // what is held for it
  int64_t gpus_busy = 0;        // of the held GPUs, how many running jobs hold now
};

// "reserved from 2027-01-15T09:00:04.000Z on local: n1 (rank 0, gpus 0,1,2,3)"
// or "waits for 4 GPUs held by jobs with no time limit; held for it: local: n1 (...)".
std::string DescribeReservation(const Reservation& r);

class ReservationBook {
 public:
  // Places the job on the fleet it is given, booking it, or says no.
  using TryPlace = std::function<std::optional<Placement>(Fleet&)>;

  // When and where the job could start, given what the fleet's holders are
  // expected to end and the reservations held already (which stay held);
  // nullopt when it could not fit even on the emptied fleet. The fleet is
  // left as it was.
  std::optional<Reservation> Plan(JobId job, const std::string& name, Fleet& fleet, Micros now,
                                  const TryPlace& try_place);

  // Books r's placement in the fleet until Clear.
  void Hold(Reservation r, Fleet& fleet);
  // Takes back, for one try, the reservations a job ending at `end` cannot
  // delay (those starting at or after `end`); returns how many. Restore
  // books them again (the job placed meanwhile may share their capacity:
  // it has ended by the time they start).
  size_t LiftFrom(Micros end, Fleet& fleet);
  void Restore(Fleet& fleet);
  // Takes every reservation back (the end of a cycle).
  void Clear(Fleet& fleet);

  size_t size() const { return held_.size(); }
  bool empty() const { return held_.empty(); }
  const std::vector<Reservation>& held() const { return held_; }
  // Changes with every Hold: what a waiting job saw held ahead of it.
  uint64_t digest() const { return digest_; }
  // "gang from 2027-...Z on local: n1 (...); big (no estimate) on ..." for
  // the wait reason of jobs that do not fit while these are held.
  std::string Summary() const;

 private:
  std::vector<Reservation> held_;
  std::vector<char> lifted_;  // by held_ index: taken back by LiftFrom
  uint64_t digest_ = 0;
  // The fleet with nothing booked, made on the first plan that needs it
  // ("once every running job has ended"); nodes do not change within a cycle.
  std::unique_ptr<Fleet> empty_;
};

}  // namespace skyrun
