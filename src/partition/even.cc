// The even allocation: n / d units per device, the first n % d devices one more
// (the released code's even_allocate). It ignores speed and memory; a split
// that breaks a memory cap is reported with the device, and its assignment is
// still shown so that the comparison can say by how much.
#include "partition/allocator.h"
#include "partition/feasibility.h"

namespace skyrun::partition {

AllocResult AllocateEven(const Instance& in, const std::vector<int>& order, const AllocOptions& options) {
  AllocResult r;
  const int n = in.units();
  const int d = static_cast<int>(order.size());
  if (!options.allow_idle && d > n) {
    Infeasibility why = ExplainMemoryInfeasible(in, order, false);
    r.reason = why.reason;
    return r;
  }
  r.assignment.order = order;
  r.assignment.cuts.assign(d + 1, 0);
  const int q = n / d, extra = n % d;
  for (int p = 0; p < d; ++p) r.assignment.cuts[p + 1] = r.assignment.cuts[p] + q + (p < extra ? 1 : 0);
  r.has_assignment = true;
  for (int p = 0; p < d; ++p) {
    int dev = order[p];
    if (in.Memory(r.assignment.first(p), r.assignment.end(p)) > in.memory_cap_bytes(dev)) {
      r.reason = "even split breaks memory: " + MemoryViolation(in, r.assignment);
      r.blocking_device = in.device_name(dev);
      return r;
    }
  }
  r.feasible = true;
  return r;
}

}  // namespace skyrun::partition
