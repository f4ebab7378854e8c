#include "expr/ads.h"

#include <gtest/gtest.h>

#include "expr/check.h"
#include "expr/vocabulary.h"

namespace skyrun::expr {
namespace {

Node GpuNode() {
  Node n;
  n.name = "slurm/hpc1/node7";
  n.backend = "slurm/hpc1";
  n.cpus_milli = MilliCpu(64500);
  n.memory_mib = MemoryMiB(524288);
  n.gpus = {{0, "A100-80GB", MemoryMiB(81920)},
            {1, "A100-80GB", MemoryMiB(81920)},
            {2, "A100-80GB", MemoryMiB(81920)},
            {3, "A100-80GB", MemoryMiB(81920)}};
  n.links.assign(4, std::vector<GpuLink>(4, GpuLink::kPcieSwitch));
  n.links[0][1] = n.links[1][0] = GpuLink::kNvLink;
  n.price_per_gpu_hour = 2.0;
  n.price_per_cpu_hour = 0.02;
  n.attributes = {{"Region", "eu-central-1"},
                  {"Country", "DE"},
                  {"Zone", "eu-central-1a"},
                  {"Tenant", "acme"},
                  {"Labels", "nvme, ib,, fast "},
                  {"Rack", "12"},
                  {"Spot", "true"},
                  {"SpotPrice", "3.25"},
                  {"Cpus", "9999"},
                  {"Policy", "TARGET.JobClass == \"training\""},
                  {"Owner", "team-7"}};
  return n;
}

TEST(NodeAdTest, PublishesTheVocabulary) {
  Schema schema;
  std::vector<std::string> running = {"acme", "beta"};
  Ad ad = NodeAd(GpuNode(), schema, &running);
  EXPECT_EQ(ad.Get("Name").ToString(), "\"slurm/hpc1/node7\"");
  EXPECT_EQ(ad.Get("Backend").ToString(), "\"slurm/hpc1\"");
  EXPECT_EQ(ad.Get("State").ToString(), "\"UP\"");
  EXPECT_EQ(ad.Get("Cpus").ToString(), "64");  // rounded down; the attribute "Cpus" cannot override a fact
  EXPECT_EQ(ad.Get("CpusMilli").ToString(), "64500");
  EXPECT_EQ(ad.Get("MemoryMiB").ToString(), "524288");
  EXPECT_EQ(ad.Get("Gpus").ToString(), "4");
  EXPECT_EQ(ad.Get("GpuModel").ToString(), "\"A100-80GB\"");
  EXPECT_EQ(ad.Get("GpuMemoryMB").ToString(), "81920");
  EXPECT_EQ(ad.Get("GpuModels").AsList().size(), 4u);
  EXPECT_EQ(ad.Get("GpuClass").ToString(), "\"training\"");
  EXPECT_EQ(ad.Get("NVLink").ToString(), "true");
  EXPECT_EQ(ad.Get("Provider").ToString(), "\"slurm\"");
  EXPECT_EQ(ad.Get("Region").ToString(), "\"eu-central-1\"");
  EXPECT_EQ(ad.Get("Zone").ToString(), "\"eu-central-1a\"");
  EXPECT_EQ(ad.Get("Country").ToString(), "\"DE\"");
  EXPECT_DOUBLE_EQ(ad.Get("HourlyPrice").AsReal(), 4 * 2.0 + 64.5 * 0.02);
  EXPECT_EQ(ad.Get("SpotPrice").ToString(), "3.25");
  EXPECT_EQ(ad.Get("Spot").ToString(), "true");
  EXPECT_EQ(ad.Get("Tenant").ToString(), "\"acme\"");
  EXPECT_EQ(ad.Get("RunningTenants").ToString(), "{\"acme\", \"beta\"}");
  EXPECT_EQ(ad.Get("Labels").ToString(), "{\"nvme\", \"ib\", \"fast\"}");
  EXPECT_EQ(ad.Get("Policy").ToString(), "\"TARGET.JobClass == \\\"training\\\"\"");
  EXPECT_EQ(ad.Get("Rack").ToString(), "12");           // integer-looking attribute -> integer
  EXPECT_EQ(ad.Get("Owner").ToString(), "\"team-7\"");  // the rest stay strings
  // Every published name is defined for a fully described node.
  for (const AttributeInfo& a : NodeVocabulary()) {
    Value v = ad.Get(a.name);
    EXPECT_FALSE(v.IsUndefined()) << a.name;
    EXPECT_EQ(v.type(), a.type) << a.name;
  }
}

TEST(NodeAdTest, NodesWithoutGpusOrAttributes) {
  Node n;
  n.name = "cpu-1";
  n.backend = "local";
  n.cpus_milli = MilliCpu(4000);
  Schema schema;
  Ad ad = NodeAd(n, schema);
  EXPECT_EQ(ad.Get("Gpus").ToString(), "0");
  EXPECT_TRUE(ad.Get("GpuModel").IsUndefined());
  EXPECT_TRUE(ad.Get("GpuMemoryMB").IsUndefined());
  EXPECT_TRUE(ad.Get("GpuClass").IsUndefined());
  EXPECT_TRUE(ad.Get("RunningTenants").IsUndefined());
  EXPECT_EQ(ad.Get("NVLink").ToString(), "false");
  EXPECT_EQ(ad.Get("Labels").ToString(), "{}");
  EXPECT_EQ(ad.Get("Provider").ToString(), "\"local\"");
  EXPECT_EQ(ad.Get("HourlyPrice").ToString(), "0.0");
  EXPECT_EQ(ad.Get("Spot").ToString(), "false");
}

TEST(NodeAdTest, GpuClassFromTheModelUnlessGiven) {
  EXPECT_EQ(GpuClassOf("T4"), "inference");
  EXPECT_EQ(GpuClassOf("NVIDIA L4"), "inference");
  EXPECT_EQ(GpuClassOf("A10G-24GB"), "inference");
  EXPECT_EQ(GpuClassOf("A100-80GB"), "training");
  EXPECT_EQ(GpuClassOf("H100"), "training");
  EXPECT_EQ(GpuClassOf("mystery"), "training");
  Node n = GpuNode();
  n.attributes["GpuClass"] = "inference";
  Schema schema;
  EXPECT_EQ(NodeAd(n, schema).Get("GpuClass").ToString(), "\"inference\"");
}

TEST(JobAdTest, PublishesTheJobSide) {
  JobSpec spec;
  spec.name = "bert";
  spec.queue = "research";
  spec.mode = JobMode::kGang;
  spec.num_nodes = 2;
  spec.priority = 100;
  spec.resources.accelerators = {{"A100", 8}, {"H100", 4}};
  spec.resources.cpus_milli = MilliCpu(7500);
  spec.resources.memory_mib = MemoryMiB(65536);
  spec.resources.use_spot = true;
  spec.resources.max_hourly_cost = 40;
  spec.image = "pytorch:2.3";
  Schema schema;
  Ad ad = JobAd(spec, "acme", "", schema);
  EXPECT_EQ(ad.Get("Name").ToString(), "\"bert\"");
  EXPECT_EQ(ad.Get("Tenant").ToString(), "\"acme\"");
  EXPECT_EQ(ad.Get("Queue").ToString(), "\"research\"");
  EXPECT_EQ(ad.Get("JobClass").ToString(), "\"training\"");
  EXPECT_EQ(ad.Get("Mode").ToString(), "\"gang\"");
  EXPECT_EQ(ad.Get("Priority").ToString(), "100");
  EXPECT_EQ(ad.Get("Gpus").ToString(), "4");  // the smallest of the accepted choices
  EXPECT_EQ(ad.Get("GpuMilli").ToString(), "4000");
  EXPECT_EQ(ad.Get("Accelerators").ToString(), "{\"A100\", \"H100\"}");
  EXPECT_EQ(ad.Get("Cpus").ToString(), "8");  // rounded up
  EXPECT_EQ(ad.Get("CpusMilli").ToString(), "7500");
  EXPECT_EQ(ad.Get("MemoryMiB").ToString(), "65536");
  EXPECT_EQ(ad.Get("NumNodes").ToString(), "2");
  EXPECT_EQ(ad.Get("Tasks").ToString(), "2");
  EXPECT_EQ(ad.Get("UseSpot").ToString(), "true");
  EXPECT_EQ(ad.Get("MaxHourlyCost").ToString(), "40.0");
  EXPECT_EQ(ad.Get("Objective").ToString(), "\"cost\"");
  EXPECT_EQ(ad.Get("Image").ToString(), "\"pytorch:2.3\"");
  for (const AttributeInfo& a : JobVocabulary()) {
    EXPECT_EQ(ad.Get(a.name).type(), a.type) << a.name;
  }
  spec.mode = JobMode::kService;
  spec.resources.accelerators.clear();
  spec.resources.gpu_milli = MilliGpu(250);
  Ad serving = JobAd(spec, "acme", "prod", schema);
  EXPECT_EQ(serving.Get("JobClass").ToString(), "\"inference\"");
  EXPECT_EQ(serving.Get("Queue").ToString(), "\"prod\"");
  EXPECT_EQ(serving.Get("Gpus").ToString(), "0");
  EXPECT_EQ(serving.Get("GpuMilli").ToString(), "250");
}

TEST(JobAdTest, ARoleUsesItsOwnResources) {
  JobSpec spec;
  spec.name = "ps";
  spec.mode = JobMode::kPsWorker;
  Role worker;
  worker.name = "worker";
  worker.count = 4;
  worker.resources.accelerators = {{"V100", 2}};
  spec.roles = {worker};
  Schema schema;
  Ad ad = JobAd(spec, "t", "", schema, &spec.roles[0]);
  EXPECT_EQ(ad.Get("Gpus").ToString(), "2");
  EXPECT_EQ(ad.Get("Tasks").ToString(), "4");
}

TEST(NodePolicyTest, ReadsThePolicyAttribute) {
  Schema nodes, jobs;
  Node n = GpuNode();
  auto policy = NodePolicy(n, nodes, jobs);
  ASSERT_TRUE(policy.ok());
  EXPECT_FALSE(policy->always_true());
  n.attributes.erase("Policy");
  auto none = NodePolicy(n, nodes, jobs);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->always_true());
  n.attributes["policy"] = "TARGET.JobClass ==";
  auto bad = NodePolicy(n, nodes, jobs);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().substr(0, 33), "policy of node slurm/hpc1/node7: ");
}

