// Exact partition for a fixed device order with per-boundary communication.
//
// The pipeline alternates compute stages and links; a link joins two
// consecutive non-empty stages (idle devices in between are skipped), and its
// load (latency both ways plus the boundary unit's output and its gradient
// over the link's bandwidth) depends on the boundary, so the greedy test of
// exact.cc no longer applies. Dynamic program over positions k and ends i:
//   f[k][i] = least bottleneck splitting units [0, i) with position k the last
//             non-empty stage, ending at i;
//   h[k][j] = least bottleneck of everything before a stage of position k that
//             starts at j: 0 for j = 0, else min over earlier positions k' of
//             max(f[k'][j], link(k', k, j));
//   f[k][i] = min over j < i of max(h[k][j], load of [j, i) on k),
// scanning j downwards and stopping once the stage alone is no better than the
// best found or breaks memory: O(d^2 n + d n w), w the window scanned.
// A second pass then picks, among splits whose stages and links are all within
// the optimum, the one with the least total (compute and link) load.
#include <algorithm>
#include <deque>

#include "common/check.h"
#include "partition/allocator.h"
#include "partition/feasibility.h"

namespace skyrun::partition {
namespace {

using Table = std::vector<std::vector<Load>>;

Load OptimalBottleneck(const Instance& in, const std::vector<int>& order, bool allow_idle) {
  const int n = in.units();
  const int d = static_cast<int>(order.size());
  const auto& flops = in.flops_prefix();
  Table f(d, std::vector<Load>(n + 1, kInfiniteLoad));
  std::vector<Load> h(n + 1, kInfiniteLoad);
  for (int k = 0; k < d; ++k) {
    const int dev = order[k];
    const Load s = in.slowness(dev);
    const Load cap = in.memory_cap_bytes(dev);
    h[0] = (allow_idle || k == 0) ? 0 : kInfiniteLoad;
    for (int j = 1; j < n; ++j) {
      Load best = kInfiniteLoad;
      for (int kp = allow_idle ? 0 : std::max(0, k - 1); kp < k; ++kp) {
        if (f[kp][j] >= best) continue;
        best = std::min(best, std::max(f[kp][j], in.LinkLoad(order[kp], dev, j)));
      }
      h[j] = best;
    }
    for (int i = 1; i <= n; ++i) {
      Load best = kInfiniteLoad;
      for (int j = i - 1; j >= 0; --j) {
        if (in.Memory(j, i) > cap) break;
        Load stage = s * (flops[i] - flops[j]);
        if (stage >= best) break;
        if (h[j] >= kInfiniteLoad) continue;
        best = std::min(best, std::max(h[j], stage));
      }
      f[k][i] = best;
    }
  }
  if (!allow_idle) return f[d - 1][n];
  Load answer = kInfiniteLoad;
  for (int k = 0; k < d; ++k) answer = std::min(answer, f[k][n]);
  return answer;
}

// Least total load with every stage and link at most `bound`.
bool MinSumSplitWithLinks(const Instance& in, const std::vector<int>& order, Load bound, bool allow_idle,
                          std::vector<int>* cuts) {
  const int n = in.units();
  const int d = static_cast<int>(order.size());
  const auto& flops = in.flops_prefix();
  Table total(d, std::vector<Load>(n + 1, kInfiniteLoad));
  std::vector<std::vector<int>> start(d, std::vector<int>(n + 1, -1));  // stage start for (k, end)
  std::vector<std::vector<int>> prev(d, std::vector<int>(n + 1, -1));   // previous position for (k, start)
  std::vector<Load> enter(n + 1, kInfiniteLoad);
  std::deque<int> window;
  for (int k = 0; k < d; ++k) {
    const int dev = order[k];
    const Load s = in.slowness(dev);
    enter[0] = (allow_idle || k == 0) ? 0 : kInfiniteLoad;
    for (int j = 1; j < n; ++j) {
      enter[j] = kInfiniteLoad;
      for (int kp = allow_idle ? 0 : std::max(0, k - 1); kp < k; ++kp) {
        if (total[kp][j] >= kInfiniteLoad) continue;
        Load link = in.LinkLoad(order[kp], dev, j);
        if (link > bound) continue;
        if (total[kp][j] + link < enter[j]) {
          enter[j] = total[kp][j] + link;
          prev[k][j] = kp;
        }
      }
    }
    auto value = [&](int j) { return enter[j] - s * flops[j]; };
    window.clear();
    int lo = 0, pushed = -1;
    for (int i = 1; i <= n; ++i) {
      while (pushed < i - 1) {
        ++pushed;
        if (enter[pushed] >= kInfiniteLoad) continue;
        while (!window.empty() && value(window.back()) >= value(pushed)) window.pop_back();
        window.push_back(pushed);
      }
      while (lo < i && (in.StageLoad(dev, lo, i) > bound || in.Memory(lo, i) > in.memory_cap_bytes(dev)))
        ++lo;
      while (!window.empty() && window.front() < lo) window.pop_front();
      if (window.empty()) continue;
      int j = window.front();
      total[k][i] = enter[j] + in.StageLoad(dev, j, i);
      start[k][i] = j;
    }
  }
  int last = -1;
  for (int k = allow_idle ? 0 : d - 1; k < d; ++k)
    if (total[k][n] < kInfiniteLoad && (last < 0 || total[k][n] < total[last][n])) last = k;
  if (last < 0) return false;
  cuts->assign(d + 1, n);
  int k = last, i = n;
  while (k >= 0) {
    int j = start[k][i];
    (*cuts)[k + 1] = i;
    (*cuts)[k] = j;
    int kp = j == 0 ? -1 : prev[k][j];
    for (int q = kp + 1; q < k; ++q) (*cuts)[q + 1] = j;  // idle positions between the two stages
    if (j == 0) {
      for (int q = 0; q <= k; ++q) (*cuts)[q] = 0;
      (*cuts)[k + 1] = i;
      break;
    }
    k = kp;
    i = j;
  }
  (*cuts)[0] = 0;
  return true;
}

}  // namespace

std::optional<Load> ExactCommBottleneck(const Instance& in, const std::vector<int>& order, bool allow_idle) {
  Load best = OptimalBottleneck(in, order, allow_idle);
  if (best >= kInfiniteLoad) return std::nullopt;
  return best;
}

AllocResult AllocateExactComm(const Instance& in, const std::vector<int>& order,
                              const AllocOptions& options) {
  AllocResult r;
  std::optional<Load> best = ExactCommBottleneck(in, order, options.allow_idle);
  if (!best) {
    Infeasibility why = ExplainMemoryInfeasible(in, order, options.allow_idle);
    r.reason = why.reason;
    r.blocking_device = why.device;
    return r;
  }
  r.assignment.order = order;
  bool found = MinSumSplitWithLinks(in, order, *best, options.allow_idle, &r.assignment.cuts);
  SKYRUN_CHECK(found);  // the first pass proved a split exists at *best
  r.has_assignment = true;
  r.feasible = true;
  return r;
}

}  // namespace skyrun::partition
