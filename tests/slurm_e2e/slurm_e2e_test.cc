// The Slurm backend through skyrun: the real `skyrun` server process (its
// controller, scheduler and API) and the real CLI, against the suite's own
// Slurm cluster (munged, slurmctld and two slurmd nodes with two declared T4
// GPUs each, all on loopback; tests/slurm/slurm_cluster.sh). Nothing stands
// in for Slurm: sbatch, srun, squeue, scontrol and scancel are Slurm's own.
//
// Each test process (ctest runs one test per process) starts its own cluster
// and stops it at the end, passed or failed; a watchdog stops it if the
// process dies. Timings are printed as figures, never asserted.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "common/strings.h"
#include "drivers/slurm/slurm_parse.h"
#include "server_harness.h"
#include "support/golden.h"
#include "support/slurm/slurm_cluster_suite.h"
#include "support/temp_dir.h"

namespace skyrun::testing {
namespace {

namespace fs = std::filesystem;

using test_support::ReadFileOrEmpty;

std::vector<std::string> FileLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Milliseconds between two of the API's RFC 3339 stamps ("...T12:00:01.234Z").
int64_t MillisBetween(const std::string& from, const std::string& to) {
  auto parse = [](const std::string& s) -> int64_t {
    struct tm tm {};
    int ms = 0;
    if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &tm.tm_sec, &ms) < 7)
      return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
  };
  int64_t a = parse(from), b = parse(to);
  return a < 0 || b < 0 ? -1 : b - a;
}

// The time of the job's first event into `state` ("" if none).
std::string EventTime(const nlohmann::json& job, const std::string& state) {
  for (const auto& e : job["events"])
    if (e.value("to", "") == state) return e.value("time", "");
  return "";
}

class SlurmE2eTest : public SlurmClusterSuite {
 protected:
  static void SetUpTestSuite() {
    SlurmTestClusterOptions options;
    options.nodes = 2;
    options.gpus_per_node = 2;
    options.gpu_type = "T4";
    StartCluster(options);
  }
  static void TearDownTestSuite() { StopCluster(); }

  // The server's config: the test cluster as slurm/hpc1, with prices, and
  // the local pool as given ("" = disabled: every job must go to Slurm).
  static std::string ServerConfig(const std::string& local = "local: {enabled: false}\n") {
    return local +
           "slurm:\n"
           "  - name: hpc1\n"
           "    slurm_conf: " +
           cluster_->slurm_conf() +
           "\n"
           "    partition: debug\n"
           "    price_per_gpu_hour: 2.5\n"
           "    price_per_cpu_hour: 0.1\n";
  }

  // A scratch directory with examples/ddp's train.py and spec files made
  // from examples/ddp/job.yaml by adding lines under `resources:`.
  std::string DdpDir() {
    std::string dir = scratch_.empty() ? MakeScratch() : scratch_;
    fs::copy_file(ServerHarness::SourceDir() + "/examples/ddp/train.py", dir + "/train.py",
                  fs::copy_options::overwrite_existing);
    return dir;
  }
  std::string DdpSpec(const std::string& file, const std::vector<std::string>& resource_lines) {
    std::string text = ReadFileOrEmpty(ServerHarness::SourceDir() + "/examples/ddp/job.yaml");
    auto at = text.find("resources:\n");
    EXPECT_NE(at, std::string::npos) << "examples/ddp/job.yaml has no resources: block";
    std::string added;
    for (const auto& l : resource_lines) added += "  " + l + "\n";
    text.insert(at + std::string("resources:\n").size(), added);
    std::string path = DdpDir() + "/" + file;
    std::ofstream(path) << text;
    return path;
  }

  std::string MakeScratch() {
    scratch_dir_.emplace("skyrun-e2e");
    scratch_ = scratch_dir_->path();
    return scratch_;
  }

  void TearDown() override { scratch_dir_.reset(); }

  static bool TorchAvailable() {
    auto r = RunCommand({"/usr/bin/python3", "-c", "import torch.distributed"}, {}, 120);
    return r.exit_code == 0;
  }

  // Slurm's id of the skyrun job's attempt (its sbatch job name is
  // skyrun-<id>-<name>-a<attempt>), from squeue or, once it ended, scontrol.
  static std::string SlurmJobId(int64_t job, const std::string& name, int attempt) {
    std::string slurm_name = "skyrun-" + std::to_string(job) + "-" + name + "-a" + std::to_string(attempt);
    auto r = cluster_->Run({"squeue", "-h", "-t", "all", "-n", slurm_name, "-o", "%i"});
    if (!r.ok()) return "";
    return std::string(FileLines(r->out).empty() ? "" : FileLines(r->out)[0]);
  }

