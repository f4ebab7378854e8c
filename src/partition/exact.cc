// Exact partition for a fixed device order, compute only.
//
// 1. The optimal bottleneck T*: the smallest integer T for which FeasibleAt
//    holds (every stage load is an integer, so bisection over integers ends on
//    the optimum itself, not an approximation). Each test is a greedy pass with
//    one binary search per device: O(d log n); about 60 tests.
// 2. The assignment: among all splits with every stage at most T* and within
//    memory, the one with the least total load (the sequential cost), by a
//    dynamic program over (position, boundary) whose window minimum is kept in
//    a monotone deque: O(d n). Without it the greedy's split would pile units
//    onto the first devices and leave the last ones idle.
#include <algorithm>
#include <deque>

#include "common/check.h"
#include "partition/allocator.h"
#include "partition/feasibility.h"

namespace skyrun::partition {
namespace {

Load UpperBound(const Instance& in) {
  int64_t slowest = 0;
  for (int dev = 0; dev < in.devices(); ++dev) slowest = std::max(slowest, in.slowness(dev));
  return static_cast<Load>(slowest) * in.TotalFlops();
}

// The least-total split with every stage load <= bound; false if none.
bool MinSumSplit(const Instance& in, const std::vector<int>& order, Load bound, bool allow_idle,
                 std::vector<int>* cuts) {
  const int n = in.units();
  const int d = static_cast<int>(order.size());
  const auto& flops = in.flops_prefix();
  std::vector<Load> best(n + 1, kInfiniteLoad), next(n + 1, kInfiniteLoad);
  std::vector<std::vector<int>> choice(d, std::vector<int>(n + 1, -1));
  best[0] = 0;
  std::deque<int> window;  // candidate starts j, values best[j] - s * flops[j] increasing
  for (int k = 0; k < d; ++k) {
    const int dev = order[k];
    const Load s = in.slowness(dev);
    auto value = [&](int j) { return best[j] - s * flops[j]; };
    window.clear();
    std::fill(next.begin(), next.end(), kInfiniteLoad);
    int lo = 0;
    int pushed = -1;  // last start pushed
    for (int i = 0; i <= n; ++i) {
      // Starts that may end at i: j <= i (idle allowed) or j <= i - 1.
      int newest = allow_idle ? i : i - 1;
      while (pushed < newest) {
        ++pushed;
        if (best[pushed] >= kInfiniteLoad) continue;
        while (!window.empty() && value(window.back()) >= value(pushed)) window.pop_back();
        window.push_back(pushed);
      }
      while (lo < i && (in.StageLoad(dev, lo, i) > bound || in.Memory(lo, i) > in.memory_cap_bytes(dev)))
        ++lo;
      while (!window.empty() && window.front() < lo) window.pop_front();
      if (window.empty()) continue;
      int j = window.front();
      next[i] = best[j] + in.StageLoad(dev, j, i);
      choice[k][i] = j;
    }
    std::swap(best, next);
  }
  if (best[n] >= kInfiniteLoad) return false;
  cuts->assign(d + 1, 0);
  int i = n;
  for (int k = d - 1; k >= 0; --k) {
    (*cuts)[k + 1] = i;
    i = choice[k][i];
  }
  (*cuts)[0] = i;
  return i == 0;
}

}  // namespace

std::optional<Load> ExactBottleneck(const Instance& in, const std::vector<int>& order, bool allow_idle) {
  Load hi = UpperBound(in);
  if (!FeasibleAt(in, order, hi, allow_idle)) return std::nullopt;  // only memory can forbid it
  Load lo = 0;
  while (lo < hi) {
    Load mid = lo + (hi - lo) / 2;
    if (FeasibleAt(in, order, mid, allow_idle)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return hi;
}

AllocResult AllocateExact(const Instance& in, const std::vector<int>& order, const AllocOptions& options) {
  AllocResult r;
  std::optional<Load> best = ExactBottleneck(in, order, options.allow_idle);
  if (!best) {
    Infeasibility why = ExplainMemoryInfeasible(in, order, options.allow_idle);
    r.reason = why.reason;
    r.blocking_device = why.device;
    return r;
  }
  r.assignment.order = order;
  bool found = MinSumSplit(in, order, *best, options.allow_idle, &r.assignment.cuts);
  SKYRUN_CHECK(found);  // the bisection proved a split exists at *best
  r.has_assignment = true;
  r.feasible = true;
  return r;
}

}  // namespace skyrun::partition
