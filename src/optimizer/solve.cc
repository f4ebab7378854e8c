#include "optimizer/solve.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "common/check.h"

namespace skyrun {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Ties within a billionth (relative) are ties: sums in different orders differ in the last bits.
bool Less(double a, double b) {
  return a < b - 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)});
}

bool BetterValues(double a_cost, double a_time, double b_cost, double b_time, PlanObjective objective) {
  double a1 = objective == PlanObjective::kCost ? a_cost : a_time;
  double b1 = objective == PlanObjective::kCost ? b_cost : b_time;
  double a2 = objective == PlanObjective::kCost ? a_time : a_cost;
  double b2 = objective == PlanObjective::kCost ? b_time : b_cost;
  if (Less(a1, b1)) return true;
  if (Less(b1, a1)) return false;
  return Less(a2, b2);
}

double EdgeAt(const std::vector<double>& m, int n, int from, int to) {
  return m.empty() ? 0.0 : m[static_cast<size_t>(from) * n + to];
}

const SolveEdge* EdgeInto(const SolveProblem& p, int stage) {
  for (const SolveEdge& e : p.edges)
    if (e.to == stage) return &e;
  return nullptr;
}

bool WithinLimits(const SolveStage& s, double cost, double time_s) {
  return !(s.budget && Less(*s.budget, cost)) && !(s.deadline_s && Less(*s.deadline_s, time_s));
}

// Sorts by the ranking and keeps the first k.
void KeepBest(std::vector<Solution>& v, size_t k, PlanObjective objective) {
  std::stable_sort(v.begin(), v.end(),
                   [&](const Solution& a, const Solution& b) { return Better(a, b, objective); });
  if (v.size() > k) v.resize(k);
}

// ---- Chain: dynamic programming with the K best partial plans per option ----

struct Partial {
  double cost = 0;
  double time_s = 0;
  int prev_option = -1;
  int prev_rank = -1;  // index into the previous option's list
};

void KeepBestPartials(std::vector<Partial>& v, size_t k, PlanObjective objective) {
  auto better = [&](const Partial& a, const Partial& b) {
    return BetterValues(a.cost, a.time_s, b.cost, b.time_s, objective);
  };
  if (v.size() > k) {
    std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end(), better);
    v.resize(k);
  } else {
    std::sort(v.begin(), v.end(), better);
  }
}

// ---- DAG: branch and bound ----

class BranchAndBound {
 public:
  BranchAndBound(const SolveProblem& p, size_t k) : p_(p), k_(k), n_(p.stages.size()) {
    parents_.resize(n_);
    for (const SolveEdge& e : p.edges) parents_[e.to].push_back(&e);
    order_.resize(n_);
    min_cost_.assign(n_, kInf);
    min_time_.assign(n_, kInf);
    for (size_t s = 0; s < n_; ++s) {
      const auto& opts = p.stages[s].options;
      order_[s].resize(opts.size());
      for (size_t i = 0; i < opts.size(); ++i) {
        order_[s][i] = static_cast<int>(i);
        min_cost_[s] = std::min(min_cost_[s], opts[i].cost);
        min_time_[s] = std::min(min_time_[s], opts[i].time_s);
      }
      std::stable_sort(order_[s].begin(), order_[s].end(), [&](int a, int b) {
        return BetterValues(opts[a].cost, opts[a].time_s, opts[b].cost, opts[b].time_s, p.objective);
      });
    }
    rest_min_cost_.assign(n_ + 1, 0);
    for (size_t s = n_; s-- > 0;) rest_min_cost_[s] = rest_min_cost_[s + 1] + min_cost_[s];
    choice_.assign(n_, -1);
    finish_.assign(n_, 0);
  }

  std::vector<Solution> Run() {
    if (n_ == 0) return {};
    for (size_t s = 0; s < n_; ++s)
      if (p_.stages[s].options.empty()) return {};
    Visit(0, 0, 0);
    return best_;
  }

 private:
  // Lower bound of the makespan when stages [next, n) are still open.
  double TimeBound(size_t next, double max_finish) {
    bound_finish_.assign(n_, 0);
    double bound = max_finish;
    for (size_t s = next; s < n_; ++s) {
      double start = 0;
      for (const SolveEdge* e : parents_[s]) {
        size_t parent = static_cast<size_t>(e->from);
        start = std::max(start, parent < next ? finish_[parent] : bound_finish_[parent]);
      }
      bound_finish_[s] = start + min_time_[s];
      bound = std::max(bound, bound_finish_[s]);
    }
    return bound;
  }

