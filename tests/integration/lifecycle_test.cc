// End-to-end tests of the core platform through the real server process and
// the real CLI: quickstart, gang (ddp), recovery with checkpoints, cancel,
// crash and restart of the server, tenants and tokens, bad input.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "server_harness.h"

namespace skyrun::testing {
namespace {

std::string Example(const std::string& rel) {
  return ServerHarness::SourceDir() + "/examples/" + rel;
}

// A pool of 4 CPUs and 4 declared GPUs: enough for every test, and small
// enough that the gang tests can fill it.
const char* kPoolConfig = R"(
local:
  price_per_gpu_hour: 2.0
  price_per_cpu_hour: 0.10
  kill_grace_seconds: 2
  nodes:
    - name: gpu-box
      cpus: 4
      memory: 8GiB
      gpus: {model: A100-80GB, count: 4, memory_mb: 81920}
      attributes: {Country: US}
)";

TEST(LifecycleTest, QuickstartRunsToSuccessThroughTheCli) {
  ServerHarness server(kPoolConfig);
  server.Start();
  auto r = server.Cli({"launch", Example("quickstart/job.yaml")});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("final test accuracy"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(rank 0) epoch  12"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("SUCCEEDED"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ran on:   local: gpu-box"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("cost:"), std::string::npos) << r.output;
  auto q = server.Cli({"queue", "--all", "-o", "json"});
  ASSERT_EQ(q.exit_code, 0) << q.output;
  auto jobs = nlohmann::json::parse(q.output);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["state"], "SUCCEEDED");
  // 1 CPU at $0.10/h for a short run: a small positive cost.
  EXPECT_GT(jobs[0]["cost_usd"].get<double>(), 0.0);
}

TEST(LifecycleTest, DdpGangOfTwoTrainsOnBothRanks) {
  ServerHarness server(kPoolConfig);
  server.Start();
  auto r = server.Cli({"launch", Example("ddp/job.yaml")}, 300);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(rank 0) rank 0 finished training: weights in sync = True"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("(rank 1) rank 1 finished training: weights in sync = True"), std::string::npos)
      << r.output;
}

TEST(LifecycleTest, GangThatDoesNotFitWaitsAndNeverStartsPartially) {
  ServerHarness server(kPoolConfig);
  server.Start();
  // Take 3 of the 4 GPUs.
  int64_t blocker = server.Submit(
      "name: blocker\nresources: {accelerators: 'A100:3', cpus: 1}\nrun: sleep 600\n", "/tmp/blocker.yaml");
  ASSERT_EQ(server.WaitForState(blocker, {"RUNNING"}, 20), "RUNNING");
  // A gang of 2 x 1 GPU fits the pool but not what is free now.
  int64_t gang = server.Submit(
      "name: gang\nmode: gang\nnum_nodes: 2\ntasks_per_node: 2\nresources: {accelerators: 'A100:1', cpus: "
      "1}\n"
      "run: echo rank $RANK on $CUDA_VISIBLE_DEVICES\n",
      "/tmp/gang.yaml");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto j = server.Job(gang);
  EXPECT_EQ(j["state"], "QUEUED") << j.dump(2);
  EXPECT_TRUE(j["attempts"].empty()) << "no rank may start while the gang does not fit: " << j.dump(2);
  // The scheduler's gang-capacity pre-filter counts the room on each backend.
  EXPECT_NE(j["waiting_for"].get<std::string>().find("needs 2 ranks"), std::string::npos) << j.dump(2);
  EXPECT_NE(j["waiting_for"].get<std::string>().find("local has room for 1"), std::string::npos) << j.dump(2);
  // Free the GPUs: the whole gang starts and finishes.
  ASSERT_EQ(server.Cli({"cancel", std::to_string(blocker)}).exit_code, 0);
  EXPECT_EQ(server.WaitForState(blocker, {"CANCELLED"}, 20), "CANCELLED");
  EXPECT_EQ(server.WaitForState(gang, {"SUCCEEDED", "FAILED"}, 30), "SUCCEEDED");
  auto logs = server.Cli({"logs", std::to_string(gang)});
  EXPECT_NE(logs.output.find("(rank 0) rank 0 on "), std::string::npos) << logs.output;
  EXPECT_NE(logs.output.find("(rank 1) rank 1 on "), std::string::npos) << logs.output;
}

