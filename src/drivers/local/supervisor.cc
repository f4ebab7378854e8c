#include "drivers/local/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>

#include "common/strings.h"
#include "drivers/local/detached_launcher.h"
#include "drivers/local/sandbox.h"
#include "drivers/local/task_files.h"

namespace skyrun {
namespace {

// How long a supervisor keeps trying to take a lock that a probe holds
// (Poll probes for microseconds) before it gives up.
constexpr Micros kLockWait = 10 * kMicrosPerSecond;
constexpr Micros kLockRetry = 2 * kMicrosPerMilli;
// After the main process is gone and SIGKILL went to its group: how long to
// wait for the group to vanish (reaping the orphans) before writing exit.json.
constexpr Micros kReapWait = 5 * kMicrosPerSecond;
constexpr Micros kReapRetry = 2 * kMicrosPerMilli;
constexpr int64_t kCpuPeriodMicros = 100000;

void Log(const Clock& clock, const std::string& message) {
  std::fprintf(stderr, "%s supervisor[%d]: %s\n", FormatTimestamp(clock.Now()).c_str(), ::getpid(),
               message.c_str());
  std::fflush(stderr);
}

std::string ErrnoText() {
  return std::strerror(errno);
}

// The clean base environment: PATH, HOME, USER, LANG, TMPDIR (from the
// supervisor's own environment, with sane defaults), then the task's env.
// In a sandbox, HOME is the task's cwd (the supervisor's HOME is not
// writable there) and USER names the task's uid.
std::vector<std::string> BuildEnv(const std::map<std::string, std::string>& task_env, const TaskFile& task) {
  std::map<std::string, std::string> env;
  struct passwd* pw = ::getpwuid(::getuid());
  auto from_env = [](const char* name, std::string fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::string(v) : fallback;
  };
  env["PATH"] = from_env("PATH", "/usr/local/bin:/usr/bin:/bin");
  env["HOME"] = from_env("HOME", pw != nullptr ? pw->pw_dir : "/");
  env["USER"] = from_env("USER", pw != nullptr ? pw->pw_name : std::to_string(::getuid()));
  env["LANG"] = from_env("LANG", "C.UTF-8");
  env["TMPDIR"] = from_env("TMPDIR", "/tmp");
  if (task.sandbox.enabled) {
    env["HOME"] = task.cwd;
    env["TMPDIR"] = "/tmp";
    if (task.sandbox.uid >= 0) {
      struct passwd* task_pw = ::getpwuid(static_cast<uid_t>(task.sandbox.uid));
      env["USER"] = task_pw != nullptr ? task_pw->pw_name : std::to_string(task.sandbox.uid);
    }
  }
  for (const auto& [k, v] : task_env) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Writes the decimal digits of `value` to fd; async-signal-safe.
void WriteNumber(int fd, long value) {
  char buf[24];
  int pos = sizeof buf;
  do {
    buf[--pos] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0 && pos > 0);
  (void)!::write(fd, buf + pos, sizeof buf - pos);
}

// The task's own cgroup (cgroup v2), when the machine enforces limits.
struct TaskCgroup {
  std::string path;
  int procs_fd = -1;  // cgroup.procs, written by the child with its pid before exec
};

std::string WriteControl(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return path + ": " + ErrnoText();
  ssize_t n = ::write(fd, value.data(), value.size());
  std::string err = n == static_cast<ssize_t>(value.size()) ? "" : path + ": " + ErrnoText();
  ::close(fd);
  return err;
}

Result<TaskCgroup> CreateTaskCgroup(const TaskFile& task) {
  TaskCgroup cg;
  cg.path = task.limits.cgroup_parent + "/job" + task.job_id + "-a" + std::to_string(task.attempt_no) + "-r" +
            std::to_string(task.rank) + "-" + std::to_string(::getpid());
  ::rmdir(cg.path.c_str());  // a stale one from a dead supervisor with the same pid
  if (::mkdir(cg.path.c_str(), 0755) != 0)
    return Internal("cannot create cgroup " + cg.path + ": " + ErrnoText());
  std::string err;
  if (task.limits.cpus_milli > 0) {
    int64_t quota = std::max<int64_t>(1000, task.limits.cpus_milli * kCpuPeriodMicros / 1000);
    err = WriteControl(cg.path + "/cpu.max", std::to_string(quota) + " " + std::to_string(kCpuPeriodMicros));
  }
  if (err.empty() && task.limits.memory_mib > 0) {
    err = WriteControl(cg.path + "/memory.max", std::to_string(task.limits.memory_mib * 1024 * 1024));
  }
  if (err.empty()) {
    cg.procs_fd = ::open((cg.path + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (cg.procs_fd < 0) err = cg.path + "/cgroup.procs: " + ErrnoText();
  }
  if (!err.empty()) {
    ::rmdir(cg.path.c_str());
    return Internal("cannot set up cgroup limits: " + err);
  }
  return cg;
}

bool CgroupSawOomKill(const TaskCgroup& cg) {
  Result<std::string> events = ReadWholeFile(cg.path + "/memory.events");
  if (!events.ok()) return false;
  std::istringstream in(*events);
  std::string key;
  int64_t value = 0;
  while (in >> key >> value) {
    if (key == "oom_kill" && value > 0) return true;
  }
  return false;
}

class Supervisor {
 public:
  Supervisor(TaskFile task, Clock& clock, int signal_fd, const sigset_t& original_mask)
      : task_(std::move(task)), clock_(clock), signal_fd_(signal_fd), original_mask_(original_mask) {}

  ExitRecord Run(const TaskPaths& paths) {
    ExitRecord exit;
    log_fd_ = ::open(task_.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    devnull_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log_fd_ < 0 || devnull_fd_ < 0) {
      exit.exit_code = 127;
      exit.reason = "the supervisor could not open the task's log " + task_.log_path + ": " + ErrnoText();
      exit.started_at = exit.ended_at = clock_.Now();
      return exit;
    }
    if (!task_.limits.cgroup_parent.empty()) {
      Result<TaskCgroup> cg = CreateTaskCgroup(task_);
      if (cg.ok()) {
        cgroup_ = *cg;
      } else {
        Log(clock_, cg.status().message() + "; running without limits");
      }
    }
    if (task_.sandbox.enabled) {
      Status prepared = PrepareWritableDirs(task_.sandbox, paths.WorkDir());
      if (!prepared.ok()) {
        exit.exit_code = 127;
        exit.reason = "the supervisor could not prepare the task's sandbox: " + prepared.message();
        return Finish(exit);
      }
    }
    DrainSignals();  // a Cancel that came before anything started
    if (!task_.setup_argv.empty() && !stopping_) {
      std::optional<int> status = RunPhase(task_.setup_argv, "setup", paths, exit);
      if (!status) return Finish(exit);  // could not start; exit says why
      if (stopping_ || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
        FillExit(*status, /*in_setup=*/true, exit);
        return Finish(exit);
      }
      DrainSignals();
      if (stopping_) {
        exit.cancelled = true;
        exit.reason = "cancelled after setup, before run started";
        return Finish(exit);
      }
    }
    if (stopping_) {
      exit.cancelled = true;
      exit.reason = "cancelled before it started";
      return Finish(exit);
    }
    std::optional<int> status = RunPhase(task_.run_argv, "run", paths, exit);
    if (status) FillExit(*status, /*in_setup=*/false, exit);
    return Finish(exit);
  }

 private:
  // Spawns argv in a new process group and waits for its main process.
  // Returns its wait status, or nullopt if it could not be started (the
  // reason is then already in `exit`).
  std::optional<int> RunPhase(const std::vector<std::string>& argv_in, const std::string& phase,
                              const TaskPaths& paths, ExitRecord& exit) {
    std::vector<std::string> argv_strings = argv_in;
    SandboxPlan plan;
    if (task_.sandbox.enabled) {
      Result<SandboxPlan> planned = PlanSandbox(task_.sandbox, ::geteuid() == 0, task_.cwd, argv_in);
      if (!planned.ok()) {
        exit.exit_code = 127;
        exit.reason = "the supervisor could not plan the task's sandbox: " + planned.status().message();
        exit.started_at = exit.ended_at = clock_.Now();
        return std::nullopt;
      }
      plan = std::move(*planned);
      argv_strings = plan.argv;
    }
    std::vector<std::string> env_strings = BuildEnv(task_.env, task_);
    std::vector<char*> argv = CStrings(argv_strings);
    std::vector<char*> envp = CStrings(env_strings);
    const std::string cant_start = "skyrun: cannot start " + argv_in[0] + " for the task's " + phase + ": ";
    const std::string cant_cd = "skyrun: cannot enter the task's directory " + task_.cwd + ": ";
    const std::string cant_sandbox = "skyrun: cannot set up the task's sandbox: ";
    const bool sandboxed = task_.sandbox.enabled;
    const pid_t supervisor_pid = ::getpid();

    pid_t pid = ::fork();
    if (pid == 0) {
      // The task's process: a new group, killed if the supervisor dies.
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != supervisor_pid) ::_exit(127);
      if (cgroup_.procs_fd >= 0) WriteNumber(cgroup_.procs_fd, ::getpid());
      ::sigprocmask(SIG_SETMASK, &original_mask_, nullptr);
      ::dup2(devnull_fd_, 0);
      ::dup2(log_fd_, 1);
      ::dup2(log_fd_, 2);
      CloseFdsFrom(3);
      if (sandboxed) {
        // Drops the uid (which clears the death signal: set it again), then
        // bwrap enters the task's cwd itself (--chdir).
        std::string err = EnterSandboxInChild(plan);
        if (!err.empty()) {
          std::string msg = cant_sandbox + err + "\n";
          (void)!::write(2, msg.data(), msg.size());
          ::_exit(127);
        }
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != supervisor_pid) ::_exit(127);
        (void)!::chdir("/");
      } else if (::chdir(task_.cwd.c_str()) != 0) {
        std::string msg = cant_cd + std::strerror(errno) + "\n";
        (void)!::write(2, msg.data(), msg.size());
        ::_exit(127);
      }
      ::execvpe(argv[0], argv.data(), envp.data());
      std::string msg = cant_start + std::strerror(errno) + "\n";
      (void)!::write(2, msg.data(), msg.size());
      ::_exit(127);
    }
    if (pid < 0) {
      exit.exit_code = 127;
      exit.reason = "the supervisor could not fork the task's " + phase + ": " + ErrnoText();
      exit.started_at = exit.ended_at = clock_.Now();
      return std::nullopt;
    }
    ::setpgid(pid, pid);  // both sides set it, so no signal can miss the group
    pgid_ = pid;
    if (started_.time == 0) {
      started_.time = clock_.Now();
      start_monotonic_ = clock_.MonotonicNow();
    }
    started_.pid = pid;
    started_.pgid = pid;
    started_.phase = phase;
    Status written = WriteFileAtomic(paths.Started(), StartedRecordToJson(started_), Durability::kAtomicOnly);
    if (!written.ok()) Log(clock_, written.message());
    Log(clock_, phase + " started as pid " + std::to_string(pid));
    return WaitForMain(pid);
  }

  int WaitForMain(pid_t main_pid) {
    int main_status = 0;
    bool main_done = false;
    while (!main_done) {
      int st = 0;
      pid_t reaped;
      while ((reaped = ::waitpid(-1, &st, WNOHANG)) > 0) {
        if (reaped == main_pid) {
          main_status = st;
          main_done = true;
        }
      }
      if (main_done) break;
      Micros now = clock_.MonotonicNow();
      if (!stopping_ && task_.time_limit_seconds &&
          now >= start_monotonic_ + *task_.time_limit_seconds * kMicrosPerSecond) {
        StartStopping(/*timed_out=*/true);
      }
      if (stopping_ && !escalated_ && now >= stop_deadline_) {
        ::killpg(pgid_, SIGKILL);
        escalated_ = true;
        Log(clock_, "grace period over: SIGKILL to group " + std::to_string(pgid_));
      }
      Micros wake = -1;
      if (!stopping_ && task_.time_limit_seconds) {
        wake = start_monotonic_ + *task_.time_limit_seconds * kMicrosPerSecond;
      }
      if (stopping_ && !escalated_) wake = stop_deadline_;
      int timeout_ms = -1;
      if (wake >= 0) timeout_ms = static_cast<int>(std::max<Micros>(0, (wake - now + 999) / 1000));
      struct pollfd pfd = {signal_fd_, POLLIN, 0};
      ::poll(&pfd, 1, timeout_ms);
      DrainSignals();
    }
    // The main process is gone: nothing of its group may outlive it.
    ::killpg(pgid_, SIGKILL);
    ReapGroup();
    pgid_ = 0;  // gone: never signal that number again (it may be reused)
    return main_status;
  }

  // Reads every pending signal; SIGTERM/SIGINT/SIGHUP start a cancel.
  void DrainSignals() {
    struct signalfd_siginfo info;
    while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      int sig = static_cast<int>(info.ssi_signo);
      if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
        Log(clock_, SignalName(sig) + " received: cancelling");
        if (!stopping_) StartStopping(/*timed_out=*/false);
      }
    }
  }