  static std::string SlurmJobState(const std::string& slurm_id) {
    auto r = cluster_->Run({"scontrol", "show", "job", "-o", slurm_id});
    if (!r.ok()) return "";
    return ParseKeyValueLine(r->out)["JobState"];
  }

  // Processes of this machine that belong to Slurm job `slurm_id`.
  static std::vector<pid_t> JobProcesses(const std::string& slurm_id) {
    std::vector<pid_t> pids;
    for (const auto& entry : fs::directory_iterator("/proc")) {
      std::string name = entry.path().filename().string();
      if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
      std::string env = ReadFileOrEmpty(entry.path().string() + "/environ");
      for (const auto& var : {"SLURM_JOB_ID=" + slurm_id, "SLURM_JOBID=" + slurm_id}) {
        auto at = env.find(var);
        bool whole = at != std::string::npos && (at == 0 || env[at - 1] == '\0') &&
                     (at + var.size() == env.size() || env[at + var.size()] == '\0');
        if (whole) {
          pids.push_back(static_cast<pid_t>(std::stol(name)));
          break;
        }
      }
    }
    return pids;
  }

  // Waits (bounded, not a timing assertion) until `pred` holds for the job.
  static nlohmann::json WaitFor(const ServerHarness& server, int64_t id,
                                const std::function<bool(const nlohmann::json&)>& pred, double timeout_s) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    nlohmann::json j;
    while (std::chrono::steady_clock::now() < deadline) {
      j = server.Job(id);
      if (pred(j)) return j;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "job " << id << " did not reach the expected point; last seen:\n" << j.dump(2);
    return j;
  }

  std::optional<test_support::TempDir> scratch_dir_;
  std::string scratch_;
};

