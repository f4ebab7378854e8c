// Mode pipeline end to end through the real server: the partitioner splits
// BERT-large over the placed tasks by their nodes' declared speeds, and each
// task gets its range as SKYRUN_LAYER_START/END (examples/pipeline).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "server_harness.h"

namespace skyrun::testing {
namespace {

const char* kFleet = R"(
local:
  nodes:
    - name: fast
      cpus: 1
      memory: 2GiB
      gpus: {model: V100, count: 1, memory_mb: 16384}
      attributes: {Slowness: 1}
    - name: mid
      cpus: 1
      memory: 2GiB
      gpus: {model: V100, count: 1, memory_mb: 16384}
      attributes: {Slowness: 2}
    - name: slow
      cpus: 1
      memory: 2GiB
      gpus: {model: V100, count: 1, memory_mb: 16384}
      attributes: {Slowness: 4}
)";

struct Stage {
  std::string node;
  int first = -1, last = -1, stage = -1, stages = 0, units = 0;
};

TEST(PipelineJobTest, EachTaskGetsItsRangeSizedByItsNodesSpeed) {
  ServerHarness server(kFleet);
  server.Start();
  // Tasks are sandboxed: the job's checkpoint directory (the server's first
  // job is job 1) is one of the few places its stages may write.
  std::string reports = server.state_dir() + "/jobs/1/checkpoints";
  // The example as it is, plus where its stages write what they were given.
  std::string dir = server.state_dir() + "/example";
  std::filesystem::copy(ServerHarness::SourceDir() + "/examples/pipeline", dir);
  std::ofstream(dir + "/job.yaml", std::ios::app) << "envs: {STAGE_REPORT_DIR: " << reports << "}\n";
  auto r = server.Cli({"launch", dir + "/job.yaml"}, 120);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("stage 0 of 3 on "), std::string::npos) << r.output;
  std::map<std::string, Stage> by_node;
  int next = 0;
  for (int rank = 0; rank < 3; ++rank) {
    std::ifstream in(reports + "/rank-" + std::to_string(rank) + ".txt");
    Stage s;
    ASSERT_TRUE(in >> s.node >> s.first >> s.last >> s.stage >> s.stages >> s.units) << "rank " << rank;
    EXPECT_EQ(s.first, next) << "ranges are contiguous in rank order";
    EXPECT_EQ(s.stage, rank);
    EXPECT_EQ(s.stages, 3);
    EXPECT_EQ(s.units, 75);
    next = s.last + 1;
    by_node[s.node] = s;
  }
  EXPECT_EQ(next, 75) << "every unit is somewhere";
  ASSERT_EQ(by_node.size(), 3u);
  auto units = [&](const std::string& n) { return by_node[n].last - by_node[n].first + 1; };
  EXPECT_GT(units("fast"), units("mid"));
  EXPECT_GT(units("mid"), units("slow"));
}

TEST(PipelineJobTest, AnUnknownModelIsRefusedAtSubmission) {
  ServerHarness server(kFleet);
  server.Start();
  auto r = server.Post(
      "/v1/jobs",
      {{"spec", "name: p\nmode: pipeline\nnum_nodes: 2\npartition: {model: gpt-17}\nrun: 'true'\n"},
       {"file", "/tmp/p.yaml"}},
      server.admin_token());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("partition.model"), std::string::npos) << r.body;
  EXPECT_EQ(server.Get("/v1/jobs?live=false", server.admin_token()).Json()["jobs"].size(), 0u);
}