TEST(LifecycleTest, RecoverableExitRestartsAndResumesFromCheckpoint) {
  ServerHarness server(kPoolConfig);
  server.Start();
  auto r = server.Cli({"launch", Example("quickstart/recovery.yaml")});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("resuming from checkpoint at epoch 4"), std::string::npos) << r.output;
  auto q = server.Cli({"queue", "--all", "-o", "json"});
  auto id = nlohmann::json::parse(q.output)[0]["id"].get<int64_t>();
  auto j = server.Job(id);
  EXPECT_EQ(j["state"], "SUCCEEDED");
  EXPECT_EQ(j["attempt"], 2);
  EXPECT_EQ(j["restarts"], 1);
  ASSERT_EQ(j["attempts"].size(), 2u);
  EXPECT_EQ(j["attempts"][0]["exit_code"], 75);
  EXPECT_EQ(j["attempts"][1]["exit_code"], 0);
  // The events tell the story, with reasons.
  std::string events = j["events"].dump();
  EXPECT_NE(events.find("RECOVERING"), std::string::npos);
  EXPECT_NE(events.find("restart 1 of 2"), std::string::npos) << events;
}

TEST(LifecycleTest, BeyondTheRestartLimitTheJobFailsWithTheReason) {
  ServerHarness server(kPoolConfig);
  server.Start();
  // Fails with a recoverable code on every attempt.
  std::string spec =
      "name: flaky\nrun: echo attempt $SKYRUN_ATTEMPT; exit 75\n"
      "recovery: {max_restarts_on_errors: 2, recover_on_exit_codes: [75]}\n";
  int64_t id = server.Submit(spec, "/tmp/flaky.yaml");
  ASSERT_EQ(server.WaitForState(id, {"FAILED", "SUCCEEDED"}, 60), "FAILED");
  auto j = server.Job(id);
  EXPECT_EQ(j["attempt"], 3);
  EXPECT_EQ(j["attempts"].size(), 3u);
  EXPECT_NE(j["reason"].get<std::string>().find("restart limit reached"), std::string::npos) << j["reason"];
  // An exit code not in the list is not retried at all.
  int64_t other = server.Submit(
      "name: exit3\nrun: exit 3\nrecovery: {max_restarts_on_errors: 2, "
      "recover_on_exit_codes: [75]}\n",
      "/tmp/exit3.yaml");
  ASSERT_EQ(server.WaitForState(other, {"FAILED", "SUCCEEDED"}, 30), "FAILED");
  auto o = server.Job(other);
  EXPECT_EQ(o["attempt"], 1);
  EXPECT_NE(o["reason"].get<std::string>().find("not in recovery.recover_on_exit_codes"), std::string::npos)
      << o["reason"];
}

TEST(LifecycleTest, CancelStopsTheWholeProcessGroup) {
  ServerHarness server(kPoolConfig);
  server.Start();
  int64_t id = server.Submit("name: sleeper\nrun: sleep 300 & sleep 300; wait\n", "/tmp/sleeper.yaml");
  ASSERT_EQ(server.WaitForState(id, {"RUNNING"}, 20), "RUNNING");
  auto r = server.Cli({"cancel", std::to_string(id)});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(server.WaitForState(id, {"CANCELLED"}, 20), "CANCELLED");
  auto j = server.Job(id);
  EXPECT_EQ(j["attempts"][0]["state"], "KILLED") << j.dump(2);
  // Nothing of the task is left: no process has its cwd in the job's dir.
  auto ps =
      RunCommand({"/bin/sh", "-c",
                  "ls -l /proc/[0-9]*/cwd 2>/dev/null | grep -c '" + server.state_dir() + "/jobs/' || true"},
                 {}, 10);
  EXPECT_EQ(ps.output, "0\n");
}

