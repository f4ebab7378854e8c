// The hot path must not allocate: after a warm-up evaluation, evaluating a
// Requirements expression (and one that builds strings in the scratch) makes
// no call to operator new. Counted by replacing the global operator new in
// this test binary.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <new>

#include "expr/compiled.h"
#include "expr/matcher.h"
#include "expr/parser.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// GCC cannot see that the replaced operator new pairs with free().
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}

namespace skyrun::expr {
namespace {

long CountAllocations(const std::function<void()>& fn) {
  g_allocations = 0;
  g_counting = true;
  fn();
  g_counting = false;
  return g_allocations.load();
}

TEST(AllocationTest, EvaluationDoesNotAllocateAfterWarmUp) {
  const char* texts[] = {
      ("GpuMemoryMB >= 40000 && member(Country, {\"US\", \"DE\"}) && Cpus >= 8 && HourlyPrice < 30 && "
       "regexp(\"A100|H100\", GpuModel)"),
      "strcat(toLower(GpuModel), \"-\", Cpus) == \"a100-80gb-16\" && size(union(Labels, {\"x\", Country})) > "
      "1",
      "ifThenElse(Cpus > 4, {Cpus, Country}[1], substr(GpuModel, 1, 3)) ?: \"none\"",
  };
  Schema job, node;
  Ad n(&node);
  n.SetInt("GpuMemoryMB", 81920);
  n.SetString("Country", "US");
  n.SetInt("Cpus", 16);
  n.SetReal("HourlyPrice", 12.5);
  n.SetString("GpuModel", "A100-80GB");
  n.SetStringList("Labels", {"nvme", "ib"});
  Ad j(&job);
  for (const char* text : texts) {
    auto e = Parse(text);
    ASSERT_TRUE(e.ok()) << e.status().message();
    auto c = Compile(*e, job, node);
    ASSERT_TRUE(c.ok());
    EvalScratch scratch;
    Value first = Evaluate(*c, j, &n, scratch);  // warm-up: the scratch grows its arena
    ASSERT_FALSE(first.IsError()) << text;
    long allocations = CountAllocations([&] {
      for (int k = 0; k < 1000; ++k) Evaluate(*c, j, &n, scratch);
    });
    EXPECT_EQ(allocations, 0) << text;
  }
}

TEST(AllocationTest, MatchingWithoutExplanationDoesNotAllocate) {
  Schema job, node;
  auto m = Matcher::Create("Gpus >= 1 && member(Country, {\"US\"})", "-HourlyPrice", job, node);
  ASSERT_TRUE(m.ok());
  auto policy = Condition::Create("TARGET.JobClass == \"training\"", node, job);
  ASSERT_TRUE(policy.ok());
  Ad n(&node);
  n.SetInt("Gpus", 8);
  n.SetString("Country", "DE");
  Ad j(&job);
  j.SetString("JobClass", "training");
  EvalScratch scratch;
  m->Match(j, n, &*policy, scratch);
  long allocations = CountAllocations([&] {
    for (int k = 0; k < 1000; ++k) {
      auto r = m->Match(j, n, &*policy, scratch);
      if (r.matched) std::abort();
    }
  });
  EXPECT_EQ(allocations, 0);
}

}  // namespace
}  // namespace skyrun::expr