TEST(PipelineJobTest, ThePartitionerThroughTheApiMatchesTheCli) {
  ServerHarness server(kFleet);
  server.Start();
  std::string dir = ServerHarness::SourceDir() + "/examples/partition";
  std::ifstream in(dir + "/devices.csv");
  std::stringstream devices;
  devices << in.rdbuf();
  auto r = server.Post(
      "/v1/partition",
      {{"model", "bert-large"}, {"layers", 160}, {"devices_csv", devices.str()}, {"algorithms", {"all"}}},
      server.admin_token());
  ASSERT_EQ(r.status, 200) << r.body;
  auto cli = server.Cli({"partition", "--model", "bert-large", "--layers", "160", "--devices",
                         dir + "/devices.csv", "--algo", "all", "-o", "json"});
  ASSERT_EQ(cli.exit_code, 0) << cli.output;
  auto api = r.Json(), local = nlohmann::json::parse(cli.output);
  ASSERT_TRUE(api.contains("results")) << r.body;
  ASSERT_EQ(api["results"].size(), local["results"].size());
  for (size_t k = 0; k < api["results"].size(); ++k) {
    EXPECT_EQ(api["results"][k]["algo"], local["results"][k]["algo"]);
    EXPECT_EQ(api["results"][k]["assignment"], local["results"][k]["assignment"]);
    EXPECT_EQ(api["results"][k]["max_load"], local["results"][k]["max_load"]);
  }
  // Bad input: 400 with what and where; the server goes on.
  auto bad =
      server.Post("/v1/partition", {{"model", "bert-large"}, {"devices_csv", "name,slowness\na,zero\n"}},
                  server.admin_token());
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("devices_csv"), std::string::npos) << bad.body;
  EXPECT_EQ(server.Post("/v1/partition", {{"model", "bert-large"}}, "").status, 401);
  EXPECT_EQ(server.Get("/healthz", "").status, 200);
}

TEST(PipelineJobTest, MeasureRunsTheDeviceBenchmarkAsAJobOnEachNode) {
  ServerHarness server(R"(
local:
  nodes:
    - name: gpu-a
      cpus: 1
      memory: 2GiB
      gpus: {model: V100, count: 1, memory_mb: 16384}
    - name: gpu-b
      cpus: 1
      memory: 2GiB
      gpus: {model: V100, count: 1, memory_mb: 16384}
    - name: cpu-c
      cpus: 1
      memory: 3GiB
)");
  server.Start();
  auto r = server.Cli({"partition", "measure", "--n", "128", "--iters", "2"}, 180);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // A devices CSV: one row per node, with its measured seconds and memory.
  std::string csv = r.output.substr(r.output.find("name,bench_seconds,memory_mib"));
  std::istringstream rows(csv);
  std::string line;
  std::getline(rows, line);
  std::map<std::string, std::string> memory;
  while (std::getline(rows, line)) {
    if (line.empty() || line.find(',') == std::string::npos) continue;
    std::string name = line.substr(0, line.find(','));
    double secs = std::stod(line.substr(line.find(',') + 1));
    EXPECT_GT(secs, 0) << line;
    memory[name] = line.substr(line.rfind(',') + 1);
  }
  EXPECT_EQ(memory,
            (std::map<std::string, std::string>{{"gpu-a", "16384"}, {"gpu-b", "16384"}, {"cpu-c", "3072"}}))
      << r.output;
  // Each measurement was a job pinned to its node.
  auto jobs = server.Get("/v1/jobs?live=false", server.admin_token()).Json()["jobs"];
  ASSERT_EQ(jobs.size(), 3u);
  for (const auto& j : jobs) {
    auto full = server.Job(j["id"].get<int64_t>());
    EXPECT_EQ(full["state"], "SUCCEEDED") << full.dump(2);
    std::string node = full["attempts"][0]["node"];
    EXPECT_EQ(full["name"].get<std::string>(), "device-bench-" + node);
  }
  // One per device class.
  auto per_model =
      server.Cli({"partition", "measure", "--per-model", "--n", "64", "--iters", "1", "-o", "json"}, 180);
  ASSERT_EQ(per_model.exit_code, 0) << per_model.output;
  auto doc = nlohmann::json::parse(per_model.output.substr(per_model.output.find("{\n")));
  EXPECT_EQ(doc["devices"].size(), 2u) << per_model.output;
  // A node that does not exist is refused.
  EXPECT_EQ(server.Cli({"partition", "measure", "--nodes", "nope"}).exit_code, 2);
}

}  // namespace
}  // namespace skyrun::testing
