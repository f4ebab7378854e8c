#include "cli/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace skyrun {

namespace {

// A signal handler can reach only static storage, and may call only
// async-signal-safe functions (write, _exit): the hint is formatted in
// advance into this buffer. This is the one piece of process-wide state in
// the CLI, and signal dispositions are process-wide anyway.
char g_hint[1024];
volatile sig_atomic_t g_hint_length = 0;
volatile sig_atomic_t g_armed = 0;
volatile sig_atomic_t g_interrupted = 0;

constexpr int kExitInterrupted = 128 + SIGINT;

void OnInterrupt(int) {
  g_interrupted = 1;
  if (!g_armed) return;
  size_t left = static_cast<size_t>(g_hint_length);
  const char* p = g_hint;
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
  ::_exit(kExitInterrupted);
}

}  // namespace

std::string InterruptHint(int64_t job_id, const std::string& client_flags) {
  std::string id = std::to_string(job_id);
  return "\nskyrun: interrupted; job " + id +
         " goes on running on the server (Ctrl-C stops only this client, not the job).\n"
         "  follow it:  skyrun logs " +
         id + " -f" + client_flags + "\n" + "  status:     skyrun status " + id + client_flags + "\n" +
         "  cancel it:  skyrun cancel " + id + client_flags + "\n";
}

void CatchInterrupts() {
  struct sigaction old {};
  if (::sigaction(SIGINT, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) return;
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &action, nullptr);
}

void ArmInterruptHint(int64_t job_id, const std::string& client_flags) {
  std::string hint = InterruptHint(job_id, client_flags);
  size_t n = std::min(hint.size(), sizeof g_hint);
  std::memcpy(g_hint, hint.data(), n);
  g_hint_length = static_cast<sig_atomic_t>(n);
  g_armed = 1;
  if (g_interrupted) OnInterrupt(SIGINT);
}

void DisarmInterruptHint() {
  g_armed = 0;
  struct sigaction current {};
  if (::sigaction(SIGINT, nullptr, &current) != 0 || current.sa_handler != OnInterrupt) return;
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
}

bool Interrupted() {
  return g_interrupted != 0;
}

}  // namespace skyrun