  void StartStopping(bool timed_out) {
    stopping_ = true;
    (timed_out ? timed_out_ : cancelled_) = true;
    stop_deadline_ = clock_.MonotonicNow() + task_.grace_seconds * kMicrosPerSecond;
    if (pgid_ > 0) {
      if (task_.sandbox.enabled) {
        SignalSandbox(pgid_, SIGTERM);
      } else {
        ::killpg(pgid_, SIGTERM);
      }
      Log(clock_, std::string(timed_out ? "time limit reached" : "cancel") + ": SIGTERM to group " +
                      std::to_string(pgid_));
    }
  }

  // Waits until no process of the group is left, reaping orphans as their
  // subreaper. Bounded: a process stuck in the kernel cannot hold us forever.
  void ReapGroup() {
    Micros deadline = clock_.MonotonicNow() + kReapWait;
    while (true) {
      int st = 0;
      while (::waitpid(-1, &st, WNOHANG) > 0) {
      }
      if (::killpg(pgid_, 0) != 0 && errno == ESRCH) return;
      if (clock_.MonotonicNow() >= deadline) {
        Log(clock_, "processes of group " + std::to_string(pgid_) + " are still there after SIGKILL");
        return;
      }
      clock_.SleepFor(kReapRetry);
    }
  }

  // How the main process of a phase ended, in exit.json's terms. A setup that
  // ended by itself with a non-zero status is a setup failure.
  void FillExit(int status, bool in_setup, ExitRecord& exit) {
    std::string detail;
    // bwrap, the main process of a sandboxed phase, exits with 128+signal
    // when the task's main process died of a signal.
    int signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (task_.sandbox.enabled && WIFEXITED(status) && WEXITSTATUS(status) > 128 &&
        WEXITSTATUS(status) <= 128 + 64) {
      signal = WEXITSTATUS(status) - 128;
    }
    if (signal != 0) {
      exit.signal = signal;
      exit.exit_code = 128 + exit.signal;
      detail = "killed by " + SignalName(exit.signal);
      if (escalated_ && exit.signal == SIGKILL) {
        detail += " after the " + std::to_string(task_.grace_seconds) + " s grace period";
      } else if (stopping_ && exit.signal == SIGTERM) {
        detail = "stopped by SIGTERM";
      }
      if (exit.signal == SIGKILL && cgroup_.procs_fd >= 0 && CgroupSawOomKill(cgroup_)) {
        detail += ": out of memory (memory limit " + std::to_string(task_.limits.memory_mib) + " MiB)";
      }
    } else {
      exit.exit_code = WEXITSTATUS(status);
      detail = stopping_ ? "exited with code " + std::to_string(*exit.exit_code) + " after SIGTERM"
                         : "exit code " + std::to_string(*exit.exit_code);
    }
    exit.cancelled = cancelled_;
    exit.timed_out = timed_out_;
    if (cancelled_) {
      exit.reason = std::string("cancelled") + (in_setup ? " during setup" : "") + ": " + detail;
    } else if (timed_out_) {
      exit.reason = "time limit of " + std::to_string(*task_.time_limit_seconds) + " s reached: " + detail;
    } else if (in_setup) {
      exit.reason = "setup failed with exit code " + std::to_string(*exit.exit_code);
      if (exit.signal != 0) exit.reason += " (" + detail + ")";
    } else {
      exit.reason = detail;
    }
    exit.started_at = started_.time;
    exit.ended_at = clock_.Now();
  }

