// Accounting through the real server: jobs of two tenants run on the local
// pool at its internal prices, then GET /v1/cost-report and `skyrun
// cost-report` say what each cost, by job, tenant and provider; a member sees
// only their own tenant and cannot ask for another's; bad periods are refused
// with what is wrong.
#include <gtest/gtest.h>

#include "server_harness.h"

namespace skyrun::testing {
namespace {

const char* kPool = R"(
local:
  price_per_gpu_hour: 3.60
  price_per_cpu_hour: 0.36
  nodes:
    - name: box
      cpus: 4
      memory: 8GiB
      gpus: {model: T4, count: 2, memory_mb: 16384}
)";

std::string CreateMember(ServerHarness& server, const std::string& tenant) {
  EXPECT_EQ(server.Post("/v1/admin/tenants", {{"name", tenant}}, server.admin_token()).status, 201);
  auto r = server.Post("/v1/admin/tokens", {{"tenant", tenant}, {"role", "member"}}, server.admin_token());
  EXPECT_EQ(r.status, 201) << r.body;
  return r.Json().value("token", "");
}

TEST(CostReportTest, EachTenantsJobsArePricedAndMembersSeeOnlyTheirOwn) {
  ServerHarness server(kPool);
  server.Start();
  const std::string alice = CreateMember(server, "alice");
  const std::string bob = CreateMember(server, "bob");
  // 1 GPU + 1 CPU = $3.96/h; 1 CPU = $0.36/h. Each sleeps about 2 s.
  int64_t a = server.Submit("name: gpu-job\nresources: {cpus: 1, accelerators: T4:1}\nrun: sleep 2\n",
                            "a.yaml", alice);
  int64_t b = server.Submit("name: cpu-job\nresources: {cpus: 1}\nrun: sleep 2\n", "b.yaml", bob);
  ASSERT_EQ(server.WaitForState(a, {"SUCCEEDED", "FAILED"}, 60), "SUCCEEDED");
  ASSERT_EQ(server.WaitForState(b, {"SUCCEEDED", "FAILED"}, 60), "SUCCEEDED");
  const double a_cost = server.Job(a)["cost_usd"].get<double>();
  const double b_cost = server.Job(b)["cost_usd"].get<double>();
  // Billed per started second: 2..10 s at the job's hourly price.
  EXPECT_GE(a_cost, 3.96 * 2 / 3600 - 1e-12);
  EXPECT_LE(a_cost, 3.96 * 10 / 3600);
  EXPECT_GE(b_cost, 0.36 * 2 / 3600 - 1e-12);

  // The platform admin: every tenant.
  auto by_tenant = server.Get("/v1/cost-report?by=tenant&since=1h", server.admin_token());
  ASSERT_EQ(by_tenant.status, 200) << by_tenant.body;
  auto report = by_tenant.Json();
  ASSERT_EQ(report["lines"].size(), 2u) << report.dump();
  EXPECT_EQ(report["lines"][0]["key"], "alice");
  EXPECT_NEAR(report["lines"][0]["compute_usd"].get<double>(), a_cost, 1e-9);
  EXPECT_EQ(report["lines"][1]["key"], "bob");
  EXPECT_NEAR(report["total_usd"].get<double>(), a_cost + b_cost, 1e-9);
  auto by_provider = server.Get("/v1/cost-report?by=provider&since=1h", server.admin_token()).Json();
  ASSERT_EQ(by_provider["lines"].size(), 1u);
  EXPECT_EQ(by_provider["lines"][0]["key"], "local");

  // A member: only their own jobs, whatever they ask.
  auto mine = server.Get("/v1/cost-report?since=1h", bob);
  ASSERT_EQ(mine.status, 200) << mine.body;
  ASSERT_EQ(mine.Json()["lines"].size(), 1u) << mine.body;
  EXPECT_EQ(mine.Json()["lines"][0]["key"], std::to_string(b));
  EXPECT_EQ(server.Get("/v1/cost-report?tenant=alice", bob).status, 403);
  EXPECT_EQ(server.Get("/v1/cost-report?tenant=bob", bob).status, 200);

  // Bad periods and parameters: 400 with what is wrong.
  for (const char* bad :
       {"?by=team", "?since=-1h", "?since=1000d", "?from=yesterday", "?from=2026-02-30",
        "?from=2030-01-02&to=2030-01-01", "?since=1h&from=2026-12-01", "?limit=3", "?by=job&by=tenant"}) {
    auto r = server.Get(std::string("/v1/cost-report") + bad, server.admin_token());
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
  }
  EXPECT_EQ(server.Get("/v1/cost-report?tenant=nobody", server.admin_token()).status, 404);

  // The CLI's table and JSON.
  auto table = server.Cli({"cost-report", "--by", "job", "--since", "1h"});
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_NE(table.output.find("gpu-job (alice)"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("cpu-job (bob)"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("total"), std::string::npos) << table.output;
  auto json = server.Cli({"cost-report", "--by", "provider", "-o", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  EXPECT_EQ(nlohmann::json::parse(json.output)["by"], "provider");
  auto refused = server.Cli({"cost-report", "--from", "not-a-day"});
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("?from= must be an RFC 3339 time"), std::string::npos) << refused.output;
}

}  // namespace
}  // namespace skyrun::testing
