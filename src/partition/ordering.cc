// Free device order: which device holds the first units, which the next...
//
// Starting orders: the given one, fastest first (ties: more memory first) and,
// with links, a chain that starts at the fastest device and always continues
// to the device best linked to the current end. Then a local search over
// swaps of two devices and moves of one device to another place, tried in a
// seeded random order, first improvement taken. An order is kept only if it is
// strictly better; "better" is decided with one feasibility test at the
// current best minus one, so most tries cost a single greedy pass. Every order
// is solved exactly (exact.cc, or exact_comm.cc with links), so the result is
// never worse than 'exact' on the given order.
#include <algorithm>
#include <numeric>

#include "common/rng.h"
#include "partition/allocator.h"
#include "partition/feasibility.h"
#include "partition/lower_bound.h"

namespace skyrun::partition {
namespace {

// With links, each try costs a dynamic program instead of a greedy pass.
constexpr int kLinkEvaluationDivisor = 20;

std::vector<int> FastestFirst(const Instance& in) {
  std::vector<int> order = IdentityOrder(in.devices());
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    if (in.slowness(a) != in.slowness(b)) return in.slowness(a) < in.slowness(b);
    return in.memory_mib(a) > in.memory_mib(b);
  });
  return order;
}

std::vector<int> LinkChain(const Instance& in) {
  std::vector<int64_t> bytes;
  for (int u = 0; u + 1 < in.units(); ++u) bytes.push_back(in.out_bytes(u));
  int64_t typical = 0;
  if (!bytes.empty()) {
    std::nth_element(bytes.begin(), bytes.begin() + bytes.size() / 2, bytes.end());
    typical = bytes[bytes.size() / 2];
  }
  std::vector<int> rest = FastestFirst(in);
  std::vector<int> order = {rest.front()};
  rest.erase(rest.begin());
  while (!rest.empty()) {
    int tail = order.back();
    auto best = std::min_element(rest.begin(), rest.end(), [&](int a, int b) {
      Load la = in.LinkFixed(tail, a) + in.LinkPerByte(tail, a) * typical;
      Load lb = in.LinkFixed(tail, b) + in.LinkPerByte(tail, b) * typical;
      if (la != lb) return la < lb;
      return in.slowness(a) < in.slowness(b);
    });
    order.push_back(*best);
    rest.erase(best);
  }
  return order;
}

// Units that the memory-only greedy fill of `order` places (idle devices allowed).
int MemoryCoverage(const Instance& in, const std::vector<int>& order) {
  int pos = 0;
  for (int dev : order) pos = MaxStageEnd(in, dev, pos, kInfiniteLoad);
  return pos;
}

// An order whose split fits memory: every order for up to kExhaustiveDevices
// devices, else a hill climb on the units the memory-only greedy places.
std::optional<std::vector<int>> FindMemoryFeasibleOrder(const Instance& in, bool allow_idle,
                                                        const AllocOptions& options, int* evaluations) {
  constexpr int kExhaustiveDevices = 8;
  std::vector<int> order = IdentityOrder(in.devices());
  if (in.devices() <= kExhaustiveDevices) {
    do {
      ++*evaluations;
      if (FeasibleAt(in, order, kInfiniteLoad, allow_idle)) return order;
    } while (std::next_permutation(order.begin(), order.end()));
    return std::nullopt;
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return in.memory_mib(a) > in.memory_mib(b); });
  Rng rng(options.seed);
  int covered = MemoryCoverage(in, order);
  for (int step = 0; step < options.order_max_evaluations; ++step) {
    ++*evaluations;
    if (FeasibleAt(in, order, kInfiniteLoad, allow_idle)) return order;
    std::vector<int> candidate = order;
    int p = static_cast<int>(rng.UniformInt(0, in.devices() - 1));
    int q = static_cast<int>(rng.UniformInt(0, in.devices() - 1));
    std::swap(candidate[p], candidate[q]);
    int c = MemoryCoverage(in, candidate);
    if (c >= covered) {
      covered = c;
      order = std::move(candidate);
    }
  }
  return std::nullopt;
}

}  // namespace

AllocResult AllocateOrdered(const Instance& in, const AllocOptions& options) {
  const bool links = in.has_links();
  const bool idle = options.allow_idle;
  auto solve = [&](const std::vector<int>& order) {
    return links ? ExactCommBottleneck(in, order, idle) : ExactBottleneck(in, order, idle);
  };
  int evaluations = 0;
  auto beats = [&](const std::vector<int>& order, Load best) {
    ++evaluations;
    if (best == 0) return false;
    return links ? FeasibleWithLinksAt(in, order, best - 1, idle) : FeasibleAt(in, order, best - 1, idle);
  };

  std::vector<std::vector<int>> starts = {IdentityOrder(in.devices()), FastestFirst(in)};
  if (links) starts.push_back(LinkChain(in));
  std::vector<int> best_order;
  Load best = kInfiniteLoad;
  for (const auto& order : starts) {
    if (!best_order.empty() && !beats(order, best)) continue;
    if (best_order.empty()) ++evaluations;
    if (auto value = solve(order); value && *value < best) {
      best = *value;
      best_order = order;
    }
  }
  if (best_order.empty()) {
    // No starting order fits in memory: look for one that does.
    if (auto fits = FindMemoryFeasibleOrder(in, idle, options, &evaluations)) {
      best_order = *fits;
      best = *solve(best_order);
    }
  }
  if (best_order.empty()) {
    // None found; explain with the given order.
    AllocResult r;
    Infeasibility why = ExplainMemoryInfeasible(in, starts.front(), idle);
    r.reason = why.reason + " (no device order tried fits either)";
    r.blocking_device = why.device;
    r.evaluations = evaluations;
    return r;
  }

  const LowerBound lb = ComputeLowerBound(in);
  const int budget = links ? std::max(1, options.order_max_evaluations / kLinkEvaluationDivisor)
                           : options.order_max_evaluations;
  const int d = in.devices();
  Rng rng(options.seed);
  struct Move {
    int from, to;
    bool swap;
  };
  std::vector<Move> moves;
  for (int p = 0; p < d; ++p) {
    for (int q = 0; q < d; ++q) {
      if (p < q) moves.push_back({p, q, true});
      if (std::abs(p - q) > 1) moves.push_back({p, q, false});
    }
  }
  int passes = 0;
  bool improved = true;
  while (improved && evaluations < budget && best > lb.value) {
    improved = false;
    ++passes;
    std::shuffle(moves.begin(), moves.end(), rng.engine());
    for (const Move& m : moves) {
      if (evaluations >= budget || best <= lb.value) break;
      std::vector<int> candidate = best_order;
      if (m.swap) {
        std::swap(candidate[m.from], candidate[m.to]);
      } else {
        int dev = candidate[m.from];
        candidate.erase(candidate.begin() + m.from);
        candidate.insert(candidate.begin() + m.to, dev);
      }
      if (!beats(candidate, best)) continue;
      if (auto value = solve(candidate); value && *value < best) {
        best = *value;
        best_order = std::move(candidate);
        improved = true;
      }
    }
  }

  AllocResult r = links ? AllocateExactComm(in, best_order, options) : AllocateExact(in, best_order, options);
  r.evaluations = evaluations;
  r.iterations = passes;
  return r;
}

}  // namespace skyrun::partition
