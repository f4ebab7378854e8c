// Budgets through the real server: a tenant budget refuses a job whose
// estimate (time limit x the cheapest node's internal price) exceeds what is
// left, with the amount left in the message; a budgeted job without a time
// limit is refused with what to set; a queue budget counts every tenant's
// jobs in the queue; GET /v1/budgets and `skyrun budgets` show what each
// budget has spent and has left. With on_exceed: hold a job over budget is
// accepted and waits with the reason until an admin raises the budget live
// (PUT /v1/budgets, which a member's token cannot call).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>

#include "server_harness.h"

namespace skyrun::testing {
namespace {

const char* kConfig = R"(
local:
  price_per_gpu_hour: 3.60
  price_per_cpu_hour: 0.36
  nodes:
    - name: box
      cpus: 4
      memory: 8GiB
      gpus: {model: T4, count: 2, memory_mb: 16384}
budgets:
  tenants:
    alice: {usd: 0.01, period: 30d}
  queues:
    gpu: {usd: 100, period: month}
)";

std::string CreateMember(ServerHarness& server, const std::string& tenant) {
  EXPECT_EQ(server.Post("/v1/admin/tenants", {{"name", tenant}}, server.admin_token()).status, 201);
  auto r = server.Post("/v1/admin/tokens", {{"tenant", tenant}, {"role", "member"}}, server.admin_token());
  EXPECT_EQ(r.status, 201) << r.body;
  return r.Json().value("token", "");
}

HttpResult Submit(ServerHarness& server, const std::string& spec, const std::string& token) {
  return server.Post("/v1/jobs", {{"spec", spec}, {"file", "job.yaml"}}, token);
}

TEST(BudgetIntegrationTest, ATenantBudgetRefusesAJobWithTheAmountLeft) {
  ServerHarness server(kConfig);
  server.Start();
  const std::string alice = CreateMember(server, "alice");
  const std::string bob = CreateMember(server, "bob");

  // 1 T4 + 1 CPU = $3.96/h for 1 h: far over alice's $0.01.
  auto refused = Submit(
      server, "name: big\ntime_limit: 1h\nresources: {cpus: 1, accelerators: T4:1}\nrun: sleep 1\n", alice);
  ASSERT_EQ(refused.status, 400) << refused.body;
  const std::string message = refused.Json()["error"].value("message", "");
  EXPECT_NE(message.find("tenant alice's budget has $0.01 left of $0.01 for the 30 days to "),
            std::string::npos)
      << refused.body;
  EXPECT_NE(message.find("this job is estimated at $3.96 (1h (its time limit) x $3.96/h"), std::string::npos)
      << refused.body;

  // No time limit: nothing to estimate by; refused with what to set.
  auto unlimited = Submit(server, "name: open\nresources: {cpus: 1}\nrun: sleep 1\n", alice);
  ASSERT_EQ(unlimited.status, 400) << unlimited.body;
  EXPECT_NE(unlimited.body.find("tenant alice has a budget"), std::string::npos) << unlimited.body;
  EXPECT_NE(unlimited.body.find("set time_limit"), std::string::npos) << unlimited.body;

  // A 1-minute CPU job: $0.36/h x 1 min = $0.006 fits. It runs and spends.
  auto small = Submit(server, "name: small\ntime_limit: 1m\nresources: {cpus: 1}\nrun: sleep 2\n", alice);
  ASSERT_EQ(small.status, 201) << small.body;
  const int64_t id = small.Json()["id"].get<int64_t>();
  ASSERT_EQ(server.WaitForState(id, {"SUCCEEDED", "FAILED"}, 60), "SUCCEEDED");
  const double cost = server.Job(id)["cost_usd"].get<double>();
  ASSERT_GT(cost, 0);

  // alice sees her budget (and the queues'), with what the job spent.
  auto mine = server.Get("/v1/budgets", alice);
  ASSERT_EQ(mine.status, 200) << mine.body;
  auto budgets = mine.Json()["budgets"];
  ASSERT_EQ(budgets.size(), 2u) << mine.body;
  EXPECT_EQ(budgets[0]["scope"], "tenant");
  EXPECT_EQ(budgets[0]["name"], "alice");
  EXPECT_NEAR(budgets[0]["spent_usd"].get<double>(), cost, 1e-9);
  EXPECT_NEAR(budgets[0]["left_usd"].get<double>(), 0.01 - cost, 1e-9);
  EXPECT_TRUE(budgets[0]["resets"].is_null());
  EXPECT_EQ(budgets[1]["scope"], "queue");
  EXPECT_EQ(budgets[1]["name"], "gpu");
  EXPECT_TRUE(budgets[1]["resets"].is_string());
  EXPECT_EQ(mine.Json()["on_exceed"], "refuse");
  // bob sees only the queue's; the admin every one.
  EXPECT_EQ(server.Get("/v1/budgets", bob).Json()["budgets"].size(), 1u);
  EXPECT_EQ(server.Get("/v1/budgets", server.admin_token()).Json()["budgets"].size(), 2u);
  EXPECT_EQ(server.Get("/v1/budgets?tenant=alice", bob).status, 400);

  // bob has no tenant budget: an hour of GPU in the default queue is fine,
  // 30 h in queue gpu ($118.80) is more than its $100.
  EXPECT_EQ(
      Submit(server, "name: b1\ntime_limit: 1h\nresources: {cpus: 1, accelerators: T4:1}\nrun: true\n", bob)
          .status,
      201);
  auto over_queue = Submit(
      server, "name: b2\nqueue: gpu\ntime_limit: 30h\nresources: {cpus: 1, accelerators: T4:1}\nrun: true\n",
      bob);
  ASSERT_EQ(over_queue.status, 400) << over_queue.body;
  EXPECT_NE(over_queue.body.find("queue gpu's budget has $100.00 left of $100.00 for "), std::string::npos)
      << over_queue.body;
  EXPECT_NE(over_queue.body.find("estimated at $118.80"), std::string::npos) << over_queue.body;

  // The CLI's table.
  auto table = server.Cli({"budgets"});
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_NE(table.output.find("tenant alice"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("queue gpu"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("$100.00"), std::string::npos) << table.output;
  auto json = server.Cli({"budgets", "-o", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  EXPECT_EQ(nlohmann::json::parse(json.output)["budgets"].size(), 2u);
}

// A real local job with its own budget: at $36 per CPU-hour ($0.01 a
// second) a $0.03 budget lasts about 3 s; the job is then sent SIGTERM, its
// handler "checkpoints" (prints), and it ends FAILED with the reason.
TEST(BudgetIntegrationTest, ARealJobIsStoppedAtItsOwnBudgetAfterItsCheckpointGrace) {
  ServerHarness server(R"(
local:
  price_per_cpu_hour: 36
  kill_grace_seconds: 5
  nodes:
    - name: box
      cpus: 2
      memory: 4GiB
)");
  server.Start();
  const int64_t id = server.Submit(
      "name: capped\nbudget: 0.03\nresources: {cpus: 1}\n"
      "run: |\n  trap 'echo checkpoint saved; exit 143' TERM\n  echo started\n  sleep 600 &\n  wait\n",
      "capped.yaml");
  ASSERT_GT(id, 0);
  ASSERT_EQ(server.WaitForState(id, {"SUCCEEDED", "FAILED", "CANCELLED"}, 90), "FAILED");
  auto job = server.Job(id);
  const std::string reason = job.value("reason", "");
  EXPECT_NE(reason.find("budget $0.03 reached"), std::string::npos) << job.dump();
  EXPECT_GE(job["cost_usd"].get<double>(), 0.03) << job.dump();
  // Stopped near its budget, not at the end of its 600 s sleep ($6): under $1 (100 s).
  EXPECT_LT(job["cost_usd"].get<double>(), 1.0) << job.dump();
  auto logs = server.Cli({"logs", std::to_string(id)});
  EXPECT_NE(logs.output.find("started"), std::string::npos) << logs.output;
  EXPECT_NE(logs.output.find("checkpoint saved"), std::string::npos) << logs.output;
}

// on_exceed: hold through the real server: alice's $0.01 for 30 days; each
// 1-minute CPU job at $0.36/h is estimated at $0.006. The first runs and keeps
// its estimate; the second would need $0.012, so it is accepted and held with
// the reason. A member cannot change budgets; an admin raises alice's to $1
// live and the held job runs.
TEST(BudgetIntegrationTest, AHeldJobWaitsWithTheReasonUntilAnAdminRaisesTheBudget) {
  ServerHarness server(R"(
local:
  price_per_cpu_hour: 0.36
  nodes:
    - name: box
      cpus: 4
      memory: 8GiB
budgets:
  on_exceed: hold
  tenants:
    alice: {usd: 0.01, period: 30d}
)");
  server.Start();
  const std::string alice = CreateMember(server, "alice");
  auto first = Submit(server, "name: first\ntime_limit: 1m\nresources: {cpus: 1}\nrun: sleep 50\n", alice);
  ASSERT_EQ(first.status, 201) << first.body;
  const int64_t first_id = first.Json()["id"].get<int64_t>();
  ASSERT_EQ(server.WaitForState(first_id, {"RUNNING", "SUCCEEDED", "FAILED"}, 60), "RUNNING");
  auto second = Submit(server, "name: second\ntime_limit: 1m\nresources: {cpus: 1}\nrun: true\n", alice);
  ASSERT_EQ(second.status, 201) << second.body;
  const int64_t id = second.Json()["id"].get<int64_t>();

  // It waits, and says why (the API's waiting_for, `skyrun status`).
  std::string why;
  for (int i = 0; i < 100 && why.empty(); ++i) {
    why = server.Job(id).value("waiting_for", "");
    if (why.empty()) usleep(100 * 1000);
  }
  EXPECT_EQ(server.Job(id).value("state", ""), "QUEUED");
  EXPECT_NE(why.find("held by tenant alice's budget (on_exceed: hold): "), std::string::npos) << why;
  EXPECT_NE(
      why.find("of it kept for 1 running job); this job is estimated at $0.0060 (0.02h (its time limit)"),
      std::string::npos)
      << why;
  auto status = server.Cli({"status", std::to_string(id)});
  EXPECT_NE(status.output.find("waiting for:   held by tenant alice's budget"), std::string::npos)
      << status.output;

  // A member cannot change budgets; a hostile or malformed body is refused with the key.
  const std::string raise = R"({"on_exceed": "hold", "tenants": {"alice": {"usd": 1, "period": "30d"}}})";
  auto attack = server.Put("/v1/budgets", raise, alice);
  EXPECT_EQ(attack.status, 403) << attack.body;
  EXPECT_NE(attack.body.find("only a platform admin can change budgets"), std::string::npos) << attack.body;
  auto negative = server.Put("/v1/budgets", R"({"tenants": {"alice": {"usd": -1, "period": "30d"}}})",
                             server.admin_token());
  EXPECT_EQ(negative.status, 400) << negative.body;
  EXPECT_NE(negative.body.find("budgets.tenants.alice.usd: expected an amount in USD"), std::string::npos)
      << negative.body;
  std::string deep = "{\"tenants\": ";
  for (int i = 0; i < 5000; ++i) deep += "{\"a\": ";
  deep += "1" + std::string(5000, '}') + "}";
  EXPECT_EQ(server.Put("/v1/budgets", deep, server.admin_token()).status, 400);
  EXPECT_EQ(server.Put("/v1/budgets", "[1, 2]", server.admin_token()).status, 400);
  EXPECT_EQ(server.Put("/v1/budgets", R"({"tenants": {}, "sneaky": 1})", server.admin_token()).status, 400);
  // Nothing changed: still held, still version 1.
  EXPECT_EQ(server.Get("/v1/budgets", server.admin_token()).Json()["version"], 1);

  // The admin raises it: the held job runs.
  auto raised = server.Put("/v1/budgets", raise, server.admin_token());
  ASSERT_EQ(raised.status, 200) << raised.body;
  EXPECT_EQ(raised.Json()["version"], 2);
  EXPECT_EQ(raised.Json()["budgets"][0]["usd"], 1.0);
  ASSERT_EQ(server.WaitForState(id, {"SUCCEEDED", "FAILED"}, 60), "SUCCEEDED");
  // The change is kept with who made it; alice does not see it.
  auto changes = server.Get("/v1/budgets", server.admin_token()).Json()["changes"];
  ASSERT_EQ(changes.size(), 1u) << changes.dump();
  EXPECT_NE(changes[0].value("by", "").find("platform admin"), std::string::npos) << changes.dump();
  EXPECT_EQ(changes[0]["before"]["tenants"]["alice"]["usd"], 0.01);
  EXPECT_EQ(changes[0]["after"]["tenants"]["alice"]["usd"], 1.0);
  EXPECT_FALSE(server.Get("/v1/budgets", alice).Json().contains("changes"));

  // SIGHUP re-reads the config file's budgets; a config that no longer parses changes nothing.
  auto version_after = [&](int64_t want) {
    nlohmann::json got;
    for (int i = 0; i < 100; ++i) {
      got = server.Get("/v1/budgets", server.admin_token()).Json();
      if (got.value("version", 0) == want) break;
      usleep(100 * 1000);
    }
    return got;
  };
  std::ofstream(server.state_dir() + "/server.yaml")
      << "local:\n  price_per_cpu_hour: 0.36\n  nodes:\n    - {name: box, cpus: 4, memory: 8GiB}\n"
      << "budgets:\n  on_exceed: hold\n  tenants:\n    alice: {usd: 5, period: 7d}\n";
  ASSERT_EQ(::kill(server.pid(), SIGHUP), 0);
  auto reread = version_after(3);
  ASSERT_EQ(reread.value("version", 0), 3) << reread.dump();
  EXPECT_EQ(reread["budgets"][0]["usd"], 5.0);
  EXPECT_EQ(reread["budgets"][0]["period"], "7d");
  EXPECT_NE(reread["changes"][1].value("by", "").find("SIGHUP"), std::string::npos) << reread.dump();
  std::ofstream(server.state_dir() + "/server.yaml")
      << "budgets: {tenants: {alice: {usd: -3, period: 7d}}}\n";
  ASSERT_EQ(::kill(server.pid(), SIGHUP), 0);
  usleep(500 * 1000);
  EXPECT_EQ(server.Get("/v1/budgets", server.admin_token()).Json()["version"], 3);
  EXPECT_TRUE(server.running());
}

}  // namespace
}  // namespace skyrun::testing