  ExitRecord Finish(ExitRecord& exit) {
    if (exit.started_at == 0) exit.started_at = started_.time;
    if (exit.ended_at == 0) exit.ended_at = clock_.Now();
    if (!cgroup_.path.empty()) {
      // cgroup.kill also reaches processes that left the group (setsid).
      if (::access((cgroup_.path + "/cgroup.kill").c_str(), F_OK) == 0) {
        (void)WriteControl(cgroup_.path + "/cgroup.kill", "1");
        Micros deadline = clock_.MonotonicNow() + kReapWait;
        while (::rmdir(cgroup_.path.c_str()) != 0 && errno == EBUSY && clock_.MonotonicNow() < deadline) {
          int st = 0;
          while (::waitpid(-1, &st, WNOHANG) > 0) {
          }
          clock_.SleepFor(kReapRetry);
        }
      } else {
        ::rmdir(cgroup_.path.c_str());
      }
      if (cgroup_.procs_fd >= 0) ::close(cgroup_.procs_fd);
    }
    if (log_fd_ >= 0) ::close(log_fd_);
    if (devnull_fd_ >= 0) ::close(devnull_fd_);
    return exit;
  }

  TaskFile task_;
  Clock& clock_;
  int signal_fd_;
  sigset_t original_mask_;
  int log_fd_ = -1;
  int devnull_fd_ = -1;
  TaskCgroup cgroup_;
  StartedRecord started_{0, 0, 0, ""};
  Micros start_monotonic_ = 0;
  pid_t pgid_ = 0;
  bool stopping_ = false;
  bool cancelled_ = false;
  bool timed_out_ = false;
  bool escalated_ = false;
  Micros stop_deadline_ = 0;
};

// Takes the lock, retrying while a Poll probe holds it; gives up at once if
// the task is already claimed (its owner holds the lock).
enum class LockOutcome { kTaken, kOwnedElsewhere, kError };
LockOutcome TakeLock(int lock_fd, const TaskPaths& paths, Clock& clock) {
  Micros deadline = clock.MonotonicNow() + kLockWait;
  while (true) {
    if (::flock(lock_fd, LOCK_EX | LOCK_NB) == 0) return LockOutcome::kTaken;
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) {
      Log(clock, "cannot lock " + paths.Lock() + ": " + ErrnoText());
      return LockOutcome::kError;
    }
    if (::access(paths.Claim().c_str(), F_OK) == 0) return LockOutcome::kOwnedElsewhere;
    if (clock.MonotonicNow() >= deadline) {
      Log(clock, "the lock " + paths.Lock() + " stayed busy without a claim; giving up");
      return LockOutcome::kOwnedElsewhere;
    }
    clock.SleepFor(kLockRetry);
  }
}

}  // namespace

