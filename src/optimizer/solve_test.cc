// The exact solvers (solve.h) against brute force: every assignment of
// options to stages evaluated and ranked, on seeded random chains and DAGs
// (a diamond among them), with budgets and deadlines that make some plans
// infeasible, for both objectives.
#include "optimizer/solve.h"

#include <gtest/gtest.h>

#include <functional>

#include "common/rng.h"

namespace skyrun {
namespace {

std::vector<Solution> BruteForce(const SolveProblem& p, size_t k) {
  std::vector<Solution> all;
  std::vector<int> choice(p.stages.size(), 0);
  std::function<void(size_t)> visit = [&](size_t s) {
    if (s == p.stages.size()) {
      if (auto sol = Evaluate(p, choice)) all.push_back(*sol);
      return;
    }
    for (size_t o = 0; o < p.stages[s].options.size(); ++o) {
      choice[s] = static_cast<int>(o);
      visit(s + 1);
    }
  };
  visit(0);
  std::stable_sort(all.begin(), all.end(),
                   [&](const Solution& a, const Solution& b) { return Better(a, b, p.objective); });
  if (all.size() > k) all.resize(k);
  return all;
}

// Random options and location-dependent edges over `edges` (from, to).
SolveProblem RandomProblem(Rng& rng, int stages, const std::vector<std::pair<int, int>>& edges,
                           PlanObjective objective, bool limits) {
  SolveProblem p;
  p.num_locations = static_cast<int>(rng.UniformInt(2, 5));
  p.objective = objective;
  for (int s = 0; s < stages; ++s) {
    SolveStage st;
    int options = static_cast<int>(rng.UniformInt(1, 6));
    for (int o = 0; o < options; ++o) {
      // Small integers make exact ties common, which the ranking must handle.
      st.options.push_back(SolveOption{static_cast<int>(rng.UniformInt(0, p.num_locations - 1)),
                                       static_cast<double>(rng.UniformInt(1, 20)),
                                       static_cast<double>(rng.UniformInt(1, 20))});
    }
    if (limits && rng.Uniform01() < 0.5) st.budget = static_cast<double>(rng.UniformInt(5, 40));
    if (limits && rng.Uniform01() < 0.5) st.deadline_s = static_cast<double>(rng.UniformInt(5, 40));
    p.stages.push_back(std::move(st));
  }
  for (auto [from, to] : edges) {
    SolveEdge e;
    e.from = from;
    e.to = to;
    if (rng.Uniform01() < 0.8) {
      size_t cells = static_cast<size_t>(p.num_locations) * p.num_locations;
      for (size_t i = 0; i < cells; ++i) {
        bool same = i / p.num_locations == i % p.num_locations;
        e.cost.push_back(same ? 0 : static_cast<double>(rng.UniformInt(0, 15)));
        e.time_s.push_back(same ? 0 : static_cast<double>(rng.UniformInt(0, 15)));
      }
    }
    p.edges.push_back(std::move(e));
  }
  return p;
}

void ExpectSameRanking(const std::vector<Solution>& got, const std::vector<Solution>& want,
                       const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_DOUBLE_EQ(got[i].cost, want[i].cost) << what << " plan " << i;
    EXPECT_DOUBLE_EQ(got[i].time_s, want[i].time_s) << what << " plan " << i;
  }
}

TEST(SolveTest, ChainDynamicProgrammingMatchesBruteForce) {
  Rng rng(12);
  for (int trial = 0; trial < 300; ++trial) {
    int n = static_cast<int>(rng.UniformInt(1, 4));
    std::vector<std::pair<int, int>> edges;
    for (int s = 1; s < n; ++s) edges.push_back({s - 1, s});
    auto objective = trial % 2 ? PlanObjective::kTime : PlanObjective::kCost;
    SolveProblem p = RandomProblem(rng, n, edges, objective, trial % 3 == 0);
    ASSERT_TRUE(IsChain(p));
    size_t k = static_cast<size_t>(rng.UniformInt(1, 8));
    ExpectSameRanking(SolveChain(p, k), BruteForce(p, k), "chain trial " + std::to_string(trial));
  }
}

TEST(SolveTest, DiamondBranchAndBoundMatchesBruteForce) {
  // a -> b, a -> c, b -> d, c -> d: the makespan takes the longer branch.
  Rng rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    auto objective = trial % 2 ? PlanObjective::kTime : PlanObjective::kCost;
    SolveProblem p = RandomProblem(rng, 4, {{0, 1}, {0, 2}, {1, 3}, {2, 3}}, objective, trial % 3 == 0);
    ASSERT_FALSE(IsChain(p));
    size_t k = static_cast<size_t>(rng.UniformInt(1, 8));
    ExpectSameRanking(SolveDag(p, k), BruteForce(p, k), "diamond trial " + std::to_string(trial));
  }
}

