#include "drivers/local/local_test_util.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/check.h"
#include "common/strings.h"
#include "drivers/local/task_files.h"

namespace skyrun::testing_local {
namespace {

// Hang guard for waits: 2,000 x 10 ms. Tests finish far sooner.
constexpr int kWaitRounds = 2000;
constexpr auto kWaitStep = std::chrono::milliseconds(10);

}  // namespace

std::string SupervisorBinary() {
  return SKYRUN_TEST_SUPERVISOR;
}

LocalPoolConfig TestPoolConfig(const TempDir& dir) {
  LocalPoolConfig config;
  config.supervisor_binary = SupervisorBinary();
  config.state_dir = dir.Sub("state");
  // These tests read the task's host pids and write outside its directories;
  // sandbox_test.cc runs tasks in the sandbox.
  config.sandbox.enabled = false;
  LocalNodeConfig node;
  node.name = "node0";
  node.cpus_milli = 4000;
  node.memory_mib = 8192;
  config.nodes.push_back(node);
  return config;
}

std::unique_ptr<LaunchFixture> MakeLaunch(const TempDir& dir, const std::string& run,
                                          const std::string& setup) {
  auto f = std::make_unique<LaunchFixture>();
  f->spec.name = "test";
  f->spec.run = run;
  f->spec.setup = setup;
  f->launch.job_id = JobId(7);
  f->launch.attempt_no = 1;
  f->launch.job_name = "test";
  f->launch.tenant = "t";
  f->launch.spec = &f->spec;
  f->launch.job_dir = dir.Sub("jobs/7");
  f->launch.kill_grace_seconds = 10;
  TaskLaunch task;
  task.rank = 0;
  task.placement.node = "node0";
  task.placement.cpus_milli = MilliCpu(1000);
  task.placement.memory_mib = MemoryMiB(512);
  task.run = run;
  task.setup = setup;
  f->launch.tasks.push_back(task);
  return f;
}

TaskStatus WaitTerminal(Driver& driver, const std::string& handle) {
  TaskStatus st;
  for (int i = 0; i < kWaitRounds; ++i) {
    st = driver.Poll(handle);
    if (IsTerminal(st.state)) return st;
    std::this_thread::sleep_for(kWaitStep);
  }
  return st;
}

bool WaitState(Driver& driver, const std::string& handle, RunState state) {
  for (int i = 0; i < kWaitRounds; ++i) {
    if (driver.Poll(handle).state == state) return true;
    std::this_thread::sleep_for(kWaitStep);
  }
  return false;
}

bool WaitFileContains(const std::string& path, const std::string& needle) {
  for (int i = 0; i < kWaitRounds; ++i) {
    if (ReadFileOrEmpty(path).find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(kWaitStep);
  }
  return false;
}

std::string ReadFileOrEmpty(const std::string& path) {
  Result<std::string> text = ReadWholeFile(path);
  return text.ok() ? *text : "";
}

bool FileExists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

namespace {

// Fields of /proc/<pid>/stat after the command name: state, ppid, pgrp.
bool ReadStat(pid_t pid, char* state, pid_t* pgrp) {
  std::string text = ReadFileOrEmpty("/proc/" + std::to_string(pid) + "/stat");
  size_t close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream in(text.substr(close + 1));
  long ppid = 0, group = 0;
  if (!(in >> *state >> ppid >> group)) return false;
  *pgrp = static_cast<pid_t>(group);
  return true;
}

}  // namespace

bool GroupHasLiveProcess(pid_t pgid) {
  if (pgid <= 0) return true;  // no group known: never claim it is gone
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return true;
  bool found = false;
  while (struct dirent* e = ::readdir(proc)) {
    std::optional<int64_t> pid = ParseInt64(e->d_name);
    if (!pid) continue;
    char state = 0;
    pid_t group = 0;
    if (ReadStat(static_cast<pid_t>(*pid), &state, &group) && group == pgid && state != 'Z' && state != 'X') {
      found = true;
      break;
    }
  }
  ::closedir(proc);
  return found;
}

bool ProcessAlive(pid_t pid) {
  char state = 0;
  pid_t group = 0;
  return ReadStat(pid, &state, &group) && state != 'Z' && state != 'X';
}

bool WaitGroupGone(pid_t pgid) {
  for (int i = 0; i < kWaitRounds; ++i) {
    if (!GroupHasLiveProcess(pgid)) return true;
    std::this_thread::sleep_for(kWaitStep);
  }
  return false;
}

int RunAndWait(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

StartedRecord ReadStarted(const std::string& task_dir) {
  Result<StartedRecord> s = StartedRecordFromJson(ReadFileOrEmpty(TaskPaths(task_dir).Started()));
  return s.ok() ? *s : StartedRecord{};
}

pid_t ClaimPid(const std::string& task_dir) {
  std::optional<int64_t> pid = ParseInt64(Trim(ReadFileOrEmpty(TaskPaths(task_dir).Claim())));
  return pid ? static_cast<pid_t>(*pid) : 0;
}

}  // namespace skyrun::testing_local