// The acceptance scenario: a job whose requirements need 40 GB of GPU memory
// in the US or Germany matches only such nodes of a local pool.
TEST(AcceptanceTest, RequirementsSelectOnlyMatchingNodesOfThePool) {
  const std::string requirements = "GpuMemoryMB >= 40000 && member(Country, {\"US\",\"DE\"})";
  ASSERT_TRUE(CheckRequirements(requirements).ok());
  JobSpec spec;
  spec.name = "bert";
  spec.resources.requirements = requirements;
  spec.resources.accelerators = {{"A100", 1}};
  auto node = [](std::string name, std::string model, int64_t mem, std::string country) {
    Node n;
    n.name = std::move(name);
    n.backend = "local";
    n.cpus_milli = MilliCpu(16000);
    n.gpus = {{0, std::move(model), MemoryMiB(mem)}};
    n.attributes["Country"] = std::move(country);
    return n;
  };
  std::vector<Node> pool = {node("a", "A100-80GB", 81920, "US"), node("b", "A10G", 24576, "US"),
                            node("c", "A100-40GB", 40960, "DE"), node("d", "A100-80GB", 81920, "FR"),
                            node("e", "L4", 23034, "DE")};
  Schema job_schema, node_schema;
  auto m = Matcher::Create(spec.resources.requirements, spec.resources.rank, job_schema, node_schema);
  ASSERT_TRUE(m.ok());
  Ad job = JobAd(spec, "acme", "", job_schema);
  EvalScratch scratch;
  std::vector<std::string> matched;
  for (const Node& n : pool) {
    if (m->Match(job, NodeAd(n, node_schema), nullptr, scratch).matched) matched.push_back(n.name);
  }
  EXPECT_EQ(matched, (std::vector<std::string>{"a", "c"}));
}

}  // namespace
}  // namespace skyrun::expr