TEST_F(SlurmE2eTest, NodesOfTheClusterAreShownBySkyrunNodes) {
  ServerHarness server(ServerConfig());
  server.Start();
  auto r = server.Cli({"nodes", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto nodes = nlohmann::json::parse(r.output);
  ASSERT_EQ(nodes.size(), 2u) << r.output;
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(nodes[i]["name"], "slurm/hpc1/node" + std::to_string(i + 1));
    EXPECT_EQ(nodes[i]["backend"], "slurm/hpc1");
    EXPECT_EQ(nodes[i]["state"], "UP");
    ASSERT_EQ(nodes[i]["gpus"].size(), 2u);
    EXPECT_EQ(nodes[i]["gpus"][0]["model"], "T4");
  }
}

// Issue 11: a job of another user, submitted straight with sbatch, holds a
// GPU, 2 CPUs and 1000 MiB of node2; `skyrun nodes` offers node2 without them.
TEST_F(SlurmE2eTest, WhatAnotherUsersJobHoldsIsNotOffered) {
  auto other =
      cluster_->Run({"sbatch", "--parsable", "--no-requeue", "-o", "/dev/null", "-w", "node2", "-c", "2",
                     "--mem=1000", "--gres=gpu:T4:1", "-J", "someone-else", "--wrap", "sleep 300"});
  ASSERT_TRUE(other.ok() && other->exit_code == 0) << (other.ok() ? other->err : other.status().message());
  const std::string other_id = Trim(other->out);
  std::string state;
  for (int i = 0; i < 300 && state != "RUNNING"; ++i) {  // bounded, not a timing assertion
    auto r = cluster_->Run({"scontrol", "show", "job", "-o", other_id});
    if (r.ok()) state = ParseKeyValueLine(r->out)["JobState"];
    if (state != "RUNNING") std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(state, "RUNNING");
  ServerHarness server(ServerConfig());
  server.Start();
  auto r = server.Cli({"nodes", "-o", "json"});
  EXPECT_TRUE(cluster_->Run({"scancel", other_id}).ok());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto nodes = nlohmann::json::parse(r.output);
  ASSERT_EQ(nodes.size(), 2u) << r.output;
  EXPECT_EQ(nodes[0]["gpus"].size(), 2u) << r.output;
  EXPECT_EQ(nodes[1]["name"], "slurm/hpc1/node2");
  EXPECT_EQ(nodes[1]["gpus"].size(), 1u) << r.output;
  EXPECT_EQ(nodes[1]["attributes"]["CpusTakenByOthers"], "2") << r.output;
  EXPECT_EQ(nodes[1]["attributes"]["MemoryTakenByOthersMiB"], "1000") << r.output;
}

// (a) examples/ddp as a gang of 2 ranks with 2 GPUs each: one rank per Slurm
// node (no node has 4 GPUs), trained with torch.distributed (gloo).
TEST_F(SlurmE2eTest, DdpGangWithTwoGpusPerNodeSucceedsOnTwoSlurmNodes) {
  if (!TorchAvailable()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  ServerHarness server(ServerConfig());
  server.Start();
  std::string spec = DdpSpec("ddp-gpus.yaml", {"accelerators: T4:2"});
  auto r = server.Cli({"launch", spec}, 300);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(rank 0) rank 0 finished training: weights in sync = True"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("(rank 1) rank 1 finished training: weights in sync = True"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("(rank 1) rank 1/2 epoch  30"), std::string::npos) << r.output;

  auto q = server.Cli({"queue", "--all", "-o", "json"});
  ASSERT_EQ(q.exit_code, 0) << q.output;
  int64_t id = nlohmann::json::parse(q.output)[0]["id"].get<int64_t>();
  auto j = server.Job(id);
  EXPECT_EQ(j["state"], "SUCCEEDED") << j.dump(2);
  ASSERT_EQ(j["attempts"].size(), 2u) << j.dump(2);
  std::set<std::string> nodes;
  for (const auto& a : j["attempts"]) {
    EXPECT_EQ(a["backend"], "slurm/hpc1");
    EXPECT_EQ(a["state"], "SUCCEEDED");
    EXPECT_EQ(a["gpus"], "0,1") << a.dump();
    EXPECT_GT(a["cost_usd"].get<double>(), 0.0) << a.dump();
    nodes.insert(a["node"].get<std::string>());
  }
  EXPECT_EQ(nodes, (std::set<std::string>{"slurm/hpc1/node1", "slurm/hpc1/node2"}));
  // Slurm itself gave the job 2 nodes and 2 T4 GPUs on each.
  std::string slurm_id = SlurmJobId(id, "ddp", 1);
  ASSERT_FALSE(slurm_id.empty());
  auto shown = cluster_->Run({"scontrol", "show", "job", "-o", slurm_id});
  ASSERT_TRUE(shown.ok());
  auto kv = ParseKeyValueLine(shown->out);
  EXPECT_EQ(kv["NumNodes"], "2") << shown->out;
  EXPECT_EQ(kv["TresPerNode"], "gres:gpu:T4:2") << shown->out;
  std::cout << "[figure] Slurm gang of 2 through skyrun: submit -> RUNNING "
            << MillisBetween(j["submitted_at"], EventTime(j, "RUNNING"))
            << " ms (poll_interval_ms 2000, Slurm sched_interval 1 s)\n";
}

// (b) More GPUs per node than any node has: refused at submission, nothing stored.
TEST_F(SlurmE2eTest, MoreGpusThanAnyNodeHasIsRefusedAtSubmission) {
  ServerHarness server(ServerConfig());
  server.Start();
  std::string token = server.admin_token();
  auto r = server.Post("/v1/jobs",
                       {{"spec",
                         "name: too-big\nmode: gang\nnum_nodes: 2\nresources: {accelerators: 'T4:8'}\n"
                         "run: 'true'\n"},
                        {"file", "/tmp/too-big.yaml"}},
                       token);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("can never fit"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("slurm/hpc1"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("T4:8"), std::string::npos) << r.body;

  std::string file = DdpDir() + "/too-big.yaml";
  std::ofstream(file) << "name: too-big\nresources:\n  accelerators: T4:8\nrun: 'true'\n";
  auto cli = server.Cli({"launch", file});
  EXPECT_EQ(cli.exit_code, 2) << cli.output;
  EXPECT_NE(cli.output.find("can never fit"), std::string::npos) << cli.output;
  EXPECT_NE(cli.output.find("slurm/hpc1"), std::string::npos) << cli.output;

  EXPECT_EQ(server.Get("/v1/jobs?live=false", token).Json()["jobs"].size(), 0u);
  auto sq = cluster_->Run({"squeue", "-h", "-t", "all", "-o", "%i"});
  ASSERT_TRUE(sq.ok());
  EXPECT_EQ(sq->out, "") << "nothing may reach Slurm";
}

// (c) skyrun cancel reaches scancel: Slurm's job ends CANCELLED, its
// processes are gone, the skyrun job is CANCELLED.
TEST_F(SlurmE2eTest, CancelReachesScancel) {
  ServerHarness server(ServerConfig());
  server.Start();
  int64_t id = server.Submit(
      "name: sleeper\nresources: {cpus: 1, accelerators: T4:1}\n"
      "run: echo started; sleep 300\n",
      "/tmp/sleeper.yaml");
  ASSERT_GT(id, 0);
  ASSERT_EQ(server.WaitForState(id, {"RUNNING"}, 60), "RUNNING") << server.Job(id).dump(2);
  std::string slurm_id = SlurmJobId(id, "sleeper", 1);
  ASSERT_FALSE(slurm_id.empty());
  EXPECT_EQ(SlurmJobState(slurm_id), "RUNNING");
  // The rank's own process has started under Slurm.
  for (int i = 0; i < 100 && JobProcesses(slurm_id).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(JobProcesses(slurm_id).empty());
  auto j0 = server.Job(id);
  std::cout << "[figure] Slurm single task through skyrun: submit -> RUNNING "
            << MillisBetween(j0["submitted_at"], EventTime(j0, "RUNNING")) << " ms (poll_interval_ms 2000)\n";

  auto r = server.Cli({"cancel", std::to_string(id)});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(server.WaitForState(id, {"CANCELLED", "FAILED", "SUCCEEDED"}, 60), "CANCELLED");
  auto j = server.Job(id);
  ASSERT_EQ(j["attempts"].size(), 1u);
  EXPECT_EQ(j["attempts"][0]["state"], "KILLED") << j.dump(2);
  EXPECT_NE(j["attempts"][0]["reason"].get<std::string>().find("CANCELLED"), std::string::npos) << j.dump(2);
  std::string state;
  for (int i = 0; i < 100; ++i) {
    state = SlurmJobState(slurm_id);
    if (state == "CANCELLED") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(state, "CANCELLED");
  std::vector<pid_t> left;
  for (int i = 0; i < 100; ++i) {
    left = JobProcesses(slurm_id);
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(left.empty()) << left.size() << " process(es) of Slurm job " << slurm_id << " left";
}

// (d) A node dies under a running job: Slurm ends the job NODE_FAIL, skyrun
// marks the attempt LOST, places the job again on the other node, and the
// job resumes from its checkpoint there.
TEST_F(SlurmE2eTest, NodeFailureIsRecoveredOnTheOtherNodeFromTheCheckpoint) {
  ServerHarness server(ServerConfig());
  server.Start();
  const char* spec =
      "name: resumable\n"
      "resources: {cpus: 1, accelerators: T4:1}\n"
      "run: |\n"
      "  ckpt=$SKYRUN_CHECKPOINT_DIR/step\n"
      "  step=0\n"
      "  if [ -f $ckpt ]; then step=$(cat $ckpt); echo \"resuming from checkpoint at step $step\"; fi\n"
      "  while [ $step -lt 40 ]; do\n"
      "    step=$((step + 1)); echo \"step $step on $SKYRUN_NODE_NAME\"\n"
      "    echo $step >$ckpt.tmp && mv $ckpt.tmp $ckpt\n"
      "    sleep 0.5\n"
      "  done\n"
      "  echo \"finished all 40 steps on $SKYRUN_NODE_NAME\"\n";
  int64_t id = server.Submit(spec, "/tmp/resumable.yaml");
  ASSERT_GT(id, 0);
  auto running = WaitFor(
      server, id,
      [&](const nlohmann::json& j) {
        if (j.value("state", "") != "RUNNING") return false;
        auto logs = server.Get("/v1/jobs/" + std::to_string(id) + "/logs", server.admin_token());
        return logs.body.find("step 3 on") != std::string::npos;
      },
      90);
  ASSERT_EQ(running.value("state", ""), "RUNNING");
  std::string first_node = running["attempts"][0]["node"];
  std::string slurm_node = first_node.substr(first_node.rfind('/') + 1);
  Status crashed = cluster_->CrashNode(slurm_node);
  ASSERT_TRUE(crashed.ok()) << crashed.message();
  auto crashed_at = std::chrono::steady_clock::now();
  WaitFor(
      server, id, [](const nlohmann::json& j) { return j["attempts"].size() >= 2; }, 120);
  auto placed_again_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - crashed_at)
          .count();

  auto done = WaitFor(
      server, id,
      [](const nlohmann::json& j) {
        std::string s = j.value("state", "");
        return s == "SUCCEEDED" || s == "FAILED" || s == "CANCELLED";
      },
      180);
  EXPECT_EQ(done["state"], "SUCCEEDED") << done.dump(2);
  ASSERT_EQ(done["attempts"].size(), 2u) << done.dump(2);
  const auto& lost = done["attempts"][0];
  const auto& again = done["attempts"][1];
  EXPECT_EQ(lost["state"], "LOST") << done.dump(2);
  EXPECT_NE(lost["reason"].get<std::string>().find("NODE_FAIL"), std::string::npos) << lost.dump();
  EXPECT_EQ(lost["node"], first_node);
  EXPECT_EQ(again["state"], "SUCCEEDED");
  EXPECT_NE(again["node"], first_node) << "placed again on the node that failed";
  EXPECT_EQ(again["backend"], "slurm/hpc1");
  EXPECT_EQ(done["restarts"], 0) << "a lost node is not the job's error";
  std::string events = done["events"].dump();
  EXPECT_NE(events.find("RECOVERING"), std::string::npos) << events;
  EXPECT_NE(events.find("NODE_FAIL"), std::string::npos) << events;

  auto logs = server.Cli({"logs", std::to_string(id), "--attempt", "2"});
  EXPECT_NE(logs.output.find("resuming from checkpoint at step "), std::string::npos) << logs.output;
  EXPECT_EQ(logs.output.find("step 1 on"), std::string::npos) << "attempt 2 started afresh:\n" << logs.output;
  EXPECT_NE(logs.output.find("finished all 40 steps on " + again["node"].get<std::string>()),
            std::string::npos)
      << logs.output;
  auto nodes = nlohmann::json::parse(server.Cli({"nodes", "-o", "json"}).output);
  for (const auto& n : nodes) {
    if (n["name"] == first_node) {
      EXPECT_EQ(n["state"], "DOWN") << n.dump();
    }
  }
  std::cout << "[figure] Slurm node crash -> job placed again on the other node: " << placed_again_ms
            << " ms (SlurmdTimeout 5 s, poll_interval_ms 2000)\n";
}

// (e) One spec, two places: the same file but for `resources.infra` runs on
// the local pool and on the Slurm cluster.
TEST_F(SlurmE2eTest, SameSpecRunsUnchangedOnLocalAndOnSlurm) {
  if (!TorchAvailable()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  ServerHarness server(ServerConfig(R"(local:
  price_per_gpu_hour: 2.0
  kill_grace_seconds: 2
  nodes:
    - name: gpu-box
      cpus: 4
      memory: 8GiB
      gpus: {model: T4, count: 4, memory_mb: 15360}
)"));
  server.Start();
  std::string on_local = DdpSpec("on-local.yaml", {"accelerators: T4:2", "infra: [local]"});
  std::string on_slurm = DdpSpec("on-slurm.yaml", {"accelerators: T4:2", "infra: [slurm]"});
  // The two files differ in the infra line and nothing else.
  auto a = FileLines(ReadFileOrEmpty(on_local)), b = FileLines(ReadFileOrEmpty(on_slurm));
  ASSERT_EQ(a.size(), b.size());
  std::vector<std::pair<std::string, std::string>> diff;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) diff.emplace_back(a[i], b[i]);
  ASSERT_EQ(diff.size(), 1u);
  EXPECT_EQ(diff[0].first, "  infra: [local]");
  EXPECT_EQ(diff[0].second, "  infra: [slurm]");

  for (const auto& [file, backend] :
       std::vector<std::pair<std::string, std::string>>{{on_local, "local"}, {on_slurm, "slurm/hpc1"}}) {
    auto r = server.Cli({"launch", file}, 300);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("(rank 1) rank 1 finished training: weights in sync = True"), std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("ran on:   " + backend + ":"), std::string::npos) << r.output;
  }
  auto q = server.Cli({"queue", "--all", "-o", "json"});
  auto jobs = nlohmann::json::parse(q.output);
  ASSERT_EQ(jobs.size(), 2u);
  std::set<std::string> backends;
  for (const auto& job : jobs) {
    EXPECT_EQ(job["state"], "SUCCEEDED");
    auto full = server.Job(job["id"].get<int64_t>());
    for (const auto& att : full["attempts"]) backends.insert(att["backend"].get<std::string>());
  }
  EXPECT_EQ(backends, (std::set<std::string>{"local", "slurm/hpc1"}));
}

}  // namespace
}  // namespace skyrun::testing
