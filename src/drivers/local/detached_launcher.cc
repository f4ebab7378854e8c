#include "drivers/local/detached_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

extern char** environ;

namespace skyrun {

void CloseFdsFrom(int first_fd) {
  if (::syscall(SYS_close_range, static_cast<unsigned>(first_fd), ~0U, 0) == 0) return;
  long max_fd = ::sysconf(_SC_OPEN_MAX);
  if (max_fd < 0 || max_fd > 65536) max_fd = 65536;
  for (int fd = first_fd; fd < max_fd; ++fd) ::close(fd);
}

namespace {

// Runs in the grandchild. Only async-signal-safe calls. Never returns.
[[noreturn]] void ExecDetached(char* const* argv, int devnull_fd, int log_fd, int report_fd) {
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // First lift every fd we need above 0..3, so that no dup2 below clobbers
  // another (a server started with a closed stdin has /dev/null at fd 0).
  devnull_fd = ::fcntl(devnull_fd, F_DUPFD_CLOEXEC, 10);
  log_fd = ::fcntl(log_fd, F_DUPFD_CLOEXEC, 10);
  report_fd = ::fcntl(report_fd, F_DUPFD_CLOEXEC, 10);
  if (report_fd < 0) ::_exit(127);
  if (devnull_fd < 0 || log_fd < 0 || ::dup2(devnull_fd, 0) < 0 || ::dup2(log_fd, 1) < 0 ||
      ::dup2(log_fd, 2) < 0 || ::dup3(report_fd, 3, O_CLOEXEC) < 0) {
    int err = errno;
    (void)!::write(report_fd, &err, sizeof err);
    ::_exit(127);
  }
  report_fd = 3;
  CloseFdsFrom(4);
  (void)!::chdir("/");
  ::execve(argv[0], argv, environ);
  int err = errno;
  (void)!::write(report_fd, &err, sizeof err);
  ::_exit(127);
}

}  // namespace

Status DetachedLauncher::StartDetached(const std::vector<std::string>& argv, const std::string& log_path) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    return InvalidArgument("a detached process needs an absolute program path");
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  int devnull_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull_fd < 0) return Internal(std::string("cannot open /dev/null: ") + std::strerror(errno));
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    int err = errno;
    ::close(devnull_fd);
    return Internal("cannot open " + log_path + ": " + std::strerror(err));
  }
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    int err = errno;
    ::close(devnull_fd);
    ::close(log_fd);
    return Internal(std::string("cannot create a pipe: ") + std::strerror(err));
  }

  pid_t child = ::fork();
  if (child == 0) {
    ::close(report[0]);
    if (::setsid() < 0) ::_exit(126);
    pid_t grandchild = ::fork();
    if (grandchild == 0) ExecDetached(args.data(), devnull_fd, log_fd, report[1]);
    ::_exit(grandchild < 0 ? 126 : 0);
  }
  int fork_errno = errno;
  ::close(report[1]);
  ::close(devnull_fd);
  ::close(log_fd);
  if (child < 0) {
    ::close(report[0]);
    return Internal(std::string("cannot fork to start ") + argv[0] + ": " + std::strerror(fork_errno));
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  // EOF (exec happened) or the errno of the failed exec.
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Internal(std::string("cannot start ") + argv[0] +
                    ": the intermediate process failed (setsid or fork)");
  }
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    return Internal(std::string("cannot start ") + argv[0] + ": " + std::strerror(exec_errno) +
                    "; check local.supervisor_binary in the server config");
  }
  return Status::Ok();
}

}  // namespace skyrun
