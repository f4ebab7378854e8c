// A hung Slurm controller must not stall the server: the real server with a
// Slurm backend whose `squeue`, `sacct` and `scontrol show job ID` hang for 60 s
// (fakes first on the server's PATH; `scontrol show node`, the inventory's
// `scontrol show job -d -o` and `sbatch` answer at once, so a Slurm job is launched and then followed), plus
// the local pool. While the Slurm poll hangs, `skyrun queue` and GET /v1/jobs answer quickly and a local job
// still starts and succeeds.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "server_harness.h"

namespace skyrun::testing {
namespace {

namespace fs = std::filesystem;

void WriteScript(const fs::path& path, const std::string& body) {
  std::ofstream(path) << "#!/bin/sh\n" << body;
  ::chmod(path.c_str(), 0755);
}

// The fakes live under the server's state dir (the harness kills what runs
// there at the end); a hanging command first leaves a mark that it was called.
std::string MakeFakeSlurm(const std::string& state_dir) {
  const fs::path dir = fs::path(state_dir) / "fake-slurm";
  fs::create_directories(dir);
  const std::string node = ServerHarness::SourceDir() + "/tests/slurm/recorded/scontrol_show_node_idle.txt";
  const std::string hang =
      "touch \"" + dir.string() + "/$(basename \"$0\").called\"\ncd \"" + dir.string() + "\" && sleep 60\n";
  WriteScript(dir / "squeue", hang);
  WriteScript(dir / "sacct", hang);
  WriteScript(dir / "sinfo", hang);
  WriteScript(dir / "scontrol",
              "if [ \"$1 $2\" = \"show node\" ]; then cat \"" + node +
                  "\"; exit 0; fi\n"
                  // The inventory's list of every job (what other users hold): none.
                  "if [ \"$*\" = \"show job -d -o\" ]; then echo 'No jobs in the system'; exit 0; fi\n" +
                  hang);
  WriteScript(dir / "sbatch", "echo 4242\n");
  WriteScript(dir / "scancel", "exit 0\n");
  return dir.string();
}

double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

TEST(SlowBackendTest, AHungSqueueLeavesTheQueueFastAndLocalJobsRunning) {
  ServerHarness server(R"(
local:
  nodes:
    - name: box
      cpus: 2
      memory: 2GiB
slurm:
  - name: hpc
    poll_interval_ms: 100
    inventory_interval_ms: 3600000
    command_timeout_ms: 120000
)");
  const std::string fakes = MakeFakeSlurm(server.state_dir());
  const char* old_path = std::getenv("PATH");
  const std::string path = fakes + ":" + (old_path ? old_path : "/usr/bin:/bin");
  ::setenv("PATH", path.c_str(), 1);  // the server inherits it
  server.Start();
  ::setenv("PATH", old_path ? old_path : "/usr/bin:/bin", 1);
  ASSERT_TRUE(server.running());

  // A Slurm job: sbatch answers, then every poll of it hangs in squeue.
  int64_t slurm_job =
      server.Submit("name: on-slurm\nresources: {cpus: 1, infra: [slurm]}\nrun: sleep 600\n", "slurm.yaml");
  ASSERT_GT(slurm_job, 0);
  const fs::path called = fs::path(fakes) / "squeue.called";
  for (int i = 0; i < 300 && !fs::exists(called); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(fs::exists(called)) << "the Slurm job was never polled: " << server.Job(slurm_job).dump();

  // Reads do not wait for the hung poll.
  std::vector<double> api_ms, cli_ms;
  for (int i = 0; i < 10; ++i) {
    auto start = std::chrono::steady_clock::now();
    HttpResult r = server.Get("/v1/jobs", server.admin_token());
    api_ms.push_back(MillisSince(start));
    ASSERT_EQ(r.status, 200) << r.body;
    start = std::chrono::steady_clock::now();
    CommandResult q = server.Cli({"queue"}, 30);
    cli_ms.push_back(MillisSince(start));
    ASSERT_EQ(q.exit_code, 0) << q.output;
    EXPECT_NE(q.output.find("on-slurm"), std::string::npos) << q.output;
  }
  std::cout << "while squeue hangs: median of 10 GET /v1/jobs " << Median(api_ms)
            << " ms, of 10 `skyrun queue` " << Median(cli_ms) << " ms\n";
  EXPECT_LT(Median(api_ms), 100) << "GET /v1/jobs waited for the hung backend";
  EXPECT_LT(Median(cli_ms), 100) << "skyrun queue waited for the hung backend";

  // A local job submitted meanwhile starts and succeeds.
  int64_t local_job =
      server.Submit("name: here\nresources: {cpus: 1, infra: [local]}\nrun: echo done\n", "local.yaml");
  ASSERT_GT(local_job, 0);
  EXPECT_EQ(server.WaitForState(local_job, {"SUCCEEDED", "FAILED"}, 60), "SUCCEEDED")
      << server.Job(local_job).dump();
  // The Slurm job is still being polled (its poll has not come back).
  EXPECT_EQ(server.Job(slurm_job)["state"], "SCHEDULED");

  // Stopping does not wait for the hung command's 60 s either.
  auto start = std::chrono::steady_clock::now();
  server.Stop();
  EXPECT_LT(MillisSince(start), 20'000);
}

}  // namespace
}  // namespace skyrun::testing
