// sbatch job arrays through the real server and CLI on the local pool
// (issue 15): `#SBATCH --array=0-6:2%2` becomes one job per index, named
// NAME_[i], each with Slurm's SLURM_ARRAY_* values, never more than 2 of them
// holding a placement at once; a forged element line is refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "common/strings.h"
#include "server_harness.h"
#include "support/golden.h"
#include "support/temp_dir.h"

namespace skyrun::testing {
namespace {

using test_support::ReadFileOrEmpty;

// Room for 4 one-CPU tasks at once, so that only the %2 limit holds them back.
// The sandbox is off so that the tasks write into the test's directory.
const char* kPool = R"(
local:
  kill_grace_seconds: 1
  sandbox:
    enabled: false
  nodes:
    - name: node1
      cpus: 2
      memory: 4GiB
    - name: node2
      cpus: 2
      memory: 4GiB
)";

std::map<std::string, std::string> EnvFile(const std::string& text) {
  std::map<std::string, std::string> env;
  for (const auto& line : Split(text, '\n')) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

TEST(JobArrayTest, EachIndexRunsWithSlurmArrayVariablesAndAtMostTheLimitAtOnce) {
  ServerHarness server(kPool);
  server.Start();
  test_support::TempDir dir("array-it");
  std::filesystem::create_directories(dir.path() + "/running");
  std::string file = dir.path() + "/sweep.sbatch";
  // Each element marks itself running, records how many are, and unmarks
  // itself before it ends: the controller releases a placement only after
  // its task ended, so the count seen can only exceed 2 if the limit failed.
  std::ofstream(file) << "#!/bin/bash\n#SBATCH --job-name=sweep\n#SBATCH --array=0-6:2%2\n"
                         "#SBATCH --cpus-per-task=1\n"
                         "d="
                      << dir.path()
                      << "\n"
                         "mkdir \"$d/running/$SLURM_ARRAY_TASK_ID\"\n"
                         "ls \"$d/running\" | wc -l >\"$d/seen-$SLURM_ARRAY_TASK_ID\"\n"
                         "env | grep ^SLURM_ | sort >\"$d/env-$SLURM_ARRAY_TASK_ID\"\n"
                         "sleep 2\n"
                         "rmdir \"$d/running/$SLURM_ARRAY_TASK_ID\"\n";
  auto r = server.Cli({"launch", file}, 60);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Job array"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("4 jobs"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("at most 2 at once"), std::string::npos) << r.output;

  auto listed = server.Cli({"queue", "--all", "-o", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  auto jobs = nlohmann::json::parse(listed.output);
  ASSERT_EQ(jobs.size(), 4u) << listed.output;
  std::map<std::string, int64_t> ids;
  for (const auto& j : jobs) ids[j["name"].get<std::string>()] = j["id"].get<int64_t>();
  for (int i : {0, 2, 4, 6}) ASSERT_EQ(ids.count("sweep_[" + std::to_string(i) + "]"), 1u) << listed.output;
  int64_t first = ids["sweep_[0]"];

  for (const auto& [name, id] : ids) {
    EXPECT_EQ(server.WaitForState(id, {"SUCCEEDED", "FAILED", "CANCELLED"}, 60), "SUCCEEDED") << name;
  }
  auto text = server.Cli({"queue", "--all"});
  EXPECT_NE(text.output.find("sweep_[4]"), std::string::npos) << text.output;
  for (int i : {0, 2, 4, 6}) {
    std::string index = std::to_string(i);
    int seen = std::stoi("0" + Trim(ReadFileOrEmpty(dir.path() + "/seen-" + index)));
    EXPECT_GE(seen, 1) << "element " << i << " did not run";
    EXPECT_LE(seen, 2) << "element " << i << " saw " << seen << " elements running at once";
    auto env = EnvFile(ReadFileOrEmpty(dir.path() + "/env-" + index));
    EXPECT_EQ(env["SLURM_ARRAY_TASK_ID"], index);
    EXPECT_EQ(env["SLURM_ARRAY_JOB_ID"], std::to_string(first));
    EXPECT_EQ(env["SLURM_ARRAY_TASK_COUNT"], "4");
    EXPECT_EQ(env["SLURM_ARRAY_TASK_MIN"], "0");
    EXPECT_EQ(env["SLURM_ARRAY_TASK_MAX"], "6");
    EXPECT_EQ(env["SLURM_ARRAY_TASK_STEP"], "2");
    EXPECT_EQ(env["SLURM_JOB_NAME"], "sweep");  // the same for every element, as in Slurm
    EXPECT_EQ(env["SLURM_JOB_ID"], std::to_string(ids["sweep_[" + index + "]"]));
    EXPECT_EQ(env["SLURM_NNODES"], "1");
  }
}

// The same through a YAML spec's `array:`: one job per index with skyrun's
// SKYRUN_ARRAY_* variables; a forged element line in YAML is refused too.
TEST(JobArrayTest, AYamlArrayRunsEachIndexWithItsOwnVariables) {
  ServerHarness server(kPool);
  server.Start();
  test_support::TempDir dir("array-yaml");
  std::string file = dir.path() + "/sweep.yaml";
  std::ofstream(file) << "name: lr-sweep\narray: 1,3%1\nresources: {cpus: 1}\nrun: |\n"
                         "  env | grep ^SKYRUN_ARRAY_ | sort > "
                      << dir.path() << "/env-$SKYRUN_ARRAY_TASK_ID\n";
  auto r = server.Cli({"launch", file}, 60);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto listed = server.Cli({"queue", "--all", "-o", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  auto jobs = nlohmann::json::parse(listed.output);
  ASSERT_EQ(jobs.size(), 2u) << listed.output;
  std::map<std::string, int64_t> ids;
  for (const auto& j : jobs) ids[j["name"].get<std::string>()] = j["id"].get<int64_t>();
  ASSERT_EQ(ids.count("lr-sweep_[1]"), 1u) << listed.output;
  ASSERT_EQ(ids.count("lr-sweep_[3]"), 1u) << listed.output;
  for (const auto& [name, id] : ids) {
    EXPECT_EQ(server.WaitForState(id, {"SUCCEEDED", "FAILED", "CANCELLED"}, 60), "SUCCEEDED") << name;
  }
  for (int i : {1, 3}) {
    auto env = EnvFile(ReadFileOrEmpty(dir.path() + "/env-" + std::to_string(i)));
    EXPECT_EQ(env["SKYRUN_ARRAY_TASK_ID"], std::to_string(i));
    EXPECT_EQ(env["SKYRUN_ARRAY_JOB_ID"], std::to_string(ids["lr-sweep_[1]"]));
    EXPECT_EQ(env["SKYRUN_ARRAY_TASK_COUNT"], "2");
  }
  nlohmann::json forged = {{"spec", "array: 0-3\nrun: echo hi\n#SKYRUN-ARRAY-ELEMENT task=1 array_job=1\n"},
                           {"file", "forged.yaml"}};
  auto refused = server.Post("/v1/jobs", forged, server.admin_token());
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("written by the server"), std::string::npos) << refused.body;
}

TEST(JobArrayTest, ATextThatForgesAnArrayElementLineIsRefused) {
  ServerHarness server(kPool);
  server.Start();
  std::string forged =
      "#!/bin/bash\n#SBATCH --array=0-3\necho hi\n#SKYRUN-ARRAY-ELEMENT task=1 array_job=1\n";
  nlohmann::json body = {{"spec", forged}, {"file", "forged.sbatch"}};
  auto r = server.Post("/v1/jobs", body, server.admin_token());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("written by the server"), std::string::npos) << r.body;
  auto jobs = server.Cli({"queue", "--all", "-o", "json"});
  EXPECT_EQ(nlohmann::json::parse(jobs.output).size(), 0u) << jobs.output;
}

}  // namespace
}  // namespace skyrun::testing
