// A SkyPilot task YAML run unchanged through the real server and CLI
// (issue 15): a 2-node job on the local pool whose run line reads SkyPilot's
// task variables, with a required env and a secret given at launch.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "server_harness.h"
#include "support/temp_dir.h"

namespace skyrun::testing {
namespace {

// Two nodes of 2 GPUs: a 2-node gang takes one rank on each.
const char* kTwoNodes = R"(
local:
  kill_grace_seconds: 2
  nodes:
    - name: box-a
      cpus: 2
      memory: 4GiB
      gpus: {model: A100, count: 2, memory_mb: 40960}
    - name: box-b
      cpus: 2
      memory: 4GiB
      gpus: {model: A100, count: 2, memory_mb: 40960}
)";

// As SkyPilot's examples write it: no mode, a capitalised name, a valueless
// env and a valueless secret to be given at launch.
const char* kTask = R"(name: SkyPilot-DDP

resources:
  accelerators: A100:2

num_nodes: 2

envs:
  WHO:

secrets:
  API_KEY: null

setup: |
  echo "setup rank=$SKYPILOT_NODE_RANK"

run: |
  echo "vars $SKYPILOT_NODE_RANK $SKYPILOT_NUM_NODES $SKYPILOT_NUM_GPUS_PER_NODE $SKYPILOT_TASK_ID"
  echo "ips $(echo "$SKYPILOT_NODE_IPS" | wc -l) who=$WHO"
  test "$API_KEY" = s3cr3t-value && echo "secret ok"
)";

TEST(SkyPilotTest, MultiNodeRunLineReadsSkyPilotVariables) {
  ServerHarness server(kTwoNodes);
  server.Start();
  test_support::TempDir dir("skypilot-it");
  std::string file = dir.path() + "/train.yaml";
  std::ofstream(file) << kTask;

  // Without the required values the launch is refused, naming them.
  auto refused = server.Cli({"launch", file});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("envs.WHO: has no value: give it at launch with --env WHO=VALUE"),
            std::string::npos)
      << refused.output;
  EXPECT_NE(refused.output.find("--secret API_KEY=VALUE"), std::string::npos) << refused.output;

  auto r = server.Cli({"launch", file, "--env", "WHO=alice", "--secret", "API_KEY=s3cr3t-value"}, 120);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("s3cr3t-value"), std::string::npos) << "the secret is never shown: " << r.output;
  auto q = server.Cli({"queue", "--all", "-o", "json"});
  ASSERT_EQ(q.exit_code, 0) << q.output;
  auto jobs = nlohmann::json::parse(q.output);
  ASSERT_EQ(jobs.size(), 1u);
  int64_t id = jobs[0]["id"].get<int64_t>();
  auto job = server.Job(id);
  EXPECT_EQ(job["name"], "skypilot-ddp");
  EXPECT_EQ(job["mode"], "gang") << job.dump(2);
  std::string task_id = "skyrun-" + std::to_string(id) + "_skypilot-ddp";

  auto logs = server.Cli({"logs", std::to_string(id)});
  ASSERT_EQ(logs.exit_code, 0) << logs.output;
  for (int rank : {0, 1}) {
    std::string prefix = "(rank " + std::to_string(rank) + ") ";
    EXPECT_NE(logs.output.find(prefix + "vars " + std::to_string(rank) + " 2 2 " + task_id),
              std::string::npos)
        << logs.output;
    EXPECT_NE(logs.output.find(prefix + "ips 2 who=alice"), std::string::npos) << logs.output;
    EXPECT_NE(logs.output.find(prefix + "secret ok"), std::string::npos) << logs.output;
  }
  // Neither the API's job view nor `skyrun status` shows the secret.
  EXPECT_EQ(server.Job(id).dump().find("s3cr3t-value"), std::string::npos);
  auto status = server.Cli({"status", std::to_string(id)});
  EXPECT_EQ(status.output.find("s3cr3t-value"), std::string::npos) << status.output;
}

// A Slurm user's batch script, unchanged, on the local pool (issue 15, item 2).
TEST(SkyPilotTest, SbatchScriptRunsWithSlurmVariables) {
  ServerHarness server(kTwoNodes);
  server.Start();
  test_support::TempDir dir("sbatch-it");
  std::string file = dir.path() + "/train.sbatch";
  std::ofstream(file) << "#!/bin/bash\n#SBATCH --job-name=train\n#SBATCH --nodes=2\n"
                         "#SBATCH --gres=gpu:a100:1\n#SBATCH --time=10\n"
                         "echo \"slurm $SLURM_PROCID $SLURM_NODEID $SLURM_NNODES $SLURM_NTASKS "
                         "$SLURM_JOB_NODELIST $SLURM_JOB_NAME\"\n";
  auto r = server.Cli({"launch", file}, 120);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(rank 0) slurm 0 0 2 2 box-a,box-b train"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(rank 1) slurm 1 1 2 2 box-a,box-b train"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace skyrun::testing
