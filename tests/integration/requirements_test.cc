// The expression language in scheduling, end to end through the real server:
// a job's requirements place it only on matching nodes of the local pool
// (declared GPUs and attributes in the server config), rank picks among
// them, a requirement no node meets is refused at submission with the
// clause that failed, `skyrun match` explains each rejection, and a node's
// tenant-aware policy keeps distrusted tenants off it while they would share.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "server_harness.h"

namespace skyrun::testing {
namespace {

const char* kFleet = R"(
local:
  kill_grace_seconds: 1
  nodes:
    - name: us-a100
      cpus: 2
      memory: 2GiB
      gpus: {model: A100-80GB, count: 2, memory_mb: 81920}
      attributes: {Country: US}
    - name: us-a10
      cpus: 2
      memory: 2GiB
      gpus: {model: A10G, count: 2, memory_mb: 24576}
      attributes: {Country: US}
    - name: fr-a100
      cpus: 2
      memory: 2GiB
      gpus: {model: A100-80GB, count: 2, memory_mb: 81920}
      attributes: {Country: FR}
    - name: de-a100
      cpus: 2
      memory: 2GiB
      gpus: {model: A100-80GB, count: 2, memory_mb: 81920}
      attributes: {Country: DE}
)";

const char* kRequirements = R"(GpuMemoryMB >= 40000 && member(Country, {"US","DE"}))";

std::string Spec(const std::string& name, const std::string& requirements, const std::string& rank = "",
                 const std::string& run = "sleep 1") {
  std::string s = "name: " + name + "\nresources:\n  cpus: 1\n  requirements: '" + requirements + "'\n";
  if (!rank.empty()) s += "  rank: '" + rank + "'\n";
  return s + "run: " + run + "\n";
}

std::string NodeOf(const nlohmann::json& job) {
  if (job["attempts"].empty()) return "";
  return job["attempts"].back()["node"].get<std::string>();
}

TEST(RequirementsTest, JobsArePlacedOnlyOnMatchingNodes) {
  ServerHarness server(kFleet);
  server.Start();
  // Eight one-CPU jobs: the two matching nodes hold four at a time, so some
  // wait, and none may spill onto the free non-matching nodes.
  std::vector<int64_t> ids;
  for (int i = 0; i < 8; ++i) {
    int64_t id = server.Submit(Spec("req-" + std::to_string(i), kRequirements), "/tmp/req.yaml");
    ASSERT_GT(id, 0);
    ids.push_back(id);
  }
  std::set<std::string> used;
  for (int64_t id : ids) {
    EXPECT_EQ(server.WaitForState(id, {"SUCCEEDED", "FAILED"}, 120), "SUCCEEDED");
    auto j = server.Job(id);
    ASSERT_EQ(j["attempts"].size(), 1u) << j.dump(2);
    used.insert(NodeOf(j));
  }
  EXPECT_EQ(used, (std::set<std::string>{"us-a100", "de-a100"}));
}

TEST(RequirementsTest, RankChoosesAmongTheMatches) {
  ServerHarness server(kFleet);
  server.Start();
  int64_t de = server.Submit(Spec("prefers-de", kRequirements, R"(Country == "DE" ? 10 : 0)"), "/tmp/r.yaml");
  EXPECT_EQ(server.WaitForState(de, {"SUCCEEDED", "FAILED"}, 60), "SUCCEEDED");
  EXPECT_EQ(NodeOf(server.Job(de)), "de-a100");
  int64_t us = server.Submit(Spec("prefers-us", kRequirements, R"(Country == "US" ? 10 : 0)"), "/tmp/r.yaml");
  EXPECT_EQ(server.WaitForState(us, {"SUCCEEDED", "FAILED"}, 60), "SUCCEEDED");
  EXPECT_EQ(NodeOf(server.Job(us)), "us-a100");
}

TEST(RequirementsTest, UnmeetableOrMistypedRequirementsAreRefusedAtSubmission) {
  ServerHarness server(kFleet);
  server.Start();
  std::string token = server.admin_token();
  auto jp =
      server.Post("/v1/jobs", {{"spec", Spec("jp", R"(Country == "JP")")}, {"file", "/tmp/jp.yaml"}}, token);
  EXPECT_EQ(jp.status, 400) << jp.body;
  EXPECT_NE(jp.body.find("can never fit"), std::string::npos) << jp.body;
  EXPECT_NE(jp.body.find(R"(requirements: Country == \"JP\" is FALSE (Country = \"US\"))"), std::string::npos)
      << jp.body;
  // A type error: the problem with its place in the file, exit status 2.
  std::string bad = server.state_dir() + "/bad-req.yaml";
  std::ofstream(bad) << Spec("typo", "GpuMemoryMB >= \"lots\"");
  auto cli = server.Cli({"launch", bad});
  EXPECT_EQ(cli.exit_code, 2) << cli.output;
  EXPECT_NE(cli.output.find("bad-req.yaml:4:17: resources.requirements:"), std::string::npos) << cli.output;
  EXPECT_EQ(server.Get("/v1/jobs?live=false", token).Json()["jobs"].size(), 0u);
}

TEST(RequirementsTest, MatchExplainsEachRejectionOnTheServersNodes) {
  ServerHarness server(kFleet);
  server.Start();
  auto nodes = server.Cli({"nodes", "-o", "json"});
  ASSERT_EQ(nodes.exit_code, 0) << nodes.output;
  std::string nodes_file = server.state_dir() + "/nodes.json";
  std::ofstream(nodes_file) << nodes.output;
  std::string job = server.state_dir() + "/job.yaml";
  std::ofstream(job) << Spec("m", kRequirements, "-HourlyPrice");
  auto m = server.Cli({"match", job, "--nodes", nodes_file});
  EXPECT_EQ(m.exit_code, 0) << m.output;
  EXPECT_NE(m.output.find("2 of 4 nodes match"), std::string::npos) << m.output;
  EXPECT_NE(m.output.find("us-a10   requirements: GpuMemoryMB >= 40000 is FALSE (GpuMemoryMB = 24576)"),
            std::string::npos)
      << m.output;
  EXPECT_NE(
      m.output.find(R"(fr-a100  requirements: member(Country, {"US", "DE"}) is FALSE (Country = "FR"))"),
      std::string::npos)
      << m.output;
}

TEST(RequirementsTest, TenantAwarePolicyKeepsDistrustedTenantsApart) {
  ServerHarness server(R"(
local:
  kill_grace_seconds: 1
  nodes:
    - name: shared
      cpus: 2
      memory: 2GiB
      attributes:
        Policy: '!(member("acme", MY.RunningTenants) && Tenant == "rival")'
    - name: spare
      cpus: 1
      memory: 2GiB
)");
  server.Start();
  auto token_for = [&](const std::string& tenant) {
    EXPECT_EQ(server.Cli({"admin", "tenant", "create", tenant}).exit_code, 0);
    auto tok = server.Cli({"admin", "token", "create", "--tenant", tenant, "--role", "member", "-o", "json"});
    EXPECT_EQ(tok.exit_code, 0) << tok.output;
    return nlohmann::json::parse(tok.output)["token"].get<std::string>();
  };
  std::string acme = token_for("acme"), rival = token_for("rival");
  int64_t a = server.Submit(Spec("acme-long", R"(Name == "shared")", "", "sleep 300"), "/tmp/a.yaml", acme);
  ASSERT_EQ(server.WaitForState(a, {"RUNNING"}, 30), "RUNNING");
  // shared has a free CPU, but its policy says no to rival while acme is there.
  int64_t r1 = server.Submit(Spec("rival-1", "true", "", "sleep 300"), "/tmp/r.yaml", rival);
  ASSERT_EQ(server.WaitForState(r1, {"RUNNING"}, 30), "RUNNING");
  EXPECT_EQ(NodeOf(server.Job(r1)), "spare");
  int64_t r2 = server.Submit(Spec("rival-2", "true"), "/tmp/r.yaml", rival);
  ASSERT_GT(r2, 0);
  std::string waiting;
  for (int i = 0; i < 50 && waiting.empty(); ++i) {
    auto j = server.Get("/v1/jobs/" + std::to_string(r2), rival).Json();
    waiting = j.value("waiting_for", "");
    if (waiting.empty()) usleep(100'000);
  }
  EXPECT_NE(waiting.find("shared: node policy"), std::string::npos) << waiting;
  EXPECT_EQ(server.Get("/v1/jobs/" + std::to_string(r2), rival).Json()["state"], "QUEUED");
  // Once acme has gone, rival may use the node.
  EXPECT_EQ(server.Cli({"cancel", std::to_string(a)}).exit_code, 0);
  EXPECT_EQ(server.WaitForState(r2, {"SUCCEEDED", "FAILED"}, 60), "SUCCEEDED");
  EXPECT_EQ(NodeOf(server.Job(r2)), "shared");
  EXPECT_EQ(server.Cli({"cancel", std::to_string(r1)}).exit_code, 0);
}

}  // namespace
}  // namespace skyrun::testing
