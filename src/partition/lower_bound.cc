#include "partition/lower_bound.h"

#include <algorithm>
#include <numeric>
#include <vector>

namespace skyrun::partition {

LowerBound ComputeLowerBound(const Instance& in) {
  LowerBound lb;
  const int n = in.units();
  const int d = in.devices();

  // All the units must fit in all the memory together.
  Load memory = 0;
  for (int dev = 0; dev < d; ++dev) memory += in.memory_cap_bytes(dev);
  if (in.Memory(0, n) > memory) {
    lb.feasible = false;
    return lb;
  }

  // Units by FLOPs per byte, densest first (units without memory first of all).
  std::vector<int> by_density(n);
  std::iota(by_density.begin(), by_density.end(), 0);
  std::sort(by_density.begin(), by_density.end(), [&](int a, int b) {
    Load fa = in.UnitFlops(a), fb = in.UnitFlops(b), ma = in.UnitMemory(a), mb = in.UnitMemory(b);
    Load lhs = fa * mb, rhs = fb * ma;  // fa / ma > fb / mb, without division
    if (lhs != rhs) return lhs > rhs;
    return a < b;
  });

  // FLOPs that device dev can hold within its memory, fractions allowed. A real
  // split puts a whole number of FLOPs on a device, so the fractional optimum
  // may be rounded down.
  std::vector<Load> flops_cap(d, 0);
  Load absorbable = 0;
  for (int dev = 0; dev < d; ++dev) {
    Load room = in.memory_cap_bytes(dev);
    Load taken = 0;
    for (int u : by_density) {
      Load m = in.UnitMemory(u), f = in.UnitFlops(u);
      if (m <= room) {
        room -= m;
        taken += f;
      } else {
        taken += f * room / m;
        break;
      }
    }
    flops_cap[dev] = taken;
    absorbable += taken;
  }
  const Load total = in.TotalFlops();
  if (absorbable < total) {
    lb.feasible = false;
    return lb;
  }
  // Smallest integer T with sum over devices of min(floor(T / s), cap) >= total:
  // at bottleneck T a device holds a whole number of FLOPs F with s x F <= T.
  auto absorbs = [&](Load level) {
    Load sum = 0;
    for (int dev = 0; dev < d; ++dev) {
      sum += std::min(level / in.slowness(dev), flops_cap[dev]);
      if (sum >= total) return true;
    }
    return sum >= total;
  };
  int64_t slowest = 0;
  for (int dev = 0; dev < d; ++dev) slowest = std::max(slowest, in.slowness(dev));
  Load lo = 0, hi = static_cast<Load>(slowest) * total;
  while (lo < hi) {
    Load mid = lo + (hi - lo) / 2;
    if (absorbs(mid)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  lb.fluid = hi;

  for (int u = 0; u < n; ++u) {
    Load least = kInfiniteLoad;
    for (int dev = 0; dev < d; ++dev) {
      if (in.UnitMemory(u) <= in.memory_cap_bytes(dev))
        least = std::min(least, in.slowness(dev) * in.UnitFlops(u));
    }
    if (least >= kInfiniteLoad) {
      lb.feasible = false;
      return lb;
    }
    lb.largest_unit = std::max(lb.largest_unit, least);
  }
  lb.value = std::max(lb.fluid, lb.largest_unit);
  return lb;
}

}  // namespace skyrun::partition
