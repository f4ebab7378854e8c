// Jobs on a simulated cloud through the real server: the config declares a
// simcloud backend and pre-provisions its instances; the scheduler places
// the job on an instance node and its task runs as a real supervised process.
// A recorded spot preemption stops the task and the controller recovers the
// job as an infrastructure failure (the attempt LOST to "PREEMPTED").
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "server_harness.h"

namespace skyrun::testing {
namespace {

// One on-demand V100 instance, pre-provisioned; the local pool is off, so
// the instance is the only place a job can run.
const char* kOnDemandCloud = R"(
local:
  enabled: false
  kill_grace_seconds: 1
simcloud:
  - name: sim1
    offers:
      - {provider: aws, region: us-east-1, zone: us-east-1a, instance_type: p3.2xlarge, accelerator: V100,
         accelerator_count: 1, gpu_memory_mib: 16384, cpus: 8, memory_gib: 61, price: 3.06, spot_price: 0.918}
    provision: [{instance_type: p3.2xlarge, zone: us-east-1a}]
)";

TEST(SimcloudIntegrationTest, JobRunsOnAPreprovisionedInstanceToSuccess) {
  ServerHarness server(kOnDemandCloud);
  server.Start();
  auto nodes = server.Cli({"nodes", "-o", "json"});
  ASSERT_EQ(nodes.exit_code, 0) << nodes.output;
  EXPECT_NE(nodes.output.find("simcloud/sim1/i-0001"), std::string::npos) << nodes.output;

  int64_t id = server.Submit(
      "name: on-sim\nresources: {accelerators: 'V100:1', cpus: 1}\n"
      "run: echo hello from $SKYRUN_INSTANCE_ID with gpus $CUDA_VISIBLE_DEVICES\n",
      "/tmp/on-sim.yaml");
  ASSERT_GT(id, 0);
  ASSERT_EQ(server.WaitForState(id, {"SUCCEEDED", "FAILED"}, 120), "SUCCEEDED") << server.Job(id).dump(2);
  auto j = server.Job(id);
  ASSERT_EQ(j["attempts"].size(), 1u) << j.dump(2);
  EXPECT_EQ(j["attempts"][0]["node"], "simcloud/sim1/i-0001") << j.dump(2);
  EXPECT_EQ(j["attempts"][0]["backend"], "simcloud/sim1") << j.dump(2);
  auto logs = server.Cli({"logs", std::to_string(id)});
  EXPECT_NE(logs.output.find("hello from i-0001 with gpus 0"), std::string::npos) << logs.output;
}

// Spot capacity only: the broker buys the job a spot instance (i-0001),
// reclaimed 40 s after the server starts (notice 5 s before). The attempt is
// LOST to the preemption, the job is recovered (not failed) and the broker
// buys it a new instance.
const char* kSpotCloud = R"(
local:
  enabled: false
  kill_grace_seconds: 1
simcloud:
  - name: spotty
    offers:
      - {provider: aws, region: us-east-1, zone: us-east-1a, instance_type: m5.large, cpus: 2, memory_gib: 8,
         price: 0.096, spot_price: 0.035}
    preemption:
      notice_seconds: 5
      recorded: [{instance: i-0001, at_seconds: 40}]
)";

TEST(SimcloudIntegrationTest, PreemptedSpotInstanceLosesTheTaskAndTheJobIsRecoveredNotFailed) {
  ServerHarness server(kSpotCloud);
  server.Start();
  int64_t id = server.Submit(
      "name: spot-job\nresources: {cpus: 1, use_spot: true, requirements: Spot}\n"
      "run: |\n"
      "  while [ ! -f \"$SKYRUN_PREEMPTION_NOTICE_FILE\" ]; do sleep 0.2; done\n"
      "  echo got the notice, checkpointing\n"
      "  sleep 600\n",
      "/tmp/spot.yaml");
  ASSERT_GT(id, 0);
  // Well before the preemption at 40 s, even on a loaded machine.
  ASSERT_EQ(server.WaitForState(id, {"RUNNING"}, 30), "RUNNING") << server.Job(id).dump(2);
  // The preemption comes at 40 s; the job must then be on a second attempt, not failed.
  nlohmann::json j;
  for (int i = 0; i < 1200; ++i) {
    j = server.Job(id);
    if (j["state"] == "FAILED" || (j["attempts"].size() >= 1 && j["attempts"][0]["state"] == "LOST")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_NE(j["state"], "FAILED") << j.dump(2);
  ASSERT_GE(j["attempts"].size(), 1u) << j.dump(2);
  EXPECT_EQ(j["attempts"][0]["state"], "LOST") << j.dump(2);
  EXPECT_EQ(j["attempts"][0]["reason"].get<std::string>().rfind("PREEMPTED: spot instance i-0001", 0), 0u)
      << j.dump(2);
  auto logs = server.Cli({"logs", std::to_string(id), "--attempt", "1"});
  EXPECT_NE(logs.output.find("got the notice, checkpointing"), std::string::npos) << logs.output;
  EXPECT_EQ(server.Cli({"cancel", std::to_string(id)}).exit_code, 0);
}

}  // namespace
}  // namespace skyrun::testing
