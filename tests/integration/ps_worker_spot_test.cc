// A ps-worker job on a simulated cloud through the real server (Proteus):
// the broker buys the parameter server an on-demand instance and the two
// workers spot instances of the one region; a worker's instance is reclaimed
// (recorded preemption) and the job is recovered — the whole job, from its
// checkpoint directory in the pool's bucket — and finishes on new instances,
// again the parameter server on demand and the workers on spot.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "server_harness.h"

namespace skyrun::testing {
namespace {

// One instance type, on demand at $0.096/h and spot at $0.035/h. The roles
// are bought in order: ps i-0001 (on demand), workers i-0002 and i-0003
// (spot); i-0002 is reclaimed 40 s after the server starts.
const char* kCloud = R"(
local:
  enabled: false
  kill_grace_seconds: 1
simcloud:
  - name: sim1
    offers:
      - {provider: aws, region: us-east-1, zone: us-east-1a, instance_type: m5.large, cpus: 2, memory_gib: 8,
         price: 0.096, spot_price: 0.035}
    preemption:
      notice_seconds: 5
      recorded: [{instance: i-0002, at_seconds: 40}]
)";

// Each task fills its instance (2 CPUs) and leaves a mark in the checkpoint directory on its first attempt
// and waits; a task that finds its mark resumed and finishes.
const char* kJob = R"(name: pw
mode: ps-worker
resources: {cpus: 2, use_spot: true}
roles:
  ps: {count: 1}
  worker: {count: 2}
run: |
  mark="$SKYRUN_CHECKPOINT_DIR/$SKYRUN_ROLE-$SKYRUN_NODE_RANK"
  if [ -f "$mark" ]; then echo "$SKYRUN_ROLE resumed on attempt $SKYRUN_ATTEMPT"; exit 0; fi
  touch "$mark"
  echo "$SKYRUN_ROLE started"
  sleep 600
)";

TEST(PsWorkerSpotTest, ParameterServerOnDemandWorkersOnSpotSurviveAWorkerPreemption) {
  ServerHarness server(kCloud);
  server.Start();
  const int64_t id = server.Submit(kJob, "/tmp/pw.yaml");
  ASSERT_GT(id, 0);
  ASSERT_EQ(server.WaitForState(id, {"SUCCEEDED", "FAILED"}, 240), "SUCCEEDED") << server.Job(id).dump(2);
  auto j = server.Job(id);
  // Attempt 1: ranks 0 (ps), 1 and 2 (workers); the preempted worker LOST.
  // Attempt 2: the same three, on new instances, SUCCEEDED.
  std::map<int, std::vector<nlohmann::json>> by_attempt;
  for (const auto& a : j["attempts"]) by_attempt[a["attempt"].get<int>()].push_back(a);
  ASSERT_EQ(by_attempt.size(), 2u) << j.dump(2);
  bool preempted = false;
  std::set<std::string> nodes;
  for (const auto& [no, tasks] : by_attempt) {
    ASSERT_EQ(tasks.size(), 3u) << j.dump(2);
    for (const auto& a : tasks) {
      const int rank = a["rank"].get<int>();
      nodes.insert(a["node"].get<std::string>());
      // The ps pays the on-demand price of its instance; each worker the spot price.
      EXPECT_NEAR(a["hourly_price_usd"].get<double>(), rank == 0 ? 0.096 : 0.035, 1e-9) << a.dump(2);
      if (no == 1 && a["state"] == "LOST") {
        EXPECT_EQ(a["node"], "simcloud/sim1/i-0002") << a.dump(2);
        EXPECT_EQ(a["reason"].get<std::string>().rfind("PREEMPTED: spot instance i-0002", 0), 0u)
            << a.dump(2);
        preempted = true;
      }
      if (no == 2) {
        EXPECT_EQ(a["state"], "SUCCEEDED") << a.dump(2);
      }
    }
  }
  EXPECT_TRUE(preempted) << j.dump(2);
  EXPECT_EQ(nodes.size(), 6u) << j.dump(2);  // three instances per attempt, none shared
  auto logs = server.Cli({"logs", std::to_string(id), "--attempt", "2"});
  EXPECT_NE(logs.output.find("ps resumed on attempt 2"), std::string::npos) << logs.output;
  EXPECT_NE(logs.output.find("worker resumed on attempt 2"), std::string::npos) << logs.output;
}

}  // namespace
}  // namespace skyrun::testing
