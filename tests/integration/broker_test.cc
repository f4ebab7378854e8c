// The broker through the real server on a simulated cloud: jobs are placed
// by the optimizer over the pool's offers, the provisioner buys their
// instances (failing over when the cloud refuses), the instances are the
// job's own and go back when it ends, and a spot job survives preemptions by
// resuming from its checkpoint directory.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "server_harness.h"

namespace skyrun::testing {
namespace {

bool NodesMention(const ServerHarness& server, const std::string& text) {
  auto nodes = server.Cli({"nodes", "-o", "json"});
  return nodes.output.find(text) != std::string::npos;
}

// Three places, cheapest first: aws us-east-1a, aws us-west-2a, gcp
// us-central1-a. The first zone and the second region refuse capacity.
const char* kRefusingCloud = R"(
local:
  enabled: false
  kill_grace_seconds: 1
simcloud:
  - name: sim1
    inventory_interval_ms: 200
    offers:
      - {provider: aws, region: us-east-1, zone: us-east-1a, instance_type: m5.large, cpus: 2, memory_gib: 8,
         price: 0.096, spot_price: 0.035}
      - {provider: aws, region: us-west-2, zone: us-west-2a, instance_type: m5.large, cpus: 2, memory_gib: 8,
         price: 0.10}
      - {provider: gcp, region: us-central1, zone: us-central1-a, instance_type: n2-standard-2, cpus: 2,
         memory_gib: 8, price: 0.11}
    errors:
      - {zone: us-east-1a, kind: capacity, refuse_first: 100}
      - {region: us-west-2, kind: capacity, refuse_first: 100}
)";

TEST(BrokerIntegrationTest, ProvisionerFailsOverTwiceRunsOnTheThirdAndGivesTheInstanceBack) {
  ServerHarness server(kRefusingCloud);
  server.Start();
  // Its 10 GB input lies in aws/us-east-1: wherever else it runs, moving it there is charged.
  int64_t id = server.Submit(
      "name: failover\nresources: {cpus: 1}\n"
      "inputs: [{uri: s3://bucket/data, size_gb: 10, location: aws/us-east-1}]\n"
      "run: echo ran on $SKYRUN_INSTANCE_ID\n",
      "/tmp/failover.yaml");
  ASSERT_GT(id, 0);
  ASSERT_EQ(server.WaitForState(id, {"SUCCEEDED", "FAILED"}, 120), "SUCCEEDED") << server.Job(id).dump(2);
  auto j = server.Job(id);
  ASSERT_EQ(j["attempts"].size(), 1u) << j.dump(2);
  EXPECT_EQ(j["attempts"][0]["node"], "simcloud/sim1/i-0001") << j.dump(2);
  // The history: two refusals with what each blocked, then the purchase.
  const auto& tries = j["provision_tries"];
  ASSERT_EQ(tries.size(), 3u) << j.dump(2);
  EXPECT_EQ(tries[0]["zone"], "us-east-1a");
  EXPECT_EQ(tries[0]["outcome"], "capacity");
  // Capacity refusals hold their place for every job for 10 minutes (scheduler.block_capacity).
  EXPECT_EQ(tries[0]["blocked"].get<std::string>().rfind("zone aws/us-east-1/us-east-1a until 20", 0), 0u)
      << j.dump(2);
  EXPECT_EQ(tries[1]["region"], "us-west-2");
  EXPECT_EQ(tries[1]["outcome"], "capacity");
  EXPECT_EQ(tries[1]["blocked"].get<std::string>().rfind("region aws/us-west-2 until 20", 0), 0u)
      << j.dump(2);
  EXPECT_EQ(tries[2]["provider"], "gcp");
  EXPECT_EQ(tries[2]["instance_type"], "n2-standard-2");
  EXPECT_EQ(tries[2]["outcome"], "provisioned");
  EXPECT_EQ(tries[2]["detail"], "i-0001");
  // The attempt pays the whole instance it bought.
  EXPECT_NEAR(j["attempts"][0]["hourly_price_usd"].get<double>(), 0.11, 1e-9) << j.dump(2);

  auto status = server.Cli({"status", std::to_string(id)});
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find("Provisioning"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("zone aws/us-east-1/us-east-1a until "), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("region aws/us-west-2 until "), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("gcp/us-central1/us-central1-a"), std::string::npos) << status.output;
  EXPECT_NE(server.Cli({"logs", std::to_string(id)}).output.find("ran on i-0001"), std::string::npos);
  // The input's egress from aws/us-east-1 to gcp/us-central1 was charged at launch.
  auto report = server.Get("/v1/cost-report?by=job&since=1h", server.admin_token()).Json();
  ASSERT_EQ(report["lines"].size(), 1u) << report.dump(2);
  EXPECT_DOUBLE_EQ(report["lines"][0]["egress_gb"].get<double>(), 10) << report.dump(2);
  EXPECT_GT(report["lines"][0]["egress_usd"].get<double>(), 0) << report.dump(2);

  // No leaked instance: the job ended, so its instance was given back.
  for (int i = 0; i < 100 && NodesMention(server, "i-0001"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(NodesMention(server, "i-0001")) << server.Cli({"nodes"}).output;
}

TEST(BrokerIntegrationTest, CancelledJobsInstancesAreGivenBack) {
  ServerHarness server(kRefusingCloud);
  server.Start();
  int64_t id = server.Submit("name: sleeper\nresources: {cpus: 1}\nrun: sleep 600\n", "/tmp/sleeper.yaml");
  ASSERT_GT(id, 0);
  ASSERT_EQ(server.WaitForState(id, {"RUNNING"}, 120), "RUNNING") << server.Job(id).dump(2);
  EXPECT_TRUE(NodesMention(server, "i-0001"));
  ASSERT_EQ(server.Cli({"cancel", std::to_string(id)}).exit_code, 0);
  ASSERT_EQ(server.WaitForState(id, {"CANCELLED"}, 60), "CANCELLED") << server.Job(id).dump(2);
  for (int i = 0; i < 100 && NodesMention(server, "i-0001"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(NodesMention(server, "i-0001")) << server.Cli({"nodes"}).output;
}

// A job capped below every offer never runs: it waits with the reason.
TEST(BrokerIntegrationTest, AJobCappedBelowEveryOfferWaitsWithTheReason) {
  ServerHarness server(kRefusingCloud);
  server.Start();
  int64_t id = server.Submit("name: capped\nresources: {cpus: 1, max_hourly_cost: 0.001}\nrun: echo no\n",
                             "/tmp/capped.yaml");
  ASSERT_GT(id, 0);
  std::string reason;
  for (int i = 0; i < 200 && reason.find("max_hourly_cost") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto j = server.Job(id);
    reason = j.value("waiting_for", "") + " " + j.value("reason", "");
  }
  EXPECT_NE(reason.find("max_hourly_cost"), std::string::npos) << server.Job(id).dump(2);
  auto j = server.Job(id);
  EXPECT_EQ(j["attempts"].size(), 0u) << j.dump(2);
  EXPECT_FALSE(NodesMention(server, "i-0001"));
}

// Without retry-until-up, a job nothing can take fails with the reason.
TEST(BrokerIntegrationTest, WithoutRetryUntilUpAJobNothingCanTakeFails) {
  std::string config = kRefusingCloud;
  config += "scheduler: {retry_until_up: false}\n";
  ServerHarness server(config);
  server.Start();
  int64_t id = server.Submit("name: capped\nresources: {cpus: 1, max_hourly_cost: 0.001}\nrun: echo no\n",
                             "/tmp/capped.yaml");
  ASSERT_GT(id, 0);
  ASSERT_EQ(server.WaitForState(id, {"FAILED", "SUCCEEDED"}, 60), "FAILED") << server.Job(id).dump(2);
  auto j = server.Job(id);
  EXPECT_NE(j["reason"].get<std::string>().find("no offer can take it"), std::string::npos) << j.dump(2);
  EXPECT_EQ(j["attempts"].size(), 0u) << j.dump(2);
}

// A second job after a refusal does not try the refused places again while
// their blocks hold: its only try is the purchase in the third place.
TEST(BrokerIntegrationTest, ARefusedPlaceStaysBlockedForTheNextJob) {
  ServerHarness server(kRefusingCloud);
  server.Start();
  int64_t first = server.Submit("name: first\nresources: {cpus: 1}\nrun: echo one\n", "/tmp/first.yaml");
  ASSERT_GT(first, 0);
  ASSERT_EQ(server.WaitForState(first, {"SUCCEEDED", "FAILED"}, 120), "SUCCEEDED")
      << server.Job(first).dump(2);
  ASSERT_EQ(server.Job(first)["provision_tries"].size(), 3u) << server.Job(first).dump(2);
  int64_t second = server.Submit("name: second\nresources: {cpus: 1}\nrun: echo two\n", "/tmp/second.yaml");
  ASSERT_GT(second, 0);
  ASSERT_EQ(server.WaitForState(second, {"SUCCEEDED", "FAILED"}, 120), "SUCCEEDED")
      << server.Job(second).dump(2);
  auto j = server.Job(second);
  ASSERT_EQ(j["provision_tries"].size(), 1u) << j.dump(2);
  EXPECT_EQ(j["provision_tries"][0]["provider"], "gcp") << j.dump(2);
  EXPECT_EQ(j["provision_tries"][0]["outcome"], "provisioned") << j.dump(2);
}

// num_nodes: 1..3 with scaling efficiency 0.9 and a 1 h time limit (the
// estimate on one node): one node takes 60 min, two 60 / 1.8 = 33.3 min, so
// a 40 min deadline makes the broker buy two instances and run a gang of two.
TEST(BrokerIntegrationTest, ARangeOfNodesRunsWithTheCountTheBrokerChose) {
  ServerHarness server(kRefusingCloud);
  server.Start();
  int64_t id = server.Submit(
      "name: elastic\nnum_nodes: 1..3\nscaling_efficiency: 0.9\ntime_limit: 1h\ndeadline: 40m\n"
      "resources: {cpus: 1}\nrun: echo rank $SKYRUN_NODE_RANK of $SKYRUN_NUM_NODES on $SKYRUN_INSTANCE_ID\n",
      "/tmp/elastic.yaml");
  ASSERT_GT(id, 0);
  ASSERT_EQ(server.WaitForState(id, {"SUCCEEDED", "FAILED"}, 120), "SUCCEEDED") << server.Job(id).dump(2);
  auto j = server.Job(id);
  ASSERT_EQ(j["attempts"].size(), 2u) << j.dump(2);  // one row per rank
  const auto& tries = j["provision_tries"];
  ASSERT_FALSE(tries.empty()) << j.dump(2);
  EXPECT_EQ(tries.back()["outcome"], "provisioned") << j.dump(2);
  EXPECT_EQ(tries.back()["count"], 2) << j.dump(2);
  std::string logs = server.Cli({"logs", std::to_string(id)}).output;
  EXPECT_NE(logs.find("rank 0 of 2"), std::string::npos) << logs;
  EXPECT_NE(logs.find("rank 1 of 2"), std::string::npos) << logs;
}

// Spot instances: the first two the job gets are reclaimed 6 s after they
// start; the third is left alone. The job checkpoints a step counter.
const char* kPreemptingCloud = R"(
local:
  enabled: false
  kill_grace_seconds: 1
simcloud:
  - name: spotty
    inventory_interval_ms: 200
    offers:
      - {provider: aws, region: us-east-1, zone: us-east-1a, instance_type: m5.large, cpus: 2, memory_gib: 8,
         price: 0.096, spot_price: 0.035}
      - {provider: aws, region: us-west-2, zone: us-west-2a, instance_type: m5.large, cpus: 2, memory_gib: 8,
         price: 0.096, spot_price: 0.036}
    preemption:
      notice_seconds: 2
      recorded: [{instance: i-0001, after_ready_seconds: 6}, {instance: i-0002, after_ready_seconds: 6}]
)";

const char* kTrainer = R"(
name: trainer
resources: {cpus: 1, use_spot: true}
recovery: {strategy: STRATEGY}
run: |
  f="$SKYRUN_CHECKPOINT_DIR/step"
  s=0
  if [ -f "$f" ]; then s=$(cat "$f"); fi
  echo "resume from step $s on $SKYRUN_INSTANCE_ID"
  while [ "$s" -lt 12 ]; do
    s=$((s + 1))
    echo "$s" > "$f.tmp" && mv "$f.tmp" "$f"
    echo "step $s"
    sleep 1
  done
  echo "trained to step $s"
)";

std::string Trainer(const std::string& strategy) {
  std::string spec = kTrainer;
  spec.replace(spec.find("STRATEGY"), 8, strategy);
  return spec;
}

TEST(BrokerIntegrationTest, SpotJobPreemptedTwiceResumesFromItsCheckpointAndFinishes) {
  ServerHarness server(kPreemptingCloud);
  server.Start();
  int64_t id = server.Submit(Trainer("failover"), "/tmp/trainer.yaml");
  ASSERT_GT(id, 0);
  ASSERT_EQ(server.WaitForState(id, {"SUCCEEDED", "FAILED"}, 240), "SUCCEEDED") << server.Job(id).dump(2);
  auto j = server.Job(id);
  // Three attempts: two lost to preemption, the third ran to the end.
  ASSERT_EQ(j["attempts"].size(), 3u) << j.dump(2);
  EXPECT_EQ(j["attempts"][0]["state"], "LOST");
  EXPECT_NE(j["attempts"][0]["reason"].get<std::string>().find("PREEMPTED"), std::string::npos);
  EXPECT_EQ(j["attempts"][1]["state"], "LOST");
  EXPECT_EQ(j["attempts"][2]["state"], "SUCCEEDED");
  // failover: the same region first, so all three in us-east-1.
  for (int k = 0; k < 3; ++k)
    EXPECT_EQ(j["attempts"][k]["node"], "simcloud/spotty/i-000" + std::to_string(k + 1)) << j.dump(2);
  // Each attempt resumed where the last checkpoint left it: never from zero after the first.
  std::string log;
  for (int attempt = 1; attempt <= 3; ++attempt)
    log += server.Cli({"logs", std::to_string(id), "--attempt", std::to_string(attempt)}).output;
  size_t first = log.find("resume from step 0 ");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("resume from step 0 ", first + 1), std::string::npos) << log;
  EXPECT_NE(log.find("resume from step 1"), std::string::npos) << log;  // step 1.. on i-0002 and i-0003
  EXPECT_NE(log.find("trained to step 12"), std::string::npos) << log;

  // The cost report lists the three attempts of this job.
  auto report = server.Get("/v1/cost-report?by=job&since=1h", server.admin_token());
  ASSERT_EQ(report.status, 200) << report.body;
  auto r = report.Json();
  ASSERT_EQ(r["lines"].size(), 1u) << r.dump(2);
  EXPECT_EQ(r["lines"][0]["attempts"], 3) << r.dump(2);
}

TEST(BrokerIntegrationTest, EagerNextRegionBlocksThePreemptedRegion) {
  ServerHarness server(kPreemptingCloud);
  server.Start();
  int64_t id = server.Submit(Trainer("eager_next_region"), "/tmp/trainer.yaml");
  ASSERT_GT(id, 0);
  // i-0001 in us-east-1 (cheapest) is reclaimed; us-east-1 is then blocked,
  // so i-0002 is bought in us-west-2; reclaimed too, nothing is left.
  std::string state;
  nlohmann::json j;
  for (int i = 0; i < 1200; ++i) {
    j = server.Job(id);
    if (j.contains("provision_tries") && j["provision_tries"].size() >= 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const auto& tries = j["provision_tries"];
  ASSERT_GE(tries.size(), 3u) << j.dump(2);
  EXPECT_EQ(tries[0]["region"], "us-east-1") << j.dump(2);
  EXPECT_EQ(tries[1]["region"], "us-west-2") << j.dump(2);
  // After both regions were preempted, nothing is left to buy: the job waits.
  EXPECT_EQ(tries[2]["outcome"], "none") << j.dump(2);
  EXPECT_NE(tries[2]["detail"].get<std::string>().find("blocked"), std::string::npos) << j.dump(2);
  // Both blocks are the job's own, for its life (not a capacity hold that expires).
  EXPECT_NE(tries[2]["detail"].get<std::string>().find("region aws/us-east-1 for this job's life"),
            std::string::npos)
      << j.dump(2);
  EXPECT_FALSE(NodesMention(server, "i-0003"));
  EXPECT_EQ(server.Cli({"cancel", std::to_string(id)}).exit_code, 0);
}

// The spot price of the job's instance jumps from $0.035/h to $36/h 15 s
// after the server starts, while the job runs: from then on it is billed at
// the new price (a price change recorded for its task), not its launch price.
TEST(BrokerIntegrationTest, ASpotPriceChangeWhileTheJobRunsIsBilledFromTheChangeOn) {
  ServerHarness server(R"(
local:
  enabled: false
  kill_grace_seconds: 1
simcloud:
  - name: sim1
    inventory_interval_ms: 200
    offers:
      - {provider: aws, region: us-east-1, zone: us-east-1a, instance_type: m5.large, cpus: 2, memory_gib: 8,
         price: 0.096, spot_price: 0.035}
    spot_prices: [{instance_type: m5.large, zone: us-east-1a, at_seconds: 15, spot_price: 36}]
)");
  server.Start();
  int64_t id =
      server.Submit("name: spot\nresources: {cpus: 1, use_spot: true}\nrun: sleep 25\n", "/tmp/s.yaml");
  ASSERT_GT(id, 0);
  ASSERT_EQ(server.WaitForState(id, {"SUCCEEDED", "FAILED"}, 120), "SUCCEEDED") << server.Job(id).dump(2);
  auto j = server.Job(id);
  ASSERT_EQ(j["attempts"].size(), 1u) << j.dump(2);
  // Launched before the change, at the launch price.
  EXPECT_NEAR(j["attempts"][0]["hourly_price_usd"].get<double>(), 0.035, 1e-9) << j.dump(2);
  // At least 5 s at $36/h (the change came 15 s in, the job ran until 25 s after it started).
  auto report = server.Get("/v1/cost-report?by=job&since=1h", server.admin_token()).Json();
  ASSERT_EQ(report["lines"].size(), 1u) << report.dump(2);
  EXPECT_GT(report["lines"][0]["compute_usd"].get<double>(), 36.0 * 5 / 3600) << report.dump(2);
}

}  // namespace
}  // namespace skyrun::testing
