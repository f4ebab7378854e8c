#include "scheduler/flat_set.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <utility>

namespace skyrun {
namespace {

TEST(FlatSetTest, KeepsOrderAndUniquenessAsStdSetDoes) {
  FlatSet<std::pair<int64_t, int>> flat;
  std::set<std::pair<int64_t, int>> tree;
  std::mt19937 rng(7);
  for (int step = 0; step < 5000; ++step) {
    std::pair<int64_t, int> v{static_cast<int64_t>(rng() % 50) * 100, static_cast<int>(rng() % 20)};
    if (rng() % 3 == 0) {
      EXPECT_EQ(flat.erase(v), tree.erase(v)) << "step " << step;
    } else {
      EXPECT_EQ(flat.insert(v), tree.insert(v).second) << "step " << step;
    }
    ASSERT_EQ(flat.size(), tree.size());
    std::pair<int64_t, int> probe{static_cast<int64_t>(rng() % 60) * 100, 0};
    auto f = flat.lower_bound(probe);
    auto t = tree.lower_bound(probe);
    ASSERT_EQ(f == flat.end(), t == tree.end()) << "step " << step;
    if (t != tree.end()) {
      EXPECT_EQ(*f, *t) << "step " << step;
    }
  }
  EXPECT_TRUE(std::equal(flat.begin(), flat.end(), tree.begin(), tree.end()));
  EXPECT_TRUE(std::equal(flat.rbegin(), flat.rend(), tree.rbegin(), tree.rend()));
  EXPECT_EQ(flat.empty(), tree.empty());
}

// Bookings take a large class's lowest node again and again and put nodes
// back anywhere: the room kept in front must never reorder or lose one.
TEST(FlatSetTest, TakingFromTheFrontAndPuttingBackKeepsTheOrder) {
  FlatSet<std::pair<int64_t, int>> flat;
  std::set<std::pair<int64_t, int>> tree;
  for (int i = 0; i < 3000; ++i) {
    ASSERT_TRUE(flat.insert({1000, i}));
    tree.insert({1000, i});
  }
  std::mt19937 rng(11);
  for (int step = 0; step < 20000; ++step) {
    if (step % 5 != 4 && !tree.empty()) {
      auto lowest = *tree.begin();
      ASSERT_EQ(flat.front(), lowest);
      ASSERT_EQ(flat.erase(lowest), 1u);
      tree.erase(lowest);
    } else {
      std::pair<int64_t, int> v{static_cast<int64_t>(rng() % 3) * 500, static_cast<int>(rng() % 4000)};
      ASSERT_EQ(flat.insert(v), tree.insert(v).second);
    }
    ASSERT_EQ(flat.size(), tree.size());
    if (step % 997 == 0) {
      ASSERT_TRUE(std::equal(flat.begin(), flat.end(), tree.begin(), tree.end())) << "step " << step;
      ASSERT_TRUE(std::equal(flat.rbegin(), flat.rend(), tree.rbegin(), tree.rend())) << "step " << step;
    }
  }
  EXPECT_TRUE(std::equal(flat.begin(), flat.end(), tree.begin(), tree.end()));
}

TEST(FlatSetTest, ErasingWhatIsNotThereChangesNothing) {
  FlatSet<int> s;
  EXPECT_EQ(s.erase(3), 0u);
  EXPECT_TRUE(s.insert(3));
  EXPECT_FALSE(s.insert(3));
  EXPECT_EQ(s.erase(4), 0u);
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.front(), 3);
  EXPECT_EQ(s.erase(3), 1u);
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace skyrun
