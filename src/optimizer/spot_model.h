// The spot model: how long a job on revocable capacity is expected to take
// and how many instance-hours are billed, given the revocation rate, the work
// lost at each revocation and the provider's refund rule.
//
// With W hours of work, n instances revoked independently at λ per
// instance-hour (the placement is hit at Λ = nλ: a gang restarts when any of
// its instances goes), checkpoints every c hours (c = W when the job does not
// checkpoint) and a restart overhead of R hours per revocation, the work is
// W/c segments of c hours, each retried until it runs c hours without a
// revocation (the classic restart model, exact for Poisson revocations):
//
//   E[revocations] N = (W/c) (e^{Λc} - 1)
//   E[wall hours]  E = (W/c) (e^{Λc} - 1) (1/Λ + R)        (-> W as Λ -> 0)
//
// Billed instance-hours are n·E, less the refund: where the provider does not
// bill an instance it revokes in its first hour, each revocation refunds the
// revoked instance's age when it is under an hour. Its age is Exp(λ), so the
// expected refund per revocation is r(λ) = ∫₀¹ t λe^{-λt} dt
// = (1 - e^{-λ}(1 + λ)) / λ, and
//
//   billed = n·E - N·r(λ),   E[cost] = spot price × billed.
//
// SpotTune's E[cost] = (1 - p) × price, p = 1 - e^{-λ}, is this rule under
// hourly billing: the hour is free when the instance is revoked in it.
// Thread-safety: pure functions.
#pragma once

namespace skyrun {

struct SpotEstimate {
  bool finite = true;                // false: revocations outpace progress
  double wall_hours = 0;             // E
  double billed_instance_hours = 0;  // n·E - N·r(λ)
  double revocations = 0;            // N
};

// `rate_per_instance_hour` >= 0; `checkpoint_hours` <= 0 means no checkpoints.
SpotEstimate EstimateSpot(double work_hours, int instances, double rate_per_instance_hour,
                          double checkpoint_hours, double restart_overhead_hours, bool refund_first_hour);

}  // namespace skyrun
