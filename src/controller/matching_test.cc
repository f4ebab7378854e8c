#include "controller/matching.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

Node GpuNode(const std::string& name, int64_t gpu_memory_mb, const std::string& country, int gpus = 2) {
  Node n;
  n.name = name;
  n.backend = "local";
  n.cpus_milli = MilliCpu(8000);
  n.memory_mib = MemoryMiB(65536);
  for (int i = 0; i < gpus; ++i)
    n.gpus.push_back({i, gpu_memory_mb >= 40000 ? "A100-80GB" : "A10G", MemoryMiB(gpu_memory_mb)});
  n.attributes["Country"] = country;
  return n;
}

JobSpec Job(const std::string& requirements, const std::string& rank = "") {
  JobSpec s;
  s.name = "j";
  s.resources.requirements = requirements;
  s.resources.rank = rank;
  return s;
}

TaskRequest Task(const std::string& role = "") {
  TaskRequest t;
  t.role = role;
  return t;
}

const char* kRequirements = R"(GpuMemoryMB >= 40000 && member(Country, {"US","DE"}))";

TEST(MatchingTest, RequirementsFilterWithTheFailingClause) {
  std::vector<Node> nodes = {GpuNode("us-80", 81920, "US"), GpuNode("us-24", 24576, "US"),
                             GpuNode("fr-80", 81920, "FR"), GpuNode("de-80", 81920, "de")};
  FleetAds fleet;
  fleet.Rebuild(nodes, nullptr);
  auto m = JobMatch::Create(Job(kRequirements, "GpuMemoryMB"), "acme", "default", fleet);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_FALSE((*m)->trivial());
  JobMatch& match = **m;
  auto pred = [&](const Node& n, const TaskRequest& t) { return match.Judge(n, t); };
  EXPECT_EQ(pred(nodes[0], Task()).reject, "");
  EXPECT_TRUE(pred(nodes[0], Task()).rank_defined);
  EXPECT_DOUBLE_EQ(pred(nodes[0], Task()).rank, 81920);
  EXPECT_NE(pred(nodes[1], Task()).reject.find("GpuMemoryMB >= 40000 is FALSE (GpuMemoryMB = 24576)"),
            std::string::npos)
      << pred(nodes[1], Task()).reject;
  std::string fr = pred(nodes[2], Task()).reject;
  EXPECT_NE(fr.find("member(Country"), std::string::npos) << fr;
  EXPECT_NE(fr.find("\"FR\""), std::string::npos) << fr;
  // String comparison in member() ignores case, as == does.
  EXPECT_EQ(pred(nodes[3], Task()).reject, "");
}

TEST(MatchingTest, ANodeWithoutAnAdIsTurnedDownWithTheReason) {
  FleetAds fleet;
  fleet.Rebuild({GpuNode("a", 81920, "US")}, nullptr);
  auto m = JobMatch::Create(Job(kRequirements), "acme", "", fleet);
  ASSERT_TRUE(m.ok());
  Node unknown = GpuNode("b", 81920, "US");
  EXPECT_NE((*m)->Judge(unknown, Task()).reject.find("no attributes"), std::string::npos);
}

TEST(MatchingTest, TenantAwareAntiAffinityPolicy) {
  Node shared = GpuNode("shared", 81920, "US");
  // The node's owner does not let "rival" share it with "acme" (a bare name
  // in a policy reads the job; the node's own attributes need MY.).
  shared.attributes["Policy"] = R"(!(member("acme", MY.RunningTenants) && Tenant == "rival"))";
  std::vector<Node> nodes = {shared};
  FleetAds fleet;
  std::map<std::string, std::vector<std::string>> tenants_on = {{"shared", {"acme"}}};
  fleet.Rebuild(nodes, &tenants_on);
  EXPECT_TRUE(fleet.has_policies());
  auto rival = JobMatch::Create(Job(""), "rival", "", fleet);
  auto acme = JobMatch::Create(Job(""), "acme", "", fleet);
  ASSERT_TRUE(rival.ok() && acme.ok());
  EXPECT_TRUE((*rival)->trivial());
  std::string no = (*rival)->Judge(shared, Task()).reject;
  EXPECT_NE(no.find("policy"), std::string::npos) << no;
  EXPECT_EQ((*acme)->Judge(shared, Task()).reject, "");
  // Once acme's tasks are gone, rival may come.
  tenants_on.clear();
  fleet.Rebuild(nodes, &tenants_on);
  EXPECT_EQ((*rival)->Judge(shared, Task()).reject, "");
}

