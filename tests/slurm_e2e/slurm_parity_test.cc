// Slurm parity (issue 15): the SAME sbatch script (#SBATCH nodes, gres and an
// array with a %N limit) submitted with Slurm's own `sbatch` to the suite's
// Slurm cluster, and through skyrun to the local pool and to the Slurm
// backend. Each run's tasks write `env | grep ^SLURM_` to a file; the
// variables skyrun promises (docs/migrating.md, "SLURM_* variables") are
// compared value by value with what Slurm set in the batch script.
//
// Expected differences, normalised here and listed in docs/migrating.md:
//   - job ids (SLURM_JOB_ID, SLURM_JOBID, SLURM_ARRAY_JOB_ID) are each
//     system's own: checked for shape (one array id shared by the elements,
//     SLURM_JOBID = SLURM_JOB_ID, distinct per element), not for value;
//   - SLURM_NTASKS: sbatch sets it only with -n/--ntasks-per-node; skyrun
//     always sets the job's task count;
//   - skyrun runs the script in every task (rank), Slurm's batch step once on
//     the first node: the batch step's values are compared with rank 0's.
// The local pool's nodes are named node1 and node2, as the cluster's are, so
// node lists need no renaming.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "common/strings.h"
#include "server_harness.h"
#include "support/golden.h"
#include "support/slurm/slurm_cluster_suite.h"
#include "support/temp_dir.h"

