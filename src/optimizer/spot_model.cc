#include "optimizer/spot_model.h"

#include <algorithm>
#include <cmath>

namespace skyrun {
namespace {

// Beyond this an estimate is useless for ranking (over a century of hours).
constexpr double kMaxHours = 1e6;

}  // namespace

SpotEstimate EstimateSpot(double work_hours, int instances, double rate_per_instance_hour,
                          double checkpoint_hours, double restart_overhead_hours, bool refund_first_hour) {
  SpotEstimate e;
  double work = std::max(0.0, work_hours);
  double n = std::max(1, instances);
  double lambda = std::max(0.0, rate_per_instance_hour);
  double big_lambda = n * lambda;
  if (work == 0 || big_lambda == 0) {
    e.wall_hours = work;
    e.billed_instance_hours = n * work;
    return e;
  }
  double c = checkpoint_hours > 0 ? std::min(checkpoint_hours, work) : work;
  double exponent = big_lambda * c;
  if (exponent > 50) {  // e^50: no segment ever completes in practice
    e.finite = false;
    return e;
  }
  double segments = work / c;
  double retries = std::expm1(exponent);  // e^{Λc} - 1, precise for small Λc
  e.revocations = segments * retries;
  e.wall_hours = e.revocations * (1.0 / big_lambda + std::max(0.0, restart_overhead_hours));
  if (!std::isfinite(e.wall_hours) || e.wall_hours > kMaxHours) {
    e.finite = false;
    return e;
  }
  double refund = 0;
  if (refund_first_hour) {
    // ∫₀¹ t λe^{-λt} dt; for tiny λ, λ/2 (the series' first term) avoids cancellation.
    double per_revocation = lambda < 1e-6 ? lambda / 2 : (1 - std::exp(-lambda) * (1 + lambda)) / lambda;
    refund = e.revocations * per_revocation;
  }
  e.billed_instance_hours = std::max(0.0, n * e.wall_hours - refund);
  return e;
}

}  // namespace skyrun
