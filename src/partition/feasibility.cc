#include "partition/feasibility.h"

#include <algorithm>

#include "partition/assignment.h"

namespace skyrun::partition {
namespace {

int LastIndexAtMost(const std::vector<Load>& prefix, int first, Load limit) {
  auto it = std::upper_bound(prefix.begin() + first, prefix.end(), limit);
  return static_cast<int>(it - prefix.begin()) - 1;
}

bool StageFits(const Instance& in, int dev, int first, int end, Load bound) {
  return in.StageLoad(dev, first, end) <= bound && in.Memory(first, end) <= in.memory_cap_bytes(dev);
}

}  // namespace

int MaxStageEnd(const Instance& in, int dev, int first, Load bound) {
  const auto& flops = in.flops_prefix();
  const auto& mem = in.memory_prefix();
  Load flops_limit = bound >= kInfiniteLoad ? kInfiniteLoad : bound / in.slowness(dev);
  int by_flops = LastIndexAtMost(flops, first, flops[first] + flops_limit);
  int by_mem = LastIndexAtMost(mem, first, mem[first] + in.memory_cap_bytes(dev));
  return std::min(by_flops, by_mem);
}

bool FeasibleAt(const Instance& in, const std::vector<int>& order, Load bound, bool allow_idle) {
  const int n = in.units();
  if (allow_idle) {
    int pos = 0;
    for (int dev : order) {
      pos = MaxStageEnd(in, dev, pos, bound);
      if (pos == n) return true;
    }
    return pos == n;
  }
  // reach[i]: units [0, i) can be split over the positions so far, each non-empty.
  std::vector<char> reach(n + 1, 0), next(n + 1, 0);
  std::vector<int> count(n + 2, 0);
  reach[0] = 1;
  for (int dev : order) {
    for (int j = 0; j <= n; ++j) count[j + 1] = count[j] + reach[j];
    int lo = 0;
    next[0] = 0;
    for (int i = 1; i <= n; ++i) {
      while (lo < i && !StageFits(in, dev, lo, i, bound)) ++lo;
      next[i] = lo <= i - 1 && count[i] - count[lo] > 0;
    }
    std::swap(reach, next);
  }
  return reach[n] != 0;
}

bool FeasibleWithLinksAt(const Instance& in, const std::vector<int>& order, Load bound, bool allow_idle) {
  const int n = in.units();
  const int d = static_cast<int>(order.size());
  // reach[k][i]: units [0, i) split with position k the last non-empty stage, ending at i.
  std::vector<std::vector<char>> reach(d, std::vector<char>(n + 1, 0));
  std::vector<char> enter(n + 1, 0);  // can position k start a stage at unit j?
  std::vector<int> count(n + 2, 0);
  for (int k = 0; k < d; ++k) {
    const int dev = order[k];
    enter[0] = allow_idle || k == 0;
    for (int j = 1; j < n; ++j) {
      enter[j] = 0;
      int from = allow_idle ? 0 : k - 1;
      for (int kp = std::max(0, from); kp < k && !enter[j]; ++kp) {
        if (reach[kp][j] && in.LinkLoad(order[kp], dev, j) <= bound) enter[j] = 1;
      }
    }
    enter[n] = 0;
    for (int j = 0; j <= n; ++j) count[j + 1] = count[j] + enter[j];
    int lo = 0;
    for (int i = 1; i <= n; ++i) {
      while (lo < i && !StageFits(in, dev, lo, i, bound)) ++lo;
      reach[k][i] = lo <= i - 1 && count[i] - count[lo] > 0;
    }
  }
  if (!allow_idle) return reach[d - 1][n] != 0;
  for (int k = 0; k < d; ++k)
    if (reach[k][n]) return true;
  return false;
}

bool MemoryFeasibleSplit(const Instance& in, const std::vector<int>& order, bool allow_idle,
                         std::vector<int>* cuts) {
  const int n = in.units();
  const int d = static_cast<int>(order.size());
  // can[k][i]: positions k..d-1 can hold units [i, n).
  std::vector<std::vector<char>> can(d + 1, std::vector<char>(n + 1, 0));
  can[d][n] = 1;
  std::vector<int> count(n + 2, 0);  // count[i] = number of e < i with can[k + 1][e]
  for (int k = d - 1; k >= 0; --k) {
    for (int e = 0; e <= n; ++e) count[e + 1] = count[e] + can[k + 1][e];
    for (int i = 0; i <= n; ++i) {
      int last = MaxStageEnd(in, order[k], i, kInfiniteLoad);
      int first = allow_idle ? i : i + 1;
      can[k][i] = first <= last && count[last + 1] - count[first] > 0;
    }
  }
  if (!can[0][0]) return false;
  cuts->assign(d + 1, 0);
  int pos = 0;
  for (int k = 0; k < d; ++k) {
    int e = MaxStageEnd(in, order[k], pos, kInfiniteLoad);
    while (!can[k + 1][e]) --e;
    pos = e;
    (*cuts)[k + 1] = pos;
  }
  return pos == n;
}

Infeasibility ExplainMemoryInfeasible(const Instance& in, const std::vector<int>& order, bool allow_idle) {
  const int n = in.units();
  const int d = static_cast<int>(order.size());
  if (!allow_idle && d > n) {
    return {std::to_string(n) + " units cannot give each of the " + std::to_string(d) +
                " devices at least one unit; allow idle devices or use fewer devices",
            ""};
  }
  int largest = 0;
  for (int dev = 1; dev < in.devices(); ++dev)
    if (in.memory_mib(dev) > in.memory_mib(largest)) largest = dev;
  for (int u = 0; u < n; ++u) {
    if (in.UnitMemory(u) > in.memory_cap_bytes(largest)) {
      return {"unit " + std::to_string(u) + " '" + in.unit_name(u) + "' needs " +
                  MiBString(in.UnitMemory(u)) + " but the largest device '" + in.device_name(largest) +
                  "' has " + std::to_string(in.memory_mib(largest)) +
                  " MiB; no device can hold it (reduce the batch or "
                  "split the unit)",
              in.device_name(largest)};
    }
  }
  int pos = 0;
  for (int dev : order) pos = MaxStageEnd(in, dev, pos, kInfiniteLoad);
  if (pos < n) {
    int last = order.back();
    return {"memory runs out in this device order: units " + std::to_string(pos) + ".." +
                std::to_string(n - 1) + " ('" + in.unit_name(pos) + "' .. '" + in.unit_name(n - 1) + "', " +
                MiBString(in.Memory(pos, n)) + ") are left after every device is filled; the last device '" +
                in.device_name(last) + "' (" + std::to_string(in.memory_mib(last)) +
                " MiB) cannot also hold unit '" + in.unit_name(pos) + "' (" + MiBString(in.UnitMemory(pos)) +
                "). Add devices or memory, or reduce the batch",
            in.device_name(last)};
  }
  return {"no split gives every device at least one unit within its memory; allow idle devices", ""};
}

}  // namespace skyrun::partition
