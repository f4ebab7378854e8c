// local_launch_bench: the local driver's share of "submit -> RUNNING" (DESIGN
// target: p50 < 100 ms end to end). For N single-task launches of `sleep
// 1000`, measures Launch() (task dir, task.json, detached supervisor start)
// and Launch -> the first Poll that says RUNNING (the supervisor has claimed,
// locked and forked the task), then cancels each task and waits for it to end.
//
//   local_launch_bench [--n 100] [--supervisor /path/to/skyrun] [--dir /tmp/x]
//
// A program, like apps/: it makes the real clock here.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "drivers/local/local_driver.h"

namespace {

using skyrun::Micros;

double Percentile(std::vector<Micros> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return static_cast<double>(v[std::min(i, v.size() - 1)]) / 1000.0;
}

void Print(const char* what, const std::vector<Micros>& v) {
  std::printf("%-28s p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  max %7.2f ms  (n=%zu)\n", what,
              Percentile(v, 0.5), Percentile(v, 0.9), Percentile(v, 0.99), Percentile(v, 1.0), v.size());
}

}  // namespace

int main(int argc, char** argv) {
  int n = 100;
  std::string supervisor = SKYRUN_DEFAULT_SUPERVISOR;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--n") == 0) n = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--supervisor") == 0) supervisor = argv[i + 1];
    if (std::strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
  }
  if (dir.empty()) {
    std::string tmpl = "/tmp/skyrun-local-bench-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) return 1;
    dir = tmpl;
  }
  skyrun::SystemClock clock;
  skyrun::LocalPoolConfig config;
  config.supervisor_binary = supervisor;
  config.nodes.push_back({"node0", 64000, 256 * 1024, {}, {}, "127.0.0.1"});
  auto driver = skyrun::LocalDriver::Create(config, clock);
  if (!driver.ok()) {
    std::fprintf(stderr, "%s\n", driver.status().ToString().c_str());
    return 1;
  }
  skyrun::JobSpec spec;
  spec.run = "sleep 1000";
  std::vector<Micros> launch_us, running_us;
  for (int i = 0; i < n; ++i) {
    skyrun::AttemptLaunch launch;
    launch.job_id = skyrun::JobId(i + 1);
    launch.spec = &spec;
    launch.job_dir = dir + "/jobs/" + std::to_string(i + 1);
    launch.kill_grace_seconds = 5;
    skyrun::TaskLaunch task;
    task.run = spec.run;
    task.placement.cpus_milli = skyrun::MilliCpu(1000);
    launch.tasks.push_back(task);
    Micros t0 = clock.MonotonicNow();
    auto handles = (*driver)->Launch(launch);
    Micros t1 = clock.MonotonicNow();
    if (!handles.ok()) {
      std::fprintf(stderr, "launch %d: %s\n", i, handles.status().ToString().c_str());
      return 1;
    }
    const std::string& h = handles->front();
    while ((*driver)->Poll(h).state != skyrun::RunState::kRunning) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    Micros t2 = clock.MonotonicNow();
    launch_us.push_back(t1 - t0);
    running_us.push_back(t2 - t0);
    (void)(*driver)->Cancel(h);
    while (!skyrun::IsTerminal((*driver)->Poll(h).state)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  std::printf("local driver, %d single-task launches (supervisor %s)\n", n, supervisor.c_str());
  Print("Launch() call", launch_us);
  Print("Launch -> Poll RUNNING", running_us);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