int RunSupervisor(const std::string& task_dir, Clock& clock) {
  TaskPaths paths(task_dir);
  // Block the signals first: a Cancel (SIGTERM) that comes at any moment after
  // the claim must reach the wait loop (through a signalfd, in order with
  // child exits and timeouts), not kill the supervisor. Children get the
  // original mask back.
  sigset_t wanted, original;
  sigemptyset(&wanted);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&wanted, sig);
  ::sigprocmask(SIG_BLOCK, &wanted, &original);
  int lock_fd = ::open(paths.Lock().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) {
    Log(clock,
        "cannot open " + paths.Lock() + ": " + ErrnoText() + "; is " + task_dir + " a task directory?");
    return 2;
  }
  switch (TakeLock(lock_fd, paths, clock)) {
    case LockOutcome::kTaken: break;
    case LockOutcome::kOwnedElsewhere: Log(clock, "task already claimed; nothing to do"); return 0;
    case LockOutcome::kError: return 1;
  }
  Status claim = CreateExclusive(paths.Claim(), std::to_string(::getpid()) + "\n");
  if (claim.code() == StatusCode::kAlreadyExists) {
    Result<std::string> owner = ReadWholeFile(paths.Claim());
    Log(clock,
        "task already claimed (" + (owner.ok() ? Trim(*owner) : std::string("?")) + "); nothing to do");
    return 0;
  }
  if (!claim.ok()) {
    Log(clock, claim.message());
    return 1;
  }
  // From here on the task is ours: every way out writes exit.json.
  Result<std::string> text = ReadWholeFile(paths.TaskJson());
  Result<TaskFile> task = text.ok() ? TaskFileFromJson(*text) : Result<TaskFile>(text.status());
  if (!task.ok()) {
    ExitRecord exit;
    exit.exit_code = 127;
    exit.reason = "the supervisor could not read task.json: " + task.status().message();
    exit.started_at = exit.ended_at = clock.Now();
    Log(clock, exit.reason);
    Status s = WriteFileAtomic(paths.ExitJson(), ExitRecordToJson(exit));
    if (!s.ok()) Log(clock, s.message());
    return 1;
  }
  int signal_fd = ::signalfd(-1, &wanted, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd < 0) {
    ExitRecord exit;
    exit.exit_code = 127;
    exit.reason = "the supervisor could not create a signalfd: " + ErrnoText();
    exit.started_at = exit.ended_at = clock.Now();
    Log(clock, exit.reason);
    (void)WriteFileAtomic(paths.ExitJson(), ExitRecordToJson(exit));
    return 1;
  }
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  Supervisor supervisor(std::move(*task), clock, signal_fd, original);
  ExitRecord exit = supervisor.Run(paths);
  Log(clock, "task over: " + exit.reason);
  Status written = WriteFileAtomic(paths.ExitJson(), ExitRecordToJson(exit));
  ::close(signal_fd);
  if (!written.ok()) {
    Log(clock, written.message());
    return 1;
  }
  return 0;  // the lock is released as the process exits, after exit.json exists
}

}  // namespace skyrun
