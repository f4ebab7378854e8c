#include "drivers/local/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "common/strings.h"

namespace skyrun {
namespace {

namespace fs = std::filesystem;

std::string Normal(const std::string& path) {
  std::string p = fs::path(path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// Whether `path` is `dir` or lies under it.
bool IsUnder(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir || path.rfind(dir + "/", 0) == 0;
}

// Whether a user with only `uid` and `gid` (no supplementary groups) may
// enter the directory: the owner's, the group's or the others' x bit.
bool MayEnter(const struct stat& st, uid_t uid, gid_t gid) {
  if (st.st_uid == uid) return (st.st_mode & S_IXUSR) != 0;
  if (st.st_gid == gid) return (st.st_mode & S_IXGRP) != 0;
  return (st.st_mode & S_IXOTH) != 0;
}

// Where to mount the tmpfs that hides `dir` from `uid`: `dir` itself, or the
// first of its ancestors that `uid` cannot enter (then nothing beneath it was
// reachable for the task anyway, and the bound-back directories become
// reachable through the tmpfs).
std::string HidePoint(const std::string& dir, uid_t uid, gid_t gid) {
  fs::path walked = "/";
  for (const fs::path& part : fs::path(dir).relative_path()) {
    if (walked.string() == dir) break;
    walked /= part;
    if (walked.string() == dir) break;
    struct stat st;
    if (::stat(walked.c_str(), &st) != 0) break;  // missing: mounting over dir itself fails clearly later
    if (!MayEnter(st, uid, gid)) return walked.string();
  }
  return dir;
}

// Drops the entries that lie under another entry.
std::vector<std::string> Outermost(std::vector<std::string> dirs) {
  std::sort(dirs.begin(), dirs.end());
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  std::vector<std::string> out;
  for (const std::string& d : dirs) {
    bool nested = false;
    for (const std::string& o : out) nested = nested || IsUnder(d, o);
    if (!nested) out.push_back(d);
  }
  return out;
}

// Gives every entry under the directory `dir_fd` to uid:gid without following
// links (fchownat with AT_SYMLINK_NOFOLLOW, descent through openat with
// O_NOFOLLOW). Takes ownership of dir_fd.
Status ChownTree(int dir_fd, const std::string& where, uid_t uid, gid_t gid) {
  if (::fchown(dir_fd, uid, gid) != 0) {
    int err = errno;
    ::close(dir_fd);
    return Internal("cannot give " + where + " to uid " + std::to_string(uid) + ": " + std::strerror(err));
  }
  DIR* dir = ::fdopendir(dir_fd);
  if (dir == nullptr) {
    ::close(dir_fd);
    return Internal("cannot list " + where + ": " + std::strerror(errno));
  }
  Status result = Status::Ok();
  while (struct dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = where + "/" + name;
    struct stat st;
    if (::fstatat(::dirfd(dir), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      int sub = ::openat(::dirfd(dir), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) {
        result = Internal("cannot open " + path + ": " + std::strerror(errno));
        break;
      }
      result = ChownTree(sub, path, uid, gid);
      if (!result.ok()) break;
    } else if (::fchownat(::dirfd(dir), name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
      result =
          Internal("cannot give " + path + " to uid " + std::to_string(uid) + ": " + std::strerror(errno));
      break;
    }
  }
  ::closedir(dir);
  return result;
}

struct ProcEntry {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::string pid_ns;  // "pid:[4026532...]"
};

std::vector<ProcEntry> ScanProc() {
  std::vector<ProcEntry> out;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return out;
  while (struct dirent* e = ::readdir(proc)) {
    std::optional<int64_t> pid = ParseInt64(e->d_name);
    if (!pid || *pid <= 1) continue;
    std::string base = std::string("/proc/") + e->d_name;
    int fd = ::open((base + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char buf[512];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) continue;
    std::string stat(buf, static_cast<size_t>(n));
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::vector<std::string> fields = Split(Trim(stat.substr(close + 1)), ' ');
    if (fields.size() < 2) continue;
    std::optional<int64_t> ppid = ParseInt64(fields[1]);
    if (!ppid) continue;
    char ns[64];
    ssize_t len = ::readlink((base + "/ns/pid").c_str(), ns, sizeof ns - 1);
    ProcEntry entry;
    entry.pid = static_cast<pid_t>(*pid);
    entry.ppid = static_cast<pid_t>(*ppid);
    if (len > 0) entry.pid_ns.assign(ns, static_cast<size_t>(len));
    out.push_back(std::move(entry));
  }
  ::closedir(proc);
  return out;
}

// Lays an image's tree out as the sandbox's `/`, read-only, entry by entry
// of its top level (directories and files bound, links recreated), so that
// bwrap's own root tmpfs stays where the mount points of the task's writable
// directories are made: binding the tree itself at `/` would make bwrap
// create them inside the shared, read-only image. A directory that is an
// ancestor of a writable one (`open`) is laid out the same way, one level
// further. The image's /proc, /dev, /tmp and /sys are replaced.
void LayOutRootfs(const std::string& rootfs, const std::string& at, const std::set<std::string>& open,
                  std::vector<std::string>& argv) {
  std::vector<std::string> names;
  if (DIR* dir = ::opendir((rootfs + at).c_str())) {
    while (struct dirent* e = ::readdir(dir)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(dir);
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::string path = at + "/" + name;
    if (at.empty() && (name == "proc" || name == "dev" || name == "tmp" || name == "sys")) continue;
    const std::string source = rootfs + path;
    struct stat st;
    if (::lstat(source.c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      if (open.count(path)) continue;  // the writable directory's own path wins
      std::error_code ec;
      std::string target = fs::read_symlink(source, ec).string();
      if (!ec) argv.insert(argv.end(), {"--symlink", target, path});
    } else if (S_ISDIR(st.st_mode)) {
      if (open.count(path)) {
        argv.insert(argv.end(), {"--dir", path});
        LayOutRootfs(rootfs, path, open, argv);
      } else {
        argv.insert(argv.end(), {"--ro-bind", source, path});
      }
    } else if (S_ISREG(st.st_mode)) {
      argv.insert(argv.end(), {"--ro-bind", source, path});
    }
  }
}

std::vector<std::string> ImageBwrapArgv(const TaskSandbox& sandbox, const std::string& cwd,
                                        const std::vector<std::string>& command) {
  std::vector<std::string> argv = {sandbox.bwrap, "--die-with-parent", "--unshare-pid", "--unshare-ipc"};
  if (sandbox.image_uid >= 0 && sandbox.image_gid >= 0) {
    // The image's User, seen inside a user namespace of the task's own; on
    // the host the task is still the (dropped) uid that ran bwrap.
    argv.insert(argv.end(), {"--unshare-user", "--uid", std::to_string(sandbox.image_uid), "--gid",
                             std::to_string(sandbox.image_gid)});
  }
  std::set<std::string> open;
  for (const std::string& dir : sandbox.writable) {
    fs::path p = fs::path(dir).parent_path();
    while (!p.empty() && p.string() != "/") {
      open.insert(p.string());
      p = p.parent_path();
    }
  }
  LayOutRootfs(sandbox.rootfs, "", open, argv);
  argv.insert(argv.end(), {"--dev", "/dev", "--tmpfs", "/dev/shm"});
  for (const std::string& dev : sandbox.devices) argv.insert(argv.end(), {"--dev-bind", dev, dev});
  argv.insert(argv.end(), {"--proc", "/proc", "--tmpfs", "/tmp"});
  for (const std::string& dir : sandbox.writable) argv.insert(argv.end(), {"--bind", dir, dir});
  for (const SandboxBind& b : sandbox.binds) {  // volumes, after the work directory that holds their targets
    argv.insert(argv.end(), {b.read_only ? "--ro-bind" : "--bind", b.source, b.target});
  }
  // bwrap's root tmpfs (where the links and mount points were made) too.
  argv.insert(argv.end(), {"--remount-ro", "/", "--chdir", cwd, "--"});
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

}  // namespace

std::vector<std::string> BwrapArgv(const TaskSandbox& sandbox, const std::vector<std::string>& tmpfs,
                                   const std::string& cwd, const std::vector<std::string>& command) {
  // Nothing of the host is visible in an image's tree: nothing to hide.
  if (!sandbox.rootfs.empty()) return ImageBwrapArgv(sandbox, cwd, command);
  std::vector<std::string> argv = {
      sandbox.bwrap, "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--ro-bind", "/", "/", "--dev",
      "/dev",        "--tmpfs",           "/dev/shm"};
  for (const std::string& dev : sandbox.devices) argv.insert(argv.end(), {"--dev-bind", dev, dev});
  argv.insert(argv.end(), {"--proc", "/proc", "--tmpfs", "/tmp"});
  // Hidden again inside: where they lie under /tmp, the private /tmp above
  // would otherwise make them writable scratch space.
  for (const std::string& dir : tmpfs) argv.insert(argv.end(), {"--tmpfs", dir});
  for (const std::string& dir : sandbox.writable) argv.insert(argv.end(), {"--bind", dir, dir});
  // After the writable directories: a volume's target may lie in the work
  // directory (drivers/local/staging.h), where bwrap makes its mount point.
  for (const SandboxBind& b : sandbox.binds) {
    argv.insert(argv.end(), {b.read_only ? "--ro-bind" : "--bind", b.source, b.target});
  }
  for (const std::string& dir : tmpfs) argv.insert(argv.end(), {"--remount-ro", dir});
  argv.insert(argv.end(), {"--chdir", cwd, "--"});
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

Result<SandboxPlan> PlanSandbox(const TaskSandbox& sandbox, bool running_as_root, const std::string& cwd,
                                const std::vector<std::string>& command) {
  SandboxPlan plan;
  TaskSandbox normal = sandbox;
  normal.hidden.clear();
  for (const std::string& dir : sandbox.hidden) {
    std::string d = Normal(dir);
    if (d.empty() || d[0] != '/' || d == "/") {
      return InvalidArgument("sandbox: hidden directory '" + d + "' must be an absolute path other than /");
    }
    struct stat st;
    if (::stat(d.c_str(), &st) == 0) normal.hidden.push_back(d);  // a missing one holds nothing to hide
  }
  for (std::string& d : normal.writable) d = Normal(d);
  if (!normal.rootfs.empty()) {
    normal.rootfs = Normal(normal.rootfs);
    struct stat st;
    if (normal.rootfs[0] != '/' || ::stat(normal.rootfs.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return FailedPrecondition("sandbox: the image's root file system " + normal.rootfs +
                                " is missing (removed with `skyrun image rm` while the task was queued?)");
    }
  }
  for (SandboxBind& b : normal.binds) {
    b.source = Normal(b.source);
    b.target = Normal(b.target);
    if (b.source.empty() || b.source[0] != '/' || b.target.empty() || b.target[0] != '/' || b.target == "/") {
      return InvalidArgument("sandbox: bind '" + b.source + "' -> '" + b.target +
                             "' needs absolute paths and a target other than /");
    }
  }
  std::vector<std::string> hide_points;
  if (running_as_root) {
    if (sandbox.uid <= 0 || sandbox.gid < 0) {
      return FailedPrecondition("sandbox: the supervisor runs as root but task.json names no task uid");
    }
    plan.drop_user = true;
    plan.uid = static_cast<uid_t>(sandbox.uid);
    plan.gid = static_cast<gid_t>(sandbox.gid);
    std::vector<std::string> points;
    for (const std::string& d : normal.hidden) points.push_back(HidePoint(d, plan.uid, plan.gid));
    plan.root_tmpfs = Outermost(points);
    hide_points = plan.root_tmpfs;
    // The image's tree and the volumes lie in the hidden state too: bound
    // back like the writable directories, so that bwrap (as the task's uid)
    // reaches them.
    std::vector<std::string> reachable = normal.writable;
    if (!normal.rootfs.empty()) reachable.push_back(normal.rootfs);
    for (const SandboxBind& b : normal.binds) reachable.push_back(b.source);
    for (const std::string& w : reachable) {
      for (const std::string& t : plan.root_tmpfs) {
        if (IsUnder(w, t)) {
          plan.root_binds.push_back(w);
          break;
        }
      }
    }
  } else {
    hide_points = Outermost(normal.hidden);
  }
  plan.argv = BwrapArgv(normal, hide_points, cwd, command);
  return plan;
}

Status PrepareWritableDirs(const TaskSandbox& sandbox, const std::string& owned_tree) {
  std::vector<std::string> dirs = sandbox.writable;
  // A volume (read-only ones too: the task's uid must read it) is given to
  // the task's uid at its top only, like the checkpoint directory. Volumes
  // belong to one tenant, whose tasks all run as one uid.
  for (const SandboxBind& b : sandbox.binds) dirs.push_back(b.source);
  for (const std::string& dir : dirs) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Internal("cannot create " + dir + " for the task: " + ec.message());
    if (sandbox.uid < 0) continue;
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return Internal("cannot open " + dir + ": " + std::strerror(errno));
    const uid_t uid = static_cast<uid_t>(sandbox.uid);
    const gid_t gid = static_cast<gid_t>(sandbox.gid);
    // Closed to other uids, so that another tenant's task (another uid)
    // cannot read it even where it could reach the path.
    if (::fchmod(fd, 0700) != 0) {
      int err = errno;
      ::close(fd);
      return Internal("cannot restrict " + dir + " to its task: " + std::strerror(err));
    }
    if (Normal(dir) == Normal(owned_tree)) {
      SKYRUN_RETURN_IF_ERROR(ChownTree(fd, dir, uid, gid));
      continue;
    }
    // Kept across attempts: its contents were written by the task's uid
    // already; descending into them could be led elsewhere by a link.
    int rc = ::fchown(fd, uid, gid);
    int err = errno;
    ::close(fd);
    if (rc != 0) {
      return Internal("cannot give " + dir + " to uid " + std::to_string(uid) + ": " + std::strerror(err));
    }
  }
  return Status::Ok();
}

std::string EnterSandboxInChild(const SandboxPlan& plan) {
  if (!plan.root_tmpfs.empty()) {
    if (::unshare(CLONE_NEWNS) != 0) return std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno);
    if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      return std::string("making / private: ") + std::strerror(errno);
    }
    // Opened in the new namespace (a bind's source must be a mount of the
    // caller's namespace) and before the tmpfs hides them.
    std::vector<int> fds;
    for (const std::string& dir : plan.root_binds) {
      int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) return "opening " + dir + ": " + std::strerror(errno);
      fds.push_back(fd);
    }
    for (const std::string& dir : plan.root_tmpfs) {
      if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) {
        return "hiding " + dir + ": " + std::strerror(errno);
      }
    }
    for (size_t i = 0; i < plan.root_binds.size(); ++i) {
      std::error_code ec;
      fs::create_directories(plan.root_binds[i], ec);
      std::string source = "/proc/self/fd/" + std::to_string(fds[i]);
      if (ec || ::mount(source.c_str(), plan.root_binds[i].c_str(), nullptr, MS_BIND, nullptr) != 0) {
        return "binding " + plan.root_binds[i] + " back: " + (ec ? ec.message() : std::strerror(errno));
      }
      ::close(fds[i]);
    }
  }
  if (plan.drop_user) {
    if (::setgroups(0, nullptr) != 0) return std::string("setgroups: ") + std::strerror(errno);
    if (::setgid(plan.gid) != 0) return "setgid(" + std::to_string(plan.gid) + "): " + std::strerror(errno);
    if (::setuid(plan.uid) != 0) return "setuid(" + std::to_string(plan.uid) + "): " + std::strerror(errno);
    if (::getuid() != plan.uid || ::geteuid() != plan.uid || ::setuid(0) == 0) {
      return "the uid could not be dropped to " + std::to_string(plan.uid);
    }
  }
  return "";
}

void SignalSandbox(pid_t outer, int sig) {
  std::vector<ProcEntry> procs = ScanProc();
  char own[64];
  ssize_t len = ::readlink("/proc/self/ns/pid", own, sizeof own - 1);
  std::string own_ns = len > 0 ? std::string(own, static_cast<size_t>(len)) : "";
  const ProcEntry* init = nullptr;
  for (const ProcEntry& p : procs) {
    if (p.ppid == outer && !p.pid_ns.empty() && p.pid_ns != own_ns) init = &p;
  }
  if (init == nullptr) {
    // bwrap has not made its namespace yet: stopping it stops everything.
    ::killpg(outer, sig);
    return;
  }
  for (const ProcEntry& p : procs) {
    if (p.pid != init->pid && p.pid_ns == init->pid_ns) ::kill(p.pid, sig);
  }
}

}  // namespace skyrun