TEST(MatchingTest, APolicyThatDoesNotCompileRejectsItsNode) {
  Node n = GpuNode("broken", 81920, "US");
  n.attributes["policy"] = "Tenant ==";
  FleetAds fleet;
  fleet.Rebuild({n}, nullptr);
  auto m = JobMatch::Create(Job(""), "acme", "", fleet);
  ASSERT_TRUE(m.ok());
  std::string no = (*m)->Judge(n, Task()).reject;
  EXPECT_NE(no.find("policy of node broken"), std::string::npos) << no;
}

TEST(MatchingTest, RolesHaveTheirOwnRequirements) {
  JobSpec spec = Job("Gpus >= 0");  // the job's: any node
  spec.mode = JobMode::kPsWorker;
  Role ps{"ps", 1, {}, "", ""};
  Role worker{"worker", 2, {}, "", ""};
  worker.resources.requirements = "GpuMemoryMB >= 40000";
  spec.roles = {ps, worker};
  std::vector<Node> nodes = {GpuNode("big", 81920, "US"), GpuNode("small", 24576, "US")};
  FleetAds fleet;
  fleet.Rebuild(nodes, nullptr);
  auto m = JobMatch::Create(spec, "acme", "", fleet);
  ASSERT_TRUE(m.ok());
  JobMatch& match = **m;
  auto pred = [&](const Node& n, const TaskRequest& t) { return match.Judge(n, t); };
  EXPECT_EQ(pred(nodes[1], Task("ps")).reject, "");  // ps keeps the job's requirements
  EXPECT_NE(pred(nodes[1], Task("worker")).reject, "");
  EXPECT_EQ(pred(nodes[0], Task("worker")).reject, "");
}

TEST(MatchingTest, BadExpressionsNameTheirField) {
  FleetAds fleet;
  auto m = JobMatch::Create(Job("Gpus >= (2"), "acme", "", fleet);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("resources"), std::string::npos) << m.status().message();
}

TEST(MatchingTest, AdmissionNeedsNoAdsWhenNothingAsks) {
  std::vector<Node> nodes = {GpuNode("a", 81920, "US")};
  AdmissionMatch holder;
  auto none = AdmissionMatcher(Job(""), "acme", nodes, holder);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, nullptr);
  auto some = AdmissionMatcher(Job(R"(Country == "JP")"), "acme", nodes, holder);
  ASSERT_TRUE(some.ok());
  ASSERT_NE(*some, nullptr);
  EXPECT_NE((*some)->Judge(nodes[0], Task()).reject.find("Country == \"JP\" is FALSE"), std::string::npos)
      << (*some)->Judge(nodes[0], Task()).reject;
  // A policy alone is enough to match (RunningTenants is {} on an empty fleet).
  nodes[0].attributes["Policy"] = R"(!member("x", MY.RunningTenants))";
  AdmissionMatch holder2;
  auto policy = AdmissionMatcher(Job(""), "acme", nodes, holder2);
  ASSERT_TRUE(policy.ok());
  ASSERT_NE(*policy, nullptr);
  EXPECT_EQ((*policy)->Judge(nodes[0], Task()).reject, "");
  // Policies may read RunningTenants, which differs between nodes of one class.
  EXPECT_TRUE((*policy)->NodeSpecific());
}

TEST(MatchingTest, ExpressionsThatReadANodesNameAreJudgedPerNode) {
  std::vector<Node> nodes = {GpuNode("a", 81920, "US"), GpuNode("b", 81920, "US")};
  FleetAds fleet;
  fleet.Rebuild(nodes, nullptr);
  auto by_country = JobMatch::Create(Job(R"(Country == "US")"), "acme", "", fleet);
  auto by_name = JobMatch::Create(Job(R"(Name == "b")"), "acme", "", fleet);
  ASSERT_TRUE(by_country.ok() && by_name.ok());
  EXPECT_FALSE((*by_country)->NodeSpecific());
  EXPECT_TRUE((*by_name)->NodeSpecific());
  EXPECT_NE((*by_name)->Judge(nodes[0], Task()).reject, "");
  EXPECT_EQ((*by_name)->Judge(nodes[1], Task()).reject, "");
}

}  // namespace
}  // namespace skyrun
