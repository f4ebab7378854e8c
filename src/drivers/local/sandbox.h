// The local task sandbox: each phase of a task (setup, run) runs inside
// bubblewrap with its own mount, PID and IPC namespaces, a read-only view of
// the system, a fresh /proc, a minimal /dev, a private /tmp, the server's
// state directory hidden, and only its own work and checkpoint directories
// writable. The supervisor (supervisor.cc) is the only caller; LocalDriver
// decides what goes into TaskSandbox (task_files.h).
//
// Why the order matters: bwrap run as root keeps root's power over the files
// it can see (even with --unshare-user --uid), so where the supervisor is root
// the forked child first drops to the task's uid and only then execs bwrap,
// which then sets itself up in an unprivileged user namespace. Before that
// drop the child, still root, mounts a tmpfs over the hidden directories (or
// over the first of their ancestors the task's uid could not enter anyway)
// and binds the writable directories back into it, so that bwrap, running as
// the task's uid, can reach them by their paths.
//
// Why the PID namespace: bwrap's init is the namespace's pid 1; when it dies
// (with the task's main process, or with the supervisor through
// --die-with-parent) the kernel kills every process left in the namespace,
// also those that called setsid. So no process of an attempt outlives it.
//
// With an image (TaskSandbox::rootfs), the image's unpacked tree takes the
// host system's place as a read-only `/` (its top-level entries bound one by
// one over bwrap's own root, which is then remounted read-only), with the
// same fresh /proc, minimal /dev, private /tmp and writable directories; no
// host directory is visible but those.
//
// Thread-safety: pure functions, except EnterSandboxInChild (runs between
// fork and exec in a single-threaded supervisor) and SignalSandbox.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/status.h"
#include "drivers/local/task_files.h"

namespace skyrun {

// What the forked child of the supervisor does for one phase.
struct SandboxPlan {
  // Root only: tmpfs mounts in a private mount namespace, then each writable
  // directory bound back at its own path, before the uid is dropped.
  std::vector<std::string> root_tmpfs;
  std::vector<std::string> root_binds;
  bool drop_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<std::string> argv;  // bwrap ... -- command
};

// bwrap's argv around `command`. `tmpfs` are the directories hidden behind an
// empty read-only tmpfs, into which the writable directories are bound back.
std::vector<std::string> BwrapArgv(const TaskSandbox& sandbox, const std::vector<std::string>& tmpfs,
                                   const std::string& cwd, const std::vector<std::string>& command);

// The plan for one phase. `running_as_root`: whether the supervisor is root
// (then sandbox.uid must be set). Reads the file system (which ancestors of the
// hidden directories the task's uid can enter).
Result<SandboxPlan> PlanSandbox(const TaskSandbox& sandbox, bool running_as_root, const std::string& cwd,
                                const std::vector<std::string>& command);

// Creates the writable directories and the binds' sources and, where a uid
// is set, gives them to it
// (mode 0700, closed to other tenants' uids):
// `owned_tree` (the task's freshly staged work directory) entirely, the others
// (the checkpoint directory, kept across attempts) only at the top, without
// following links. Run by the supervisor as root before any phase.
Status PrepareWritableDirs(const TaskSandbox& sandbox, const std::string& owned_tree);

// In the forked child, before exec: the root mounts and the uid drop. Returns
// "" or what failed (the child then reports it and exits 127).
std::string EnterSandboxInChild(const SandboxPlan& plan);

// Sends `sig` to every process of the sandbox whose outermost bwrap is
// `outer` (the phase's main process), except bwrap's own two processes: the
// outer one would die of SIGTERM and take the namespace with it before the
// task's grace period. Reaches processes that left the group (setsid). When
// the sandbox is not up yet, signals the group `outer` leads instead.
void SignalSandbox(pid_t outer, int sig);

}  // namespace skyrun
