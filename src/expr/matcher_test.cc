#include "expr/matcher.h"

#include <gtest/gtest.h>

namespace skyrun::expr {
namespace {

class MatcherTest : public ::testing::Test {
 protected:
  Ad Node(int64_t gpu_memory, const char* country, double price) {
    Ad ad(&node_schema_);
    ad.SetInt("Gpus", 8);
    if (gpu_memory > 0) ad.SetInt("GpuMemoryMB", gpu_memory);
    ad.SetString("Country", country);
    ad.SetReal("HourlyPrice", price);
    return ad;
  }
  Schema job_schema_, node_schema_;
  EvalScratch scratch_;
};

TEST_F(MatcherTest, RequirementsMustBeExactlyTrue) {
  auto m = Matcher::Create("GpuMemoryMB >= 40000 && member(Country, {\"US\",\"DE\"})", "", job_schema_,
                           node_schema_);
  ASSERT_TRUE(m.ok()) << m.status().message();
  Ad job(&job_schema_);
  EXPECT_TRUE(m->Match(job, Node(81920, "US", 10), nullptr, scratch_).matched);
  EXPECT_TRUE(m->Match(job, Node(40000, "de", 10), nullptr, scratch_).matched);

  auto small = m->Match(job, Node(24576, "US", 10), nullptr, scratch_, /*explain=*/true);
  EXPECT_FALSE(small.matched);
  EXPECT_EQ(small.failure, MatchResult::Failure::kRequirements);
  EXPECT_EQ(small.reason, "requirements: GpuMemoryMB >= 40000 is FALSE (GpuMemoryMB = 24576)");

  auto france = m->Match(job, Node(81920, "FR", 10), nullptr, scratch_, true);
  EXPECT_EQ(france.reason, "requirements: member(Country, {\"US\", \"DE\"}) is FALSE (Country = \"FR\")");

  auto unknown = m->Match(job, Node(0, "US", 10), nullptr, scratch_, true);
  EXPECT_FALSE(unknown.matched);
  EXPECT_EQ(unknown.reason, "requirements: GpuMemoryMB >= 40000 is UNDEFINED (GpuMemoryMB is UNDEFINED)");

  // The fast path gives the same verdict without the words.
  auto quiet = m->Match(job, Node(24576, "US", 10), nullptr, scratch_);
  EXPECT_FALSE(quiet.matched);
  EXPECT_TRUE(quiet.reason.empty());
}

TEST_F(MatcherTest, ExplanationsNameErrorsAndNonBooleans) {
  Ad job(&job_schema_);
  Ad node = Node(81920, "US", 10);
  node.SetInt("Zero", 0);
  auto err = Matcher::Create("Gpus > 0 && Gpus / Zero > 1", "", job_schema_, node_schema_);
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(err->Match(job, node, nullptr, scratch_, true).reason,
            "requirements: Gpus / Zero > 1 is ERROR (division by zero) (Gpus = 8, Zero = 0)");
  auto number = Matcher::Create("Gpus", "", job_schema_, node_schema_);  // CheckRequirements refuses this
  ASSERT_TRUE(number.ok());
  EXPECT_EQ(number->Match(job, node, nullptr, scratch_, true).reason,
            "requirements: Gpus is 8, not a boolean (Gpus = 8)");
}

TEST_F(MatcherTest, NodePolicyMustBeTrueAgainstTheJob) {
  auto m = Matcher::Create("", "", job_schema_, node_schema_);
  ASSERT_TRUE(m.ok());
  // "Only training jobs", and tenant-aware anti-affinity: never a tenant that
  // the node's current tenants distrust.
  auto policy =
      Condition::Create("TARGET.JobClass == \"training\" && !member(TARGET.Tenant, MY.DistrustedTenants)",
                        node_schema_, job_schema_);
  ASSERT_TRUE(policy.ok()) << policy.status().message();
  Ad node = Node(81920, "US", 10);
  node.SetStringList("DistrustedTenants", {"rival"});

  Ad training(&job_schema_);
  training.SetString("JobClass", "training");
  training.SetString("Tenant", "acme");
  EXPECT_TRUE(m->Match(training, node, &*policy, scratch_).matched);

  Ad serving(&job_schema_);
  serving.SetString("JobClass", "inference");
  serving.SetString("Tenant", "acme");
  auto r = m->Match(serving, node, &*policy, scratch_, true);
  EXPECT_FALSE(r.matched);
  EXPECT_EQ(r.failure, MatchResult::Failure::kPolicy);
  EXPECT_EQ(r.reason,
            "node policy: TARGET.JobClass == \"training\" is FALSE (TARGET.JobClass = \"inference\")");

  Ad rival(&job_schema_);
  rival.SetString("JobClass", "training");
  rival.SetString("Tenant", "Rival");
  EXPECT_EQ(m->Match(rival, node, &*policy, scratch_, true).reason,
            "node policy: !member(TARGET.Tenant, MY.DistrustedTenants) is FALSE (TARGET.Tenant = \"Rival\", "
            "MY.DistrustedTenants = {\"rival\"})");
}

TEST_F(MatcherTest, RankOrdersMatchesAndIsOnlyANumber) {
  auto m = Matcher::Create("Gpus > 0", "-HourlyPrice", job_schema_, node_schema_);
  ASSERT_TRUE(m.ok());
  Ad job(&job_schema_);
  auto cheap = m->Match(job, Node(1, "US", 3.5), nullptr, scratch_);
  auto dear = m->Match(job, Node(1, "US", 30), nullptr, scratch_);
  ASSERT_TRUE(cheap.matched && dear.matched);
  EXPECT_TRUE(cheap.rank_defined);
  EXPECT_DOUBLE_EQ(cheap.rank, -3.5);
  EXPECT_GT(cheap.rank, dear.rank);

  auto by_name = Matcher::Create("", "Country", job_schema_, node_schema_);
  ASSERT_TRUE(by_name.ok());
  auto r = by_name->Match(job, Node(1, "US", 1), nullptr, scratch_);
  EXPECT_TRUE(r.matched);
  EXPECT_FALSE(r.rank_defined);
  EXPECT_EQ(r.rank, 0);
}

TEST_F(MatcherTest, BadExpressionsAreRefusedWithTheirPlace) {
  auto m = Matcher::Create("Gpus >", "", job_schema_, node_schema_);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message().substr(0, 67),
            "requirements: expected a value, found the end of the expression at ");
  auto r = Matcher::Create("", "-(", job_schema_, node_schema_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().substr(0, 6), "rank: ");
}

TEST_F(MatcherTest, PolicyTextComesFromThePolicyAttribute) {
  Ad node(&node_schema_);
  EXPECT_EQ(PolicyText(node), "");
  node.SetString("policy", "TARGET.Gpus <= 4");
  EXPECT_EQ(PolicyText(node), "TARGET.Gpus <= 4");
}

}  // namespace
}  // namespace skyrun::expr