TEST(SolveTest, OtherDagsAndChainsThroughBranchAndBoundMatchBruteForce) {
  Rng rng(99);
  for (int trial = 0; trial < 200; ++trial) {
    int n = static_cast<int>(rng.UniformInt(1, 5));
    std::vector<std::pair<int, int>> edges;
    for (int to = 1; to < n; ++to)
      for (int from = 0; from < to; ++from)
        if (rng.Uniform01() < 0.4) edges.push_back({from, to});
    auto objective = trial % 2 ? PlanObjective::kTime : PlanObjective::kCost;
    SolveProblem p = RandomProblem(rng, n, edges, objective, trial % 4 == 0);
    size_t k = static_cast<size_t>(rng.UniformInt(1, 6));
    ExpectSameRanking(SolveDag(p, k), BruteForce(p, k), "dag trial " + std::to_string(trial));
    ExpectSameRanking(Solve(p, k), BruteForce(p, k), "solve trial " + std::to_string(trial));
  }
}

TEST(SolveTest, ManyOptionsPerLocationArePrunedWithoutLosingAPlan) {
  // Ten options per stage in two or three locations: most are matched or
  // beaten by K others in their location, and pruning must keep the K best.
  Rng rng(2026);
  for (int trial = 0; trial < 200; ++trial) {
    auto objective = trial % 2 ? PlanObjective::kTime : PlanObjective::kCost;
    bool diamond = trial % 3 == 0;
    std::vector<std::pair<int, int>> edges =
        diamond ? std::vector<std::pair<int, int>>{{0, 1}, {0, 2}, {1, 3}, {2, 3}}
                : std::vector<std::pair<int, int>>{{0, 1}, {1, 2}, {2, 3}};
    SolveProblem p = RandomProblem(rng, 4, edges, objective, trial % 4 == 0);
    p.num_locations = static_cast<int>(rng.UniformInt(2, 3));
    for (SolveEdge& e : p.edges)
      if (!e.cost.empty()) {
        e.cost.resize(static_cast<size_t>(p.num_locations) * p.num_locations);
        e.time_s.resize(e.cost.size());
      }
    for (SolveStage& st : p.stages) {
      st.options.clear();
      for (int o = 0; o < 10; ++o)
        st.options.push_back(SolveOption{static_cast<int>(rng.UniformInt(0, p.num_locations - 1)),
                                         static_cast<double>(rng.UniformInt(1, 8)),
                                         static_cast<double>(rng.UniformInt(1, 8))});
    }
    size_t k = static_cast<size_t>(rng.UniformInt(1, 5));
    ExpectSameRanking(Solve(p, k), BruteForce(p, k), "pruning trial " + std::to_string(trial));
  }
}

TEST(SolveTest, DataMovesTheChildOnlyWhenItPays) {
  // Two locations; stage 0 costs 10 in 0 and 20 in 1; stage 1 costs 8 in 0
  // and 5 in 1. Moving the data 0 -> 1 for 5: (0,0) = 18 beats (0,1) = 20 and
  // (1,1) = 25, so stage 1 stays. At 2, (0,1) = 17 wins: it moves.
  SolveProblem p;
  p.num_locations = 2;
  p.stages = {SolveStage{{{0, 10, 1}, {1, 20, 1}}, {}, {}}, SolveStage{{{0, 8, 1}, {1, 5, 1}}, {}, {}}};
  p.edges = {SolveEdge{0, 1, {0, 5, 5, 0}, {}}};
  auto best = SolveChain(p, 1);
  ASSERT_EQ(best.size(), 1u);
  EXPECT_EQ(best[0].choice, (std::vector<int>{0, 0}));
  EXPECT_DOUBLE_EQ(best[0].cost, 18);
  p.edges[0].cost = {0, 2, 2, 0};
  best = SolveChain(p, 1);
  EXPECT_EQ(best[0].choice, (std::vector<int>{0, 1}));
  EXPECT_DOUBLE_EQ(best[0].cost, 17);
}

TEST(SolveTest, NothingFeasibleGivesNoPlan) {
  SolveProblem p;
  p.num_locations = 1;
  p.stages = {SolveStage{{{0, 10, 1}}, 5.0, {}}};
  EXPECT_TRUE(SolveChain(p, 3).empty());
  EXPECT_TRUE(SolveDag(p, 3).empty());
}

}  // namespace
}  // namespace skyrun