  bool CanBeat(double cost, double time_s) const {
    return best_.size() < k_ ||
           BetterValues(cost, time_s, best_.back().cost, best_.back().time_s, p_.objective);
  }

  void Visit(size_t s, double cost_so_far, double max_finish) {
    const SolveStage& stage = p_.stages[s];
    int n_loc = p_.num_locations;
    for (int o : order_[s]) {
      const SolveOption& opt = stage.options[o];
      // Options are in ranking order and edges add nothing negative: once
      // an option alone cannot beat the K-th plan, no later one can.
      if (best_.size() >= k_) {
        double primary_bound = p_.objective == PlanObjective::kCost
                                   ? cost_so_far + opt.cost + rest_min_cost_[s + 1]
                                   : std::max(max_finish, opt.time_s);
        double worst = p_.objective == PlanObjective::kCost ? best_.back().cost : best_.back().time_s;
        if (Less(worst, primary_bound)) break;
      }
      double stage_cost = opt.cost;
      double stage_time = opt.time_s;
      double start = 0;
      for (const SolveEdge* e : parents_[s]) {
        int from_loc = p_.stages[e->from].options[choice_[e->from]].location;
        stage_cost += EdgeAt(e->cost, n_loc, from_loc, opt.location);
        stage_time += EdgeAt(e->time_s, n_loc, from_loc, opt.location);
        start = std::max(start, finish_[e->from]);
      }
      if (!WithinLimits(stage, stage_cost, stage_time)) continue;
      choice_[s] = o;
      finish_[s] = start + stage_time;
      double cost = cost_so_far + stage_cost;
      double finish = std::max(max_finish, finish_[s]);
      if (s + 1 == n_) {
        if (CanBeat(cost, finish)) {
          best_.push_back(Solution{choice_, cost, finish});
          KeepBest(best_, k_, p_.objective);
        }
        continue;
      }
      if (!CanBeat(cost + rest_min_cost_[s + 1], TimeBound(s + 1, finish))) continue;
      Visit(s + 1, cost, finish);
    }
    choice_[s] = -1;
  }

  const SolveProblem& p_;
  size_t k_;
  size_t n_;
  std::vector<std::vector<const SolveEdge*>> parents_;
  std::vector<std::vector<int>> order_;
  std::vector<double> min_cost_, min_time_, rest_min_cost_;
  std::vector<int> choice_;
  std::vector<double> finish_;
  std::vector<double> bound_finish_;
  std::vector<Solution> best_;
};

}  // namespace

bool Better(const Solution& a, const Solution& b, PlanObjective objective) {
  return BetterValues(a.cost, a.time_s, b.cost, b.time_s, objective);
}

std::optional<Solution> Evaluate(const SolveProblem& problem, const std::vector<int>& choice) {
  size_t n = problem.stages.size();
  SKYRUN_CHECK(choice.size() == n);
  std::vector<double> stage_cost(n), stage_time(n), finish(n, 0), start(n, 0);
  for (size_t s = 0; s < n; ++s) {
    const SolveOption& o = problem.stages[s].options[choice[s]];
    stage_cost[s] = o.cost;
    stage_time[s] = o.time_s;
  }
  for (const SolveEdge& e : problem.edges) {
    int from = problem.stages[e.from].options[choice[e.from]].location;
    int to = problem.stages[e.to].options[choice[e.to]].location;
    stage_cost[e.to] += EdgeAt(e.cost, problem.num_locations, from, to);
    stage_time[e.to] += EdgeAt(e.time_s, problem.num_locations, from, to);
  }
  Solution out{choice, 0, 0};
  for (size_t s = 0; s < n; ++s) {
    if (!WithinLimits(problem.stages[s], stage_cost[s], stage_time[s])) return std::nullopt;
    for (const SolveEdge& e : problem.edges)
      if (static_cast<size_t>(e.to) == s) start[s] = std::max(start[s], finish[e.from]);
    finish[s] = start[s] + stage_time[s];
    out.cost += stage_cost[s];
    out.time_s = std::max(out.time_s, finish[s]);
  }
  return out;
}

bool IsChain(const SolveProblem& problem) {
  size_t n = problem.stages.size();
  if (problem.edges.size() + 1 != n && !(n == 0 && problem.edges.empty())) return false;
  std::vector<int> into(n, 0);
  for (const SolveEdge& e : problem.edges) {
    if (e.from + 1 != e.to) return false;
    if (++into[e.to] > 1) return false;
  }
  return true;
}