namespace skyrun::testing {
namespace {

namespace fs = std::filesystem;
using test_support::ReadFileOrEmpty;
using Env = std::map<std::string, std::string>;

// What skyrun promises to set as Slurm does (docs/migrating.md).
const std::vector<std::string> kCompared = {
    "SLURM_JOB_NAME",       "SLURM_PROCID",           "SLURM_LOCALID",        "SLURM_NODEID",
    "SLURM_NNODES",         "SLURM_JOB_NUM_NODES",    "SLURM_JOB_NODELIST",   "SLURM_NODELIST",
    "SLURM_ARRAY_TASK_ID",  "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX",
    "SLURM_ARRAY_TASK_STEP"};
const std::vector<int> kIndices = {0, 2, 4};

class SlurmParityTest : public SlurmClusterSuite {
 protected:
  static void SetUpTestSuite() {
    SlurmTestClusterOptions options;
    options.nodes = 2;
    options.gpus_per_node = 2;
    options.gpu_type = "T4";
    StartCluster(options);
  }
  static void TearDownTestSuite() { StopCluster(); }
};

Env EnvFile(const std::string& path) {
  Env env;
  for (const auto& line : Split(ReadFileOrEmpty(path), '\n')) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

// Each element's rank-0 environment from `dir`, by array index.
std::map<int, Env> Collect(const std::string& dir) {
  std::map<int, Env> out;
  for (int i : kIndices) out[i] = EnvFile(dir + "/env-" + std::to_string(i) + "-0");
  return out;
}

void WaitForJobs(const ServerHarness& server, size_t count) {
  auto q = server.Cli({"queue", "--all", "-o", "json"});
  ASSERT_EQ(q.exit_code, 0) << q.output;
  auto jobs = nlohmann::json::parse(q.output);
  ASSERT_EQ(jobs.size(), count) << q.output;
  for (const auto& j : jobs) {
    EXPECT_EQ(server.WaitForState(j["id"].get<int64_t>(), {"SUCCEEDED", "FAILED", "CANCELLED"}, 60),
              "SUCCEEDED")
        << server.Job(j["id"].get<int64_t>()).dump(2);
  }
}

void ExpectIdsShaped(const std::map<int, Env>& run, const std::string& who) {
  std::set<std::string> job_ids, array_ids;
  for (const auto& [i, env] : run) {
    ASSERT_TRUE(env.count("SLURM_JOB_ID")) << who << " element " << i << " wrote no environment";
    EXPECT_TRUE(ParseInt64(env.at("SLURM_JOB_ID")).has_value()) << who;
    EXPECT_EQ(env.at("SLURM_JOBID"), env.at("SLURM_JOB_ID")) << who;
    job_ids.insert(env.at("SLURM_JOB_ID"));
    array_ids.insert(env.count("SLURM_ARRAY_JOB_ID") ? env.at("SLURM_ARRAY_JOB_ID") : "");
  }
  EXPECT_EQ(job_ids.size(), kIndices.size()) << who << ": one job id per element";
  EXPECT_EQ(array_ids.size(), 1u) << who << ": one array id for all";
  EXPECT_TRUE(ParseInt64(*array_ids.begin()).has_value()) << who;
}

TEST_F(SlurmParityTest, SameSbatchScriptSetsTheSameSlurmVariablesAsSlurm) {
  test_support::TempDir scratch("skyrun-parity");
  const std::string out = scratch.path() + "/out";
  const std::string script = scratch.path() + "/parity.sbatch";
  std::ofstream(script) << "#!/bin/bash\n"
                           "#SBATCH --job-name=parity\n"
                           "#SBATCH --nodes=2\n"
                           "#SBATCH --gres=gpu:T4:1\n"
                           "#SBATCH --array=0-4:2%2\n"
                           "#SBATCH --time=5\n"
                           "#SBATCH --output="
                        << out
                        << "/slurm-%A_%a.out\n"
                           "env | grep ^SLURM_ | sort >\""
                        << out << "/env-$SLURM_ARRAY_TASK_ID-${SLURM_PROCID:-0}\"\n";
  // Runs one way, then keeps what it wrote under `name`.
  auto keep = [&](const std::string& name) {
    fs::rename(out, scratch.path() + "/" + name);
    fs::create_directories(out);
    return scratch.path() + "/" + name;
  };
  fs::create_directories(out);

  // 1. Slurm's own sbatch.
  auto submitted = cluster_->Run({"sbatch", "--parsable", script});
  ASSERT_TRUE(submitted.ok() && submitted->exit_code == 0)
      << (submitted.ok() ? submitted->err : submitted.status().message());
  std::string array_id = Trim(Split(submitted->out, ';')[0]);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    auto q = cluster_->Run({"squeue", "-h", "-j", array_id, "-o", "%i"});
    if (q.ok() && Trim(q->out).empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  auto slurm = Collect(keep("sbatch"));

  // 2. skyrun, the local pool (nodes named as the cluster's).
  {
    ServerHarness server(R"(local:
  kill_grace_seconds: 1
  sandbox:
    enabled: false
  nodes:
    - name: node1
      cpus: 2
      memory: 4GiB
      gpus: {model: T4, count: 2, memory_mb: 15360}
    - name: node2
      cpus: 2
      memory: 4GiB
      gpus: {model: T4, count: 2, memory_mb: 15360}
)");
    server.Start();
    auto r = server.Cli({"launch", script}, 60);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    WaitForJobs(server, kIndices.size());
  }
  auto local_dir = keep("local");
  auto local = Collect(local_dir);

  // 3. skyrun, the Slurm backend.
  {
    ServerHarness server("local: {enabled: false}\nslurm:\n  - name: hpc1\n    slurm_conf: " +
                         cluster_->slurm_conf() + "\n    partition: debug\n");
    server.Start();
    auto r = server.Cli({"launch", script}, 60);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    WaitForJobs(server, kIndices.size());
  }
  auto via_slurm_dir = keep("skyrun-slurm");
  auto via_slurm = Collect(via_slurm_dir);

  for (const auto& [who, run] : std::vector<std::pair<std::string, std::map<int, Env>*>>{
           {"sbatch", &slurm}, {"skyrun local", &local}, {"skyrun slurm", &via_slurm}})
    ExpectIdsShaped(*run, who);
  for (int i : kIndices) {
    for (const auto& key : kCompared) {
      std::string want = slurm[i].count(key) ? slurm[i][key] : "(unset)";
      EXPECT_NE(want, "(unset)") << "sbatch did not set " << key;
      EXPECT_EQ(local[i].count(key) ? local[i][key] : "(unset)", want)
          << key << " of element " << i << ", local";
      EXPECT_EQ(via_slurm[i].count(key) ? via_slurm[i][key] : "(unset)", want)
          << key << " of element " << i << ", skyrun on Slurm";
    }
    // The listed difference: sbatch without -n sets no SLURM_NTASKS.
    EXPECT_EQ(slurm[i].count("SLURM_NTASKS"), 0u);
    EXPECT_EQ(local[i]["SLURM_NTASKS"], "2");
    EXPECT_EQ(via_slurm[i]["SLURM_NTASKS"], "2");
    // skyrun's second rank: the same script on the second node.
    for (const auto& dir : {local_dir, via_slurm_dir}) {
      Env rank1 = EnvFile(dir + "/env-" + std::to_string(i) + "-1");
      EXPECT_EQ(rank1["SLURM_PROCID"], "1") << dir;
      EXPECT_EQ(rank1["SLURM_NODEID"], "1") << dir;
      EXPECT_EQ(rank1["SLURM_JOB_NODELIST"], "node[1-2]") << dir;
    }
  }
}

}  // namespace
}  // namespace skyrun::testing