TEST(LifecycleTest, ServerKilledWhileAJobRunsReadoptsIt) {
  ServerHarness server(kPoolConfig);
  server.Start();
  int64_t id =
      server.Submit("name: survivor\nrun: echo started-once; sleep 3; echo finished\n", "/tmp/survivor.yaml");
  ASSERT_EQ(server.WaitForState(id, {"RUNNING"}, 20), "RUNNING");
  server.Kill9();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  server.Start();
  EXPECT_EQ(server.WaitForState(id, {"SUCCEEDED", "FAILED"}, 30), "SUCCEEDED");
  auto j = server.Job(id);
  EXPECT_EQ(j["attempts"].size(), 1u) << "the task must not be started twice: " << j.dump(2);
  auto logs = server.Cli({"logs", std::to_string(id)});
  EXPECT_NE(logs.output.find("finished"), std::string::npos) << logs.output;
  size_t first = logs.output.find("started-once");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(logs.output.find("started-once", first + 1), std::string::npos) << logs.output;
}

TEST(LifecycleTest, ServerKilledDuringSubmissionsKeepsEveryAcknowledgedJob) {
  ServerHarness server(kPoolConfig);
  server.Start();
  std::string token = server.admin_token();
  std::vector<int64_t> acknowledged;
  std::mutex mu;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      while (!stop) {
        auto r = server.Post(
            "/v1/jobs",
            {{"spec", "name: tiny\nresources: {cpus: 0.1}\nrun: 'true'\n"}, {"file", "/tmp/tiny.yaml"}},
            token);
        if (r.status == 201) {
          std::lock_guard<std::mutex> lock(mu);
          acknowledged.push_back(r.Json()["id"].get<int64_t>());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(3));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  server.Kill9();
  stop = true;
  for (auto& w : writers) w.join();
  ASSERT_GT(acknowledged.size(), 10u);
  server.Start();
  for (int64_t id : acknowledged) {
    auto r = server.Get("/v1/jobs/" + std::to_string(id), token);
    EXPECT_EQ(r.status, 200) << "acknowledged job " << id << " was lost";
  }
  // And every one of them runs to the end exactly once.
  for (int64_t id : acknowledged) {
    EXPECT_EQ(server.WaitForState(id, {"SUCCEEDED", "FAILED", "CANCELLED"}, 60), "SUCCEEDED") << id;
  }
  for (int64_t id : acknowledged) {
    auto j = server.Job(id);
    int starts = 0;
    for (const auto& a : j["attempts"])
      if (!a["started_at"].get<std::string>().empty()) ++starts;
    EXPECT_EQ(starts, 1) << j.dump(2);
  }
}

TEST(LifecycleTest, TenantsAreIsolated) {
  ServerHarness server(kPoolConfig);
  server.Start();
  int64_t id = server.Submit("name: secret\nrun: echo hidden\n", "/tmp/secret.yaml");
  ASSERT_GT(id, 0);
  ASSERT_EQ(server.Cli({"admin", "tenant", "create", "vision"}).exit_code, 0);
  auto tok = server.Cli({"admin", "token", "create", "--tenant", "vision", "--role", "member", "-o", "json"});
  ASSERT_EQ(tok.exit_code, 0) << tok.output;
  std::string other = nlohmann::json::parse(tok.output)["token"];
  std::string path = "/v1/jobs/" + std::to_string(id);
  EXPECT_EQ(server.Get(path, other).status, 404);
  EXPECT_EQ(server.Get(path + "/logs", other).status, 404);
  EXPECT_EQ(server.Get(path + "/events", other).status, 404);
  EXPECT_EQ(server.Post(path + "/cancel", nlohmann::json::object(), other).status, 404);
  EXPECT_EQ(server.Get("/v1/jobs", other).Json()["jobs"].size(), 0u);
  EXPECT_EQ(server.Get(path, "").status, 401);
  EXPECT_EQ(server.Get(path, "skyrun_not-a-real-token").status, 401);
  EXPECT_EQ(server.Get("/v1/jobs", "").status, 401);
  // The other tenant's own jobs are its own.
  int64_t mine = server.Submit("name: mine\nrun: 'true'\n", "/tmp/mine.yaml", other);
  EXPECT_EQ(server.Get("/v1/jobs/" + std::to_string(mine), other).status, 200);
  // A viewer can read but not submit or cancel.
  auto view =
      server.Cli({"admin", "token", "create", "--tenant", "vision", "--role", "viewer", "-o", "json"});
  std::string viewer = nlohmann::json::parse(view.output)["token"];
  EXPECT_EQ(server.Get("/v1/jobs/" + std::to_string(mine), viewer).status, 200);
  EXPECT_EQ(server.Post("/v1/jobs", {{"spec", "run: 'true'"}}, viewer).status, 403);
  // Members cannot mint tokens.
  EXPECT_EQ(server.Post("/v1/admin/tokens", {{"tenant", "vision"}, {"role", "admin"}}, other).status, 403);
}

TEST(LifecycleTest, BadSpecsAreRefusedAndNothingIsStored) {
  ServerHarness server(kPoolConfig);
  server.Start();
  std::string token = server.admin_token();
  auto r = server.Post(
      "/v1/jobs", {{"spec", "name: x\nresorces: {cpus: 1}\nrun: 'true'\n"}, {"file", "/tmp/b.yaml"}}, token);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("did you mean 'resources'"), std::string::npos) << r.body;
  EXPECT_EQ(server.Post("/v1/jobs", {{"spec", "resources: {gpu_milli: 1001}\nrun: x\n"}}, token).status, 400);
  EXPECT_EQ(server.Post("/v1/jobs", {{"spec", ""}}, token).status, 400);
  EXPECT_EQ(server.Post("/v1/jobs", {{"spek", "run: x"}}, token).status, 400);
  // More GPUs than any node has: refused at submission with the reason.
  auto big = server.Post("/v1/jobs", {{"spec", "resources: {accelerators: 'A100:8'}\nrun: x\n"}}, token);
  EXPECT_EQ(big.status, 400);
  EXPECT_NE(big.body.find("can never fit"), std::string::npos) << big.body;
  EXPECT_EQ(server.Get("/v1/jobs?live=false", token).Json()["jobs"].size(), 0u);
  // The CLI: exit status 2 and the problem with its place.
  std::string bad = server.state_dir() + "/bad.yaml";
  std::ofstream(bad) << "name: x\nresources:\n  accelerators: 'A100:-2'\nrun: 'true'\n";
  auto cli = server.Cli({"launch", bad});
  EXPECT_EQ(cli.exit_code, 2) << cli.output;
  EXPECT_NE(cli.output.find("bad.yaml:3:"), std::string::npos) << cli.output;
  EXPECT_EQ(server.Get("/v1/jobs?live=false", token).Json()["jobs"].size(), 0u);
}

TEST(LifecycleTest, NodesMetricsAndHealth) {
  ServerHarness server(kPoolConfig);
  server.Start();
  auto nodes = server.Cli({"nodes", "-o", "json"});
  ASSERT_EQ(nodes.exit_code, 0) << nodes.output;
  auto n = nlohmann::json::parse(nodes.output);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0]["name"], "gpu-box");
  EXPECT_EQ(n[0]["gpus"].size(), 4u);
  auto table = server.Cli({"nodes"});
  EXPECT_NE(table.output.find("A100-80GB"), std::string::npos) << table.output;
  server.Submit("name: m\nrun: 'true'\n", "/tmp/m.yaml");
  auto metrics = server.Get("/metrics", server.admin_token());
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("skyrun_jobs{state=\"QUEUED\"}"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("skyrun_queue_length"), std::string::npos);
  EXPECT_NE(metrics.body.find("skyrun_api_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(metrics.body.find("skyrun_scheduling_latency_seconds_count"), std::string::npos);
  EXPECT_EQ(server.Get("/metrics", "").status, 401);
  EXPECT_EQ(server.Get("/healthz", "").status, 200);
}

}  // namespace
}  // namespace skyrun::testing