namespace {

std::vector<Solution> ChainDp(const SolveProblem& p, size_t k) {
  size_t n = p.stages.size();
  if (n == 0 || k == 0) return {};
  int n_loc = p.num_locations;
  // lists[s][o]: the K best plans of stages 0..s that end with option o.
  std::vector<std::vector<std::vector<Partial>>> lists(n);
  {
    const SolveStage& st = p.stages[0];
    lists[0].resize(st.options.size());
    for (size_t o = 0; o < st.options.size(); ++o) {
      const SolveOption& opt = st.options[o];
      if (WithinLimits(st, opt.cost, opt.time_s)) lists[0][o].push_back({opt.cost, opt.time_s, -1, -1});
    }
  }
  for (size_t s = 1; s < n; ++s) {
    const SolveStage& prev = p.stages[s - 1];
    const SolveStage& st = p.stages[s];
    const SolveEdge* edge = EdgeInto(p, static_cast<int>(s));
    // The K best plans so far per location of stage s-1.
    std::vector<std::vector<Partial>> at(n_loc);
    for (size_t o = 0; o < prev.options.size(); ++o) {
      const auto& list = lists[s - 1][o];
      for (size_t r = 0; r < list.size(); ++r)
        at[prev.options[o].location].push_back(
            {list[r].cost, list[r].time_s, static_cast<int>(o), static_cast<int>(r)});
    }
    std::vector<int> prev_locations;
    for (int l = 0; l < n_loc; ++l) {
      if (at[l].empty()) continue;
      KeepBestPartials(at[l], k, p.objective);
      prev_locations.push_back(l);
    }
    // The K best over all previous locations: each location's list is
    // sorted and its edge adds a constant, so a K-way merge of the heads
    // takes O(locations + K log locations) instead of sorting every entry.
    struct Head {
      Partial value;
      int from_loc;
      size_t next;  // index in at[from_loc] of the entry after this one
      double c, t;
    };
    std::vector<Head> heap;
    auto worse = [&](const Head& a, const Head& b) {
      return BetterValues(b.value.cost, b.value.time_s, a.value.cost, a.value.time_s, p.objective);
    };
    auto merge_into = [&](int to_loc, double extra_cost, double extra_time, bool check_limits,
                          std::vector<Partial>& out) {
      heap.clear();
      for (int from_loc : prev_locations) {
        double c = EdgeAt(edge->cost, n_loc, from_loc, to_loc) + extra_cost;
        double t = EdgeAt(edge->time_s, n_loc, from_loc, to_loc) + extra_time;
        if (check_limits && !WithinLimits(st, c, t)) continue;
        const Partial& q = at[from_loc][0];
        heap.push_back(Head{{q.cost + c, q.time_s + t, q.prev_option, q.prev_rank}, from_loc, 1, c, t});
      }
      std::make_heap(heap.begin(), heap.end(), worse);
      while (!heap.empty() && out.size() < k) {
        std::pop_heap(heap.begin(), heap.end(), worse);
        Head& h = heap.back();
        out.push_back(h.value);
        const auto& list = at[h.from_loc];
        if (h.next < list.size()) {
          const Partial& q = list[h.next++];
          h.value = {q.cost + h.c, q.time_s + h.t, q.prev_option, q.prev_rank};
          std::push_heap(heap.begin(), heap.end(), worse);
        } else {
          heap.pop_back();
        }
      }
    };
    lists[s].resize(st.options.size());
    bool limited = st.budget || st.deadline_s;
    // Without limits, every option of one location extends the same K best plans.
    std::vector<std::vector<Partial>> merged(limited ? 0 : n_loc);
    std::vector<bool> merged_done(limited ? 0 : n_loc, false);
    for (size_t o = 0; o < st.options.size(); ++o) {
      const SolveOption& opt = st.options[o];
      if (limited) {
        merge_into(opt.location, opt.cost, opt.time_s, true, lists[s][o]);
        continue;
      }
      if (!merged_done[opt.location]) {
        merge_into(opt.location, 0, 0, false, merged[opt.location]);
        merged_done[opt.location] = true;
      }
      for (const Partial& q : merged[opt.location])
        lists[s][o].push_back({q.cost + opt.cost, q.time_s + opt.time_s, q.prev_option, q.prev_rank});
    }
  }
  // The K best complete plans, traced back.
  std::vector<Partial> last;
  for (size_t o = 0; o < lists[n - 1].size(); ++o)
    for (size_t r = 0; r < lists[n - 1][o].size(); ++r) {
      const Partial& q = lists[n - 1][o][r];
      last.push_back({q.cost, q.time_s, static_cast<int>(o), static_cast<int>(r)});
    }
  KeepBestPartials(last, k, p.objective);
  std::vector<Solution> out;
  for (const Partial& end : last) {
    std::vector<int> choice(n);
    int o = end.prev_option;
    int r = end.prev_rank;
    for (size_t s = n; s-- > 0;) {
      choice[s] = o;
      const Partial& q = lists[s][o][r];
      o = q.prev_option;
      r = q.prev_rank;
    }
    // Re-add in one order, so that equal plans from either solver read equal.
    if (auto sol = Evaluate(p, choice)) out.push_back(std::move(*sol));
  }
  KeepBest(out, k, p.objective);
  return out;
}

// Options of one stage in one location that K others match or beat on both
// cost and time cannot be needed among the K best plans: edges depend on the
// location only, and the budget and deadline hold for the better ones
// whenever they hold for it, so each of those K makes a plan at least as
// good. (Ordering a location's options by cost, time, index, an option's
// dominators are all before it, and the first K of them are kept.) Keeps
// each location to about K options per stage, for both solvers.
struct Pruned {
  SolveProblem problem;
  std::vector<std::vector<int>> original;  // [stage][kept option] -> option index in the input
};

Pruned Prune(const SolveProblem& p, size_t k) {
  Pruned out;
  out.problem.num_locations = p.num_locations;
  out.problem.edges = p.edges;
  out.problem.objective = p.objective;
  for (const SolveStage& st : p.stages) {
    std::vector<int> order(st.options.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::sort(order.begin(), order.end(), [&](int a, int b) {
      const SolveOption& x = st.options[a];
      const SolveOption& y = st.options[b];
      return std::tie(x.location, x.cost, x.time_s, a) < std::tie(y.location, y.cost, y.time_s, b);
    });
    std::vector<int> kept;
    size_t group_start = 0;
    for (size_t i = 0; i < order.size(); ++i) {
      const SolveOption& o = st.options[order[i]];
      if (i > 0 && st.options[order[i - 1]].location != o.location) group_start = i;
      size_t dominators = 0;
      for (size_t j = group_start; j < i && dominators < k; ++j)
        if (st.options[order[j]].time_s <= o.time_s) ++dominators;
      if (dominators < k) kept.push_back(order[i]);
    }
    std::sort(kept.begin(), kept.end());  // the input's order: ties rank as they would unpruned
    SolveStage reduced;
    reduced.budget = st.budget;
    reduced.deadline_s = st.deadline_s;
    for (int o : kept) reduced.options.push_back(st.options[o]);
    out.problem.stages.push_back(std::move(reduced));
    out.original.push_back(std::move(kept));
  }
  return out;
}

// Solves the pruned problem and maps the plans back to the input's options.
std::vector<Solution> SolvePruned(const SolveProblem& p, size_t k,
                                  std::vector<Solution> (*solver)(const SolveProblem&, size_t)) {
  if (k == 0 || p.stages.empty()) return {};
  Pruned pruned = Prune(p, k);
  std::vector<Solution> out;
  for (const Solution& s : solver(pruned.problem, k)) {
    std::vector<int> choice(s.choice.size());
    for (size_t i = 0; i < choice.size(); ++i) choice[i] = pruned.original[i][s.choice[i]];
    // Re-added in one order, so that equal plans from either solver read equal.
    if (auto sol = Evaluate(p, choice)) out.push_back(std::move(*sol));
  }
  KeepBest(out, k, p.objective);
  return out;
}

std::vector<Solution> DagSearch(const SolveProblem& p, size_t k) {
  return BranchAndBound(p, k).Run();
}

}  // namespace

std::vector<Solution> SolveChain(const SolveProblem& p, size_t k) {
  SKYRUN_CHECK(IsChain(p));
  return SolvePruned(p, k, ChainDp);
}

std::vector<Solution> SolveDag(const SolveProblem& p, size_t k) {
  for (const SolveEdge& e : p.edges)
    SKYRUN_CHECK(e.from >= 0 && e.from < e.to && e.to < static_cast<int>(p.stages.size()));
  return SolvePruned(p, k, DagSearch);
}

std::vector<Solution> Solve(const SolveProblem& p, size_t k) {
  return IsChain(p) ? SolveChain(p, k) : SolveDag(p, k);
}

}  // namespace skyrun
