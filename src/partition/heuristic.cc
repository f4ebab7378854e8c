// The two-phase heuristic of seed 000 (Sky Computing), as the released code
// runs it, with its flaws repaired:
//  1. Pre-allocation by memory. Start from the even split; if a device's units
//     do not fit its memory, split by memory instead: every device is filled,
//     in order, up to the same fraction of its memory, the smallest fraction
//     that holds the whole model (so memory use is proportional to capacity);
//     if no fraction works (units stranded behind a small device), each device
//     takes as much as the later devices allow.
//  2. Adjustment, in sweeps over the boundaries; target = the mean device load.
//     The released rules: a device below target takes the next device's first
//     unit; otherwise a device more than one unit above target gives its last
//     unit back to a next device that is below target. (The released code
//     compares the device with itself there, so its give-back step can never
//     fire; this one compares with the next device.) When neither rule moves a
//     unit, pair balancing does: the boundary unit goes from the heavier to the
//     lighter device (without it the sweeps stall as soon as a heavy device sits
//     between two devices above the mean; AllocOptions::heuristic_pair_balance).
//     Every move must fit the receiving device's memory and must lower the
//     larger load of the two devices involved: the seed's phase 2 "iteratively
//     lowers the load of the whole system", so the maximum load never rises and
//     the sweeps end (each move lowers the sorted load vector).
// Consequently the result is never worse than the pre-allocation, which is the
// even split whenever that fits in memory. It is a local search: it can stop
// above the optimum when no single-unit move helps (exact.cc finds the optimum).
#include <algorithm>

#include "common/check.h"
#include "partition/allocator.h"
#include "partition/feasibility.h"

namespace skyrun::partition {
namespace {

constexpr int kFillSteps = 1000;  // memory fill fraction resolution: 0.1%

// Fills positions in order, each up to fraction t / kFillSteps of its memory.
bool FillByMemory(const Instance& in, const std::vector<int>& order, int t, bool allow_idle,
                  std::vector<int>* cuts) {
  const int n = in.units();
  const int d = static_cast<int>(order.size());
  const auto& mem = in.memory_prefix();
  cuts->assign(d + 1, 0);
  int pos = 0;
  for (int p = 0; p < d; ++p) {
    Load cap = in.memory_cap_bytes(order[p]) * t / kFillSteps;
    int end =
        static_cast<int>(std::upper_bound(mem.begin() + pos, mem.end(), mem[pos] + cap) - mem.begin()) - 1;
    if (!allow_idle) {
      end = std::min(end, n - (d - 1 - p));
      if (end <= pos) return false;
    }
    if (p == d - 1 && end < n) return false;
    pos = end;
    (*cuts)[p + 1] = pos;
  }
  return pos == n;
}

}  // namespace

AllocResult AllocateHeuristic(const Instance& in, const std::vector<int>& order,
                              const AllocOptions& options) {
  AllocResult r;
  const int d = static_cast<int>(order.size());
  if (!FeasibleAt(in, order, kInfiniteLoad, options.allow_idle)) {
    Infeasibility why = ExplainMemoryInfeasible(in, order, options.allow_idle);
    r.reason = why.reason;
    r.blocking_device = why.device;
    return r;
  }

  // Phase 1: pre-allocation.
  AllocResult even = AllocateEven(in, order, options);
  std::vector<int> cuts;
  if (even.feasible) {
    cuts = even.assignment.cuts;
  } else {
    int lo = 1, hi = kFillSteps + 1;  // smallest t in [1, kFillSteps] that fills, or kFillSteps + 1
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (FillByMemory(in, order, mid, options.allow_idle, &cuts)) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    if (lo > kFillSteps || !FillByMemory(in, order, lo, options.allow_idle, &cuts)) {
      // Filling in order stranded units (a later device too small for what is
      // left): take the split that packs each device as full as the later
      // devices allow instead.
      bool found = MemoryFeasibleSplit(in, order, options.allow_idle, &cuts);
      SKYRUN_CHECK(found);  // FeasibleAt(kInfiniteLoad) held above
    }
  }

  // Phase 2: adjustment.
  std::vector<Load> loads(d);
  for (int p = 0; p < d; ++p) loads[p] = in.StageLoad(order[p], cuts[p], cuts[p + 1]);
  for (int sweep = 0; sweep < options.heuristic_max_sweeps; ++sweep) {
    Load total = 0;
    for (Load l : loads) total += l;
    const Load target = total / d;
    bool changed = false;
    for (int j = 0; j + 1 < d; ++j) {
      const int a = order[j], b = order[j + 1];
      const int count_here = cuts[j + 1] - cuts[j];
      const int count_next = cuts[j + 2] - cuts[j + 1];
      const Load old_max = std::max(loads[j], loads[j + 1]);
      if (loads[j] < target && count_next > 1) {
        // Take the next device's first unit, if it fits here and lowers the pair's maximum.
        const int u = cuts[j + 1];
        Load here = loads[j] + in.slowness(a) * in.UnitFlops(u);
        Load next = loads[j + 1] - in.slowness(b) * in.UnitFlops(u);
        if (in.Memory(cuts[j], u + 1) <= in.memory_cap_bytes(a) && std::max(here, next) < old_max) {
          loads[j] = here;
          loads[j + 1] = next;
          ++cuts[j + 1];
          ++r.take_moves;
          changed = true;
          continue;
        }
      } else if (count_here > 1) {
        // Give the last unit back to the next device.
        const int u = cuts[j + 1] - 1;
        const Load last_unit_here = in.slowness(a) * in.UnitFlops(u);
        if (loads[j + 1] < target && loads[j] > target + last_unit_here &&
            in.Memory(u, cuts[j + 2]) <= in.memory_cap_bytes(b)) {
          Load here = loads[j] - last_unit_here;
          Load next = loads[j + 1] + in.slowness(b) * in.UnitFlops(u);
          if (std::max(here, next) < old_max) {
            loads[j] = here;
            loads[j + 1] = next;
            --cuts[j + 1];
            ++r.give_back_moves;
            changed = true;
            continue;
          }
        }
      }
      if (!options.heuristic_pair_balance) continue;
      // Neither rule fired (both devices above the mean, say): move the unit at
      // the boundary from the heavier device to the lighter if that lowers the pair's maximum.
      if (loads[j] > loads[j + 1] && count_here > 1) {
        const int u = cuts[j + 1] - 1;
        Load here = loads[j] - in.slowness(a) * in.UnitFlops(u);
        Load next = loads[j + 1] + in.slowness(b) * in.UnitFlops(u);
        if (std::max(here, next) < old_max && in.Memory(u, cuts[j + 2]) <= in.memory_cap_bytes(b)) {
          loads[j] = here;
          loads[j + 1] = next;
          --cuts[j + 1];
          ++r.balance_moves;
          changed = true;
        }
      } else if (loads[j + 1] > loads[j] && count_next > 1) {
        const int u = cuts[j + 1];
        Load here = loads[j] + in.slowness(a) * in.UnitFlops(u);
        Load next = loads[j + 1] - in.slowness(b) * in.UnitFlops(u);
        if (std::max(here, next) < old_max && in.Memory(cuts[j], u + 1) <= in.memory_cap_bytes(a)) {
          loads[j] = here;
          loads[j + 1] = next;
          ++cuts[j + 1];
          ++r.balance_moves;
          changed = true;
        }
      }
    }
    r.iterations = sweep + 1;
    if (!changed) break;
  }
  r.assignment.order = order;
  r.assignment.cuts = std::move(cuts);
  r.has_assignment = true;
  r.feasible = true;
  return r;
}

}  // namespace skyrun::partition
