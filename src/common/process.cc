#include "common/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace skyrun {
namespace {

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int Get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  void Set(int fd) {
    Reset();
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Caps what one command may print, so a runaway program cannot exhaust memory.
constexpr size_t kMaxOutputBytes = 64u << 20;

bool ReadSome(int fd, std::string* into) {
  char buf[65536];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n > 0) {
    if (into->size() < kMaxOutputBytes) into->append(buf, static_cast<size_t>(n));
    return true;
  }
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  return false;  // EOF or error: stop watching this pipe
}

std::vector<std::string> BuildEnvironment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    std::string key = eq == std::string::npos ? entry : entry.substr(0, eq);
    if (overrides.count(key)) continue;
    env.push_back(std::move(entry));
  }
  for (const auto& [key, value] : overrides) env.push_back(key + "=" + value);
  return env;
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace

Result<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                 const std::map<std::string, std::string>& env_overrides,
                                 int64_t timeout_ms) {
  if (argv.empty()) return InvalidArgument("no command to run");
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return Internal(std::string("pipe: ") + strerror(errno));
  Fd out_read(out_pipe[0]);
  Fd out_write(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return Internal(std::string("pipe: ") + strerror(errno));
  Fd err_read(err_pipe[0]);
  Fd err_write(err_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.Get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.Get(), 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group, so a timeout kills the command and its children; and
  // default signal dispositions/mask whatever the server set for itself.
  sigset_t no_signals;
  sigset_t all_signals;
  sigemptyset(&no_signals);
  sigfillset(&all_signals);
  posix_spawnattr_setsigmask(&attr, &no_signals);
  posix_spawnattr_setsigdefault(&attr, &all_signals);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings = BuildEnvironment(env_overrides);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return NotFound("cannot run '" + argv[0] + "': " + strerror(rc) +
                    (rc == ENOENT ? " (is it installed and in PATH?)" : ""));
  }
  out_write.Reset();
  err_write.Reset();

  Fd timer(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC));
  if (timer.Get() >= 0 && timeout_ms > 0) {
    itimerspec spec{};
    spec.it_value.tv_sec = timeout_ms / 1000;
    spec.it_value.tv_nsec = (timeout_ms % 1000) * 1000000;
    timerfd_settime(timer.Get(), 0, &spec, nullptr);
  }
  // A pidfd tells when the child exits even if it closed its pipes early.
  Fd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));

  ProcessResult result;
  bool out_open = true;
  bool err_open = true;
  bool exited = false;
  int wait_status = 0;
  while (!exited || out_open || err_open) {
    pollfd fds[4];
    int n = 0;
    int out_idx = -1, err_idx = -1, timer_idx = -1, pid_idx = -1;
    if (out_open) {
      fds[n] = {out_read.Get(), POLLIN, 0};
      out_idx = n++;
    }
    if (err_open) {
      fds[n] = {err_read.Get(), POLLIN, 0};
      err_idx = n++;
    }
    if (timer.Get() >= 0 && timeout_ms > 0 && !result.timed_out) {
      fds[n] = {timer.Get(), POLLIN, 0};
      timer_idx = n++;
    }
    if (!exited && pidfd.Get() >= 0) {
      fds[n] = {pidfd.Get(), POLLIN, 0};
      pid_idx = n++;
    }
    // Without a pidfd, look for the exit every 10 ms once the pipes are closed.
    int wait_ms = (!exited && pidfd.Get() < 0 && !out_open && !err_open) ? 10 : -1;
    int ready = poll(fds, static_cast<nfds_t>(n), wait_ms);
    if (ready < 0 && errno != EINTR) break;
    if (out_idx >= 0 && (fds[out_idx].revents & (POLLIN | POLLHUP | POLLERR)))
      out_open = ReadSome(out_read.Get(), &result.out);
    if (err_idx >= 0 && (fds[err_idx].revents & (POLLIN | POLLHUP | POLLERR)))
      err_open = ReadSome(err_read.Get(), &result.err);
    if (timer_idx >= 0 && (fds[timer_idx].revents & POLLIN)) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
    }
    if (!exited && (pid_idx < 0 || (fds[pid_idx].revents & POLLIN))) {
      pid_t w = waitpid(pid, &wait_status, WNOHANG);
      if (w == pid) exited = true;
    }
    // After a timeout, grandchildren that escaped the group may hold the pipes.
    if (result.timed_out && exited) break;
  }
  if (!exited) {
    kill(-pid, SIGKILL);
    while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
    }
  }
  result.exit_code = DecodeWaitStatus(wait_status);
  return result;
}

std::string FormatCommand(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && a.find_first_of(" \t\n'\"$\\;&|<>()*?") == std::string::npos;
    out += plain ? a : "'" + a + "'";
  }
  return out;
}

}  // namespace skyrun
