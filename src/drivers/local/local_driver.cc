#include "drivers/local/local_driver.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

#include "common/net.h"
#include "common/strings.h"
#include "drivers/local/container.h"
#include "drivers/local/host_probe.h"
#include "drivers/local/staging.h"
#include "drivers/local/task_files.h"
#include "image/image_manager.h"
#include "image/image_user.h"
#include "storage/object_staging.h"

namespace skyrun {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNoRuntime =
    "no container runtime is configured for the local pool; set local.runtime in the server config or drop "
    "`image`";

constexpr int64_t kMaxUid = 4294967294;  // (uid_t)-1 means "no change" to the kernel

Status ValidateUid(int64_t uid, const std::string& where) {
  if (uid < 1 || uid > kMaxUid) {
    return InvalidArgument(where + ": " + std::to_string(uid) + " is not a task uid (expected 1.." +
                           std::to_string(kMaxUid) + "; tasks never run as root)");
  }
  return Status::Ok();
}

Status ValidateSandbox(const LocalSandboxConfig& sandbox) {
  SKYRUN_RETURN_IF_ERROR(ValidateUid(sandbox.default_uid, "local.sandbox.default_uid"));
  for (const auto& [tenant, uid] : sandbox.tenant_uids) {
    SKYRUN_RETURN_IF_ERROR(ValidateUid(uid, "local.sandbox.tenant_uids." + tenant));
  }
  if (sandbox.task_uid_range) {
    auto [first, last] = *sandbox.task_uid_range;
    SKYRUN_RETURN_IF_ERROR(ValidateUid(first, "local.sandbox.task_uid_range[0]"));
    SKYRUN_RETURN_IF_ERROR(ValidateUid(last, "local.sandbox.task_uid_range[1]"));
    if (first > last) {
      return InvalidArgument("local.sandbox.task_uid_range: the first uid " + std::to_string(first) +
                             " is above the last " + std::to_string(last));
    }
  }
  if (!sandbox.enabled) return Status::Ok();
  if (sandbox.bwrap.empty() || sandbox.bwrap[0] != '/') {
    return InvalidArgument("local.sandbox.bwrap must be an absolute path, got '" + sandbox.bwrap + "'");
  }
  if (::access(sandbox.bwrap.c_str(), X_OK) != 0) {
    return FailedPrecondition(
        "local.sandbox: bubblewrap (" + sandbox.bwrap +
        ") is not installed or not executable; tasks run inside it. Install the Debian "
        "package `bubblewrap` (scripts/install-deps.sh), or set `local: {sandbox: "
        "{enabled: false}}` to run tasks unconfined (unsafe: every job can then read the "
        "server's state, admin.token included)");
  }
  return Status::Ok();
}

// The GPU device nodes a task with GPUs needs in its minimal /dev: the
// control devices and its own GPUs (those that exist on this machine).
std::vector<std::string> GpuDevices(const std::vector<int>& gpu_indices) {
  std::vector<std::string> wanted = {"/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools",
                                     "/dev/nvidia-modeset", "/dev/nvidia-caps"};
  for (int g : gpu_indices) wanted.push_back("/dev/nvidia" + std::to_string(g));
  std::vector<std::string> out;
  for (const std::string& dev : wanted) {
    if (::access(dev.c_str(), F_OK) == 0) out.push_back(dev);
  }
  return out;
}

Status ValidateConfig(const LocalPoolConfig& config) {
  SKYRUN_RETURN_IF_ERROR(ValidateSandbox(config.sandbox));
  if (!config.runtime.empty()) {
    const auto& known = KnownContainerRuntimes();
    if (std::find(known.begin(), known.end(), config.runtime) == known.end()) {
      std::string msg = "local.runtime: unknown container runtime '" + config.runtime + "'";
      if (auto near = NearestName(config.runtime, known)) msg += "; did you mean '" + *near + "'?";
      return InvalidArgument(msg + " (expected one of " + Join(known, ", ") + ")");
    }
  }
  if (config.price_per_gpu_hour < 0 || config.price_per_cpu_hour < 0) {
    return InvalidArgument("local.price_per_gpu_hour and local.price_per_cpu_hour must not be negative");
  }
  if (config.unclaimed_grace_seconds <= 0) {
    return InvalidArgument("local.unclaimed_grace_seconds must be positive");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < config.nodes.size(); ++i) {
    const LocalNodeConfig& n = config.nodes[i];
    std::string where = "local.nodes[" + std::to_string(i) + "]";
    if (n.name.empty()) return InvalidArgument(where + ": a node needs a name");
    if (!names.insert(n.name).second)
      return InvalidArgument(where + ": node name '" + n.name + "' is used twice");
    if (n.cpus_milli <= 0) return InvalidArgument(where + " (" + n.name + "): cpus must be positive");
    if (n.memory_mib <= 0) return InvalidArgument(where + " (" + n.name + "): memory must be positive");
    for (const LocalGpuConfig& g : n.gpus) {
      if (g.count < 0 || g.memory_mb < 0) {
        return InvalidArgument(where + " (" + n.name + "): GPU count and memory must not be negative");
      }
      if (g.count > 0 && g.model.empty()) {
        return InvalidArgument(where + " (" + n.name + "): declared GPUs need a model, e.g. A100-80GB");
      }
    }
  }
  return Status::Ok();
}

Result<std::string> ResolveSupervisor(const std::string& configured) {
  std::string bin = configured;
  if (bin.empty()) {
    std::error_code ec;
    bin = fs::read_symlink("/proc/self/exe", ec).string();
    if (ec) return Internal("cannot find this program through /proc/self/exe: " + ec.message());
  }
  if (bin.empty() || bin[0] != '/') {
    return InvalidArgument("local.supervisor_binary must be an absolute path, got '" + bin + "'");
  }
  if (::access(bin.c_str(), X_OK) != 0) {
    return FailedPrecondition("the supervisor binary " + bin +
                              " is not executable; set local.supervisor_binary to the skyrun binary");
  }
  return bin;
}

Result<std::vector<Node>> BuildNodes(const LocalPoolConfig& config, const CgroupSupport& cgroups) {
  std::vector<Node> nodes;
  if (config.nodes.empty()) {
    Node node;
    node.name = "local";
    node.cpus_milli = MilliCpu(ProbeCpusMilli());
    SKYRUN_ASSIGN_OR_RETURN(int64_t memory_mib, ProbeMemoryMiB());
    node.memory_mib = MemoryMiB(memory_mib);
    SKYRUN_ASSIGN_OR_RETURN(node.gpus, ProbeNvidiaGpus());
    nodes.push_back(std::move(node));
  } else {
    for (const LocalNodeConfig& n : config.nodes) {
      Node node;
      node.name = n.name;
      node.cpus_milli = MilliCpu(n.cpus_milli);
      node.memory_mib = MemoryMiB(n.memory_mib);
      node.attributes = n.attributes;
      node.address = n.address;
      for (const LocalGpuConfig& g : n.gpus) {
        for (int i = 0; i < g.count; ++i) {
          node.gpus.push_back(GpuDevice{static_cast<int>(node.gpus.size()), g.model, MemoryMiB(g.memory_mb)});
        }
      }
      nodes.push_back(std::move(node));
    }
  }
  for (Node& node : nodes) {
    node.backend = "local";
    node.state = NodeState::kUp;
    node.attributes.emplace("Provider", "local");
    node.price_per_gpu_hour = config.price_per_gpu_hour;
    node.price_per_cpu_hour = config.price_per_cpu_hour;
    node.limits_enforced = cgroups.enforced;
    node.limits_note = cgroups.note;
  }
  return nodes;
}

// "…/rank-3" -> 3; 0 when the name does not say.
int RankFromHandle(const std::string& handle) {
  std::string name = fs::path(handle).filename().string();
  if (name.rfind("rank-", 0) != 0) return 0;
  std::optional<int64_t> rank = ParseInt64(name.substr(5));
  return rank && *rank >= 0 && *rank <= INT_MAX ? static_cast<int>(*rank) : 0;
}

// After a supervisor died (SIGKILL, OOM killer), its task's main process died
// with it (PDEATHSIG) but processes it started in the background may live on.
// Kills what is left of the group, but only processes whose cwd is inside the
// task's directory, so that a reused group id can never hit a stranger.
// Returns how many processes were signalled.
int KillOrphansOfGroup(pid_t pgid, const std::string& task_dir) {
  if (pgid <= 1) return 0;
  int killed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    std::optional<int64_t> pid = ParseInt64(entry.path().filename().string());
    if (!pid || *pid <= 1) continue;
    Result<std::string> stat = ReadWholeFile(entry.path().string() + "/stat");
    if (!stat.ok()) continue;
    size_t close = stat->rfind(')');
    if (close == std::string::npos) continue;
    std::vector<std::string> fields = Split(Trim(stat->substr(close + 1)), ' ');
    if (fields.size() < 3 || ParseInt64(fields[2]) != int64_t{pgid}) continue;
    std::error_code cwd_ec;
    std::string cwd = fs::read_symlink(entry.path() / "cwd", cwd_ec).string();
    if (cwd_ec || (cwd != task_dir && cwd.rfind(task_dir + "/", 0) != 0)) continue;
    if (::kill(static_cast<pid_t>(*pid), SIGKILL) == 0) ++killed;
  }
  return killed;
}

bool IsNeverRanClaim(const std::string& claim) {
  return claim == kClaimVoided || claim == kClaimCancelled;
}

TaskStatus FromExit(int rank, const ExitRecord& exit) {
  TaskStatus st;
  st.rank = rank;
  st.exit_code = exit.exit_code;
  st.started_at = exit.started_at;
  st.ended_at = exit.ended_at;
  st.reason = exit.reason;
  if (exit.cancelled) {
    st.state = RunState::kKilled;
  } else if (exit.exit_code && *exit.exit_code == 0 && !exit.timed_out) {
    st.state = RunState::kSucceeded;
  } else {
    st.state = RunState::kFailed;
  }
  return st;
}

// exit.json if it is there (a malformed one reads as a failure, with why).
std::optional<TaskStatus> ReadExit(const TaskPaths& paths, int rank) {
  Result<std::string> text = ReadWholeFile(paths.ExitJson());
  if (!text.ok()) return std::nullopt;
  Result<ExitRecord> exit = ExitRecordFromJson(*text);
  if (!exit.ok()) {
    TaskStatus st;
    st.rank = rank;
    st.state = RunState::kFailed;
    st.reason = "unreadable exit status: " + exit.status().message();
    return st;
  }
  return FromExit(rank, *exit);
}

}  // namespace

Result<int64_t> TaskUidFor(const LocalSandboxConfig& config, TenantId tenant_id,
                           const std::string& tenant_name) {
  if (auto it = config.tenant_uids.find(tenant_name); it != config.tenant_uids.end()) return it->second;
  if (config.task_uid_range) {
    auto [first, last] = *config.task_uid_range;
    if (tenant_id.value() < 0 || tenant_id.value() > last - first) {
      return FailedPrecondition("tenant '" + tenant_name + "' (id " + tenant_id.ToString() +
                                ") has no task uid: local.sandbox.task_uid_range [" + std::to_string(first) +
                                ", " + std::to_string(last) + "] holds tenant ids up to " +
                                std::to_string(last - first) +
                                "; widen the range or list the tenant under local.sandbox.tenant_uids");
    }
    return first + tenant_id.value();
  }
  return config.default_uid;
}

LocalDriver::LocalDriver(LocalPoolConfig config, Clock& clock, std::unique_ptr<ProcessLauncher> launcher,
                         std::vector<Node> nodes, std::string cgroup_parent)
    : config_(std::move(config)),
      clock_(clock),
      launcher_(std::move(launcher)),
      nodes_(std::move(nodes)),
      cgroup_parent_(std::move(cgroup_parent)) {}

Result<std::unique_ptr<LocalDriver>> LocalDriver::Create(LocalPoolConfig config, Clock& clock,
                                                         std::unique_ptr<ProcessLauncher> launcher) {
  SKYRUN_RETURN_IF_ERROR(ValidateConfig(config));
  SKYRUN_ASSIGN_OR_RETURN(config.supervisor_binary, ResolveSupervisor(config.supervisor_binary));
  CgroupSupport cgroups = DescribeCgroupSupport(ProbeCgroupFacts(config.cgroup_root));
  Result<std::vector<Node>> nodes = BuildNodes(config, cgroups);
  if (!nodes.ok()) return nodes.status().WithContext("local pool");
  if (!launcher) launcher = std::make_unique<DetachedLauncher>();
  return std::unique_ptr<LocalDriver>(new LocalDriver(std::move(config), clock, std::move(launcher),
                                                      std::move(*nodes), cgroups.cgroup_parent));
}

Result<std::vector<Node>> LocalDriver::Inventory() {
  return nodes_;
}

Status LocalDriver::CanRun(const JobSpec& spec) {
  if (!config_.runtime.empty()) return Status::Ok();
  std::vector<std::pair<std::string, std::string>> images;  // where, ref
  if (!spec.image.empty()) images.push_back({"image", spec.image});
  for (const Role& role : spec.roles) {
    if (!role.image.empty()) images.push_back({"roles." + role.name + ".image", role.image});
  }
  for (const auto& [where, ref] : images) {
    if (config_.images == nullptr) {
      return FailedPrecondition(where == "image" ? std::string(kNoRuntime)
                                                 : std::string(kNoRuntime) + " (" + where + ")");
    }
    if (!config_.sandbox.enabled) {
      return FailedPrecondition(where + ": skyrun runs images inside the task sandbox, which is off here " +
                                "(local.sandbox.enabled: false); turn it on or set local.runtime");
    }
    Result<image::ImageRef> parsed = image::ParseImageRef(ref);
    if (!parsed.ok()) return parsed.status().WithContext(where);
  }
  return Status::Ok();
}

bool LocalDriver::RootfsInUse(const std::string& rootfs) const {
  if (config_.state_dir.empty()) return false;
  std::error_code ec;
  for (const auto& job : fs::directory_iterator(config_.state_dir + "/jobs", ec)) {
    std::error_code ec2;
    for (const auto& attempt : fs::directory_iterator(job.path(), ec2)) {
      std::error_code ec3;
      for (const auto& rank : fs::directory_iterator(attempt.path(), ec3)) {
        TaskPaths paths(rank.path().string());
        if (::access(paths.ExitJson().c_str(), F_OK) == 0) continue;
        Result<std::string> text = ReadWholeFile(paths.TaskJson());
        if (!text.ok()) continue;
        Result<TaskFile> task = TaskFileFromJson(*text);
        if (!task.ok() || task->sandbox.rootfs != rootfs) continue;
        Result<std::string> claim = ReadWholeFile(paths.Claim());
        if (claim.ok() && IsNeverRanClaim(Trim(*claim))) continue;
        return true;
      }
    }
  }
  return false;
}

Result<std::string> LocalDriver::WriteTask(const AttemptLaunch& launch, const TaskLaunch& task,
                                           const std::string& attempt_dir, const std::string& job_dir,
                                           const std::string& master_port, const image::ImageRecord* image,
                                           const DataMoved& pulled) {
  if (Trim(task.run).empty() && image == nullptr) {
    return InvalidArgument("task rank " + std::to_string(task.rank) + " has nothing to run (empty `run`)");
  }
  std::string dir = attempt_dir + "/rank-" + std::to_string(task.rank);
  if (!task.task_dir.empty()) {
    std::error_code ec;
    dir = fs::absolute(task.task_dir, ec).lexically_normal().string();
    if (!ec) fs::create_directories(fs::path(dir).parent_path(), ec);
    if (ec) return Internal("cannot create the parent of the task directory " + dir + ": " + ec.message());
  }
  TaskPaths paths(dir);
  if (::mkdir(paths.dir().c_str(), 0755) != 0) {
    if (errno == EEXIST) {
      return AlreadyExists("task directory " + paths.dir() + " already exists: attempt " +
                           std::to_string(launch.attempt_no) + " was launched before; launch a new attempt");
    }
    return Internal("cannot create " + paths.dir() + ": " + std::strerror(errno));
  }
  SKYRUN_ASSIGN_OR_RETURN(StagedFiles staged, StageTaskFiles(*launch.spec, paths.WorkDir()));

  TaskFile file;
  file.job_id = launch.job_id.ToString();
  file.attempt_no = launch.attempt_no;
  file.rank = task.rank;
  file.role = task.role;
  file.cwd = staged.cwd;
  file.log_path = paths.OutputLog();
  file.env = task.env;
  if (image != nullptr) {
    // The image's Env under the spec's: the spec wins.
    for (const std::string& kv : image->config.env) {
      size_t eq = kv.find('=');
      file.env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
    }
    file.env.emplace("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  }
  std::vector<std::string> gpus;
  for (int g : task.placement.gpu_indices) gpus.push_back(std::to_string(g));
  // A task sees only its GPUs: none at all when it was given none.
  file.env.emplace("CUDA_VISIBLE_DEVICES", Join(gpus, ","));
  file.env.emplace("SKYRUN_MOUNT_ROOT", staged.cwd);
  if (!master_port.empty()) file.env.emplace("MASTER_PORT", master_port);
  if (!launch.checkpoint_dir.empty()) file.env.emplace("SKYRUN_CHECKPOINT_DIR", launch.checkpoint_dir);
  file.grace_seconds = std::max<int64_t>(0, launch.kill_grace_seconds);
  file.time_limit_seconds = launch.time_limit_seconds;
  file.limits.cpus_milli = task.placement.cpus_milli.raw();
  file.limits.memory_mib = task.placement.memory_mib.raw();
  file.limits.cgroup_parent = cgroup_parent_;
  file.launched_at = clock_.Now();
  file.moved.image_bytes = pulled.image_bytes;
  file.moved.image_micros = pulled.image_micros;
  if (config_.sandbox.enabled) {
    TaskSandbox& sb = file.sandbox;
    sb.enabled = true;
    sb.bwrap = config_.sandbox.bwrap;
    if (::geteuid() == 0) {
      SKYRUN_ASSIGN_OR_RETURN(int64_t uid, TaskUidFor(config_.sandbox, launch.tenant_id, launch.tenant));
      sb.uid = sb.gid = static_cast<int>(uid);
    }
    // The whole state (other jobs, their logs, the database, admin.token)
    // and this task's own files (task.json, claim, log) are hidden.
    if (!config_.state_dir.empty()) sb.hidden.push_back(config_.state_dir);
    std::error_code ec;
    sb.hidden.push_back(fs::absolute(job_dir, ec).lexically_normal().string());
    sb.hidden.push_back(fs::path(paths.dir()).parent_path().string());
    sb.writable.push_back(paths.WorkDir());
    if (!launch.checkpoint_dir.empty()) {
      sb.writable.push_back(fs::absolute(launch.checkpoint_dir, ec).lexically_normal().string());
    }
    if (!task.placement.gpu_indices.empty()) sb.devices = GpuDevices(task.placement.gpu_indices);
    if (image != nullptr) {
      sb.rootfs = image->rootfs;
      // The image's User: the ids the task sees of itself (a user namespace),
      // never the host's: on the host it is still the dropped task uid.
      SKYRUN_ASSIGN_OR_RETURN(std::optional<image::ImageUser> user,
                              image::ResolveImageUser(image->rootfs, image->config.user));
      if (user) {
        sb.image_uid = user->uid;
        sb.image_gid = user->gid;
      }
    }
  } else if (image != nullptr) {
    return FailedPrecondition(
        "images run inside the task sandbox, which is off (local.sandbox.enabled: false)");
  }
  if (image != nullptr) {
    // The image's own shell (bash where it has one, as on the host), its
    // Entrypoint and Cmd when the spec has no `run`, in its WorkingDir.
    // Its User is what the task sees of itself (above); on the host it runs
    // as its tenant's uid (sandbox.h).
    const std::string shell = ::access((image->rootfs + "/bin/bash").c_str(), F_OK) == 0 ||
                                      ::access((image->rootfs + "/usr/bin/bash").c_str(), F_OK) == 0
                                  ? "/bin/bash"
                                  : "/bin/sh";
    if (!Trim(task.setup).empty()) file.setup_argv = {shell, "-c", task.setup};
    if (!Trim(task.run).empty()) {
      file.run_argv = {shell, "-c", task.run};
    } else {
      file.run_argv = image->config.entrypoint;
      file.run_argv.insert(file.run_argv.end(), image->config.cmd.begin(), image->config.cmd.end());
      if (file.run_argv.empty()) {
        return InvalidArgument("image " + image->ref +
                               " has neither Entrypoint nor Cmd and the spec has no `run`");
      }
      if (!image->config.working_dir.empty()) file.cwd = image->config.working_dir;
    }
    SKYRUN_RETURN_IF_ERROR(WriteFileAtomic(paths.TaskJson(), TaskFileToJson(file), Durability::kAtomicOnly));
    return paths.dir();
  }
  if (!launch.spec->volumes.empty()) {
    std::string volumes_dir = VolumesDir();
    if (!config_.sandbox.enabled || volumes_dir.empty()) {
      return FailedPrecondition(
          "volumes need the local sandbox and a state directory (local.sandbox.enabled, the server's state "
          "dir); this pool has " +
          std::string(config_.sandbox.enabled ? "no state directory" : "the sandbox disabled"));
    }
    storage::VolumeStore volumes(volumes_dir, {config_.volumes_per_tenant_bytes, 0}, &clock_);
    SKYRUN_ASSIGN_OR_RETURN(file.sandbox.binds,
                            VolumeBinds(*launch.spec, staged.cwd, launch.tenant, volumes));
    // A volume already past its size (or its tenant past its quota) is not
    // written further: the launch fails with the figures.
    for (const VolumeMount& v : launch.spec->volumes) {
      if (!v.read_only) SKYRUN_RETURN_IF_ERROR(volumes.CheckQuota(launch.tenant, v.name));
    }
    // Every tenant's volumes are hidden; this task's are bound back in.
    std::error_code ec;
    file.sandbox.hidden.push_back(fs::absolute(volumes_dir, ec).lexically_normal().string());
    std::string ckpt = CheckpointInVolume(*launch.spec, staged.cwd);
    if (!ckpt.empty()) file.env["SKYRUN_CHECKPOINT_DIR"] = ckpt;
  }

  if (std::any_of(launch.spec->inputs.begin(), launch.spec->inputs.end(),
                  [](const DataRef& in) { return !in.path.empty(); })) {
    storage::TransferStats in;
    SKYRUN_RETURN_IF_ERROR(StageInputs(*launch.spec, staged.cwd, paths.OutputLog(), &in));
    file.moved.in_bytes = in.bytes;
    file.moved.in_cached_bytes = in.cached_bytes;
    file.moved.in_micros = in.micros;
    file.moved.in_by_location = in.by_location;
  }
  // Rank 0's outputs only: every rank of a gang would write the same keys.
  for (const DataRef& out : launch.spec->outputs) {
    if (out.path.empty() || task.rank != 0) continue;
    SKYRUN_ASSIGN_OR_RETURN(std::string where, MountTargetUnder(staged.cwd, out.path));
    file.outputs.push_back({where.substr(staged.cwd.size() + 1), out.uri});
  }

  ContainerContext ctx;
  ctx.runtime = config_.runtime;
  ctx.image = task.image;
  ctx.cwd = staged.cwd;
  for (const auto& [name, value] : file.env) ctx.env_names.push_back(name);
  ctx.gpu_indices = task.placement.gpu_indices;
  ctx.mounts = staged.mounts;
  ctx.cpus_milli = file.limits.cgroup_parent.empty() ? task.placement.cpus_milli.raw() : 0;
  ctx.memory_mib = file.limits.cgroup_parent.empty() ? task.placement.memory_mib.raw() : 0;
  if (!Trim(task.setup).empty()) {
    SKYRUN_ASSIGN_OR_RETURN(file.setup_argv, RenderTaskArgv(ctx, task.setup));
  }
  SKYRUN_ASSIGN_OR_RETURN(file.run_argv, RenderTaskArgv(ctx, task.run));
  // Not fsynced: after a machine crash the controller voids or re-places the
  // task anyway, and the fsync would sit on every launch's path.
  SKYRUN_RETURN_IF_ERROR(WriteFileAtomic(paths.TaskJson(), TaskFileToJson(file), Durability::kAtomicOnly));
  return paths.dir();
}

namespace {

std::string Plural(int64_t n, const std::string& what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

// A line of skyrun's own in the task's log (the supervisor appends to it).
void NoteInLog(const std::string& log_path, const std::string& line) {
  int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return;  // a note, not the task's result
  std::string text = "[skyrun] " + line + "\n";
  ssize_t n = ::write(fd, text.data(), text.size());
  (void)n;  // best effort, as above
  ::close(fd);
}

std::string Moved(const storage::TransferStats& s) {
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.2f", static_cast<double>(s.micros) / kMicrosPerSecond);
  return Plural(s.objects, "object") + ", " + std::to_string(s.bytes) + " bytes moved, " +
         std::to_string(s.cached_objects) + " from this node's cache, " + secs + " s";
}

}  // namespace

Status LocalDriver::StageInputs(const JobSpec& spec, const std::string& cwd, const std::string& log_path,
                                storage::TransferStats* total_out) {
  storage::ObjectStagingContext ctx;
  ctx.endpoints = config_.s3_endpoints;
  ctx.cache_dir = !config_.input_cache_dir.empty() ? config_.input_cache_dir
                  : config_.state_dir.empty()      ? ""
                                                   : config_.state_dir + "/cache/inputs";
  ctx.clock = &clock_;
  storage::TransferStats total;
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    const DataRef& in = spec.inputs[i];
    if (in.path.empty()) continue;  // priced by the broker, not staged
    SKYRUN_ASSIGN_OR_RETURN(std::string where, MountTargetUnder(cwd, in.path));
    Status staged = storage::StageInput(ctx, in.uri, cwd, where.substr(cwd.size() + 1), &total);
    if (!staged.ok()) {
      return Status(staged.code(), "inputs[" + std::to_string(i) + "] " + in.uri + ": " + staged.message());
    }
  }
  NoteInLog(log_path, "inputs staged: " + Moved(total));
  *total_out = total;
  return Status::Ok();
}

void LocalDriver::UploadOutputsOnce(const TaskPaths& paths, const TaskFile& task, TaskStatus* st) {
  const std::string marker = paths.dir() + "/outputs.json";
  Result<std::string> done = ReadWholeFile(marker);
  if (!done.ok()) {
    storage::ObjectStagingContext ctx;
    ctx.endpoints = config_.s3_endpoints;
    ctx.clock = &clock_;
    storage::TransferStats total;
    std::string failure;
    for (const TaskOutput& out : task.outputs) {
      Status up = storage::UploadOutput(ctx, task.cwd, out.rel, out.uri, &total);
      if (!up.ok()) {
        failure = "uploading the output " + out.rel + " to " + out.uri + " failed: " + up.message();
        break;
      }
    }
    NoteInLog(task.log_path, failure.empty() ? "outputs uploaded: " + Moved(total) : failure);
    DataMoved out;
    out.out_bytes = total.bytes;
    out.out_micros = total.micros;
    out.out_by_location = total.by_location;
    (void)WriteFileAtomic(paths.dir() + "/outputs_moved.json", DataMovedToJson(out), Durability::kDurable);
    // Kept whatever happened: the upload is tried once per attempt.
    (void)WriteFileAtomic(marker, failure.empty() ? "ok\n" : failure + "\n", Durability::kDurable);
    done = failure.empty() ? "ok\n" : failure + "\n";
  }
  // What the upload moved (also when it failed part-way: those bytes left).
  if (Result<std::string> text = ReadWholeFile(paths.dir() + "/outputs_moved.json"); text.ok()) {
    if (Result<DataMoved> out = DataMovedFromJson(*text); out.ok()) {
      st->moved.out_bytes = out->out_bytes;
      st->moved.out_micros = out->out_micros;
      st->moved.out_by_location = out->out_by_location;
    }
  }
  std::string result = Trim(*done);
  if (result != "ok") {
    st->state = RunState::kFailed;
    st->reason = result;
  }
}

std::string LocalDriver::VolumesDir() const {
  if (!config_.volumes_dir.empty()) return config_.volumes_dir;
  if (config_.state_dir.empty()) return "";
  return config_.state_dir + "/volumes";
}

Result<std::vector<std::string>> LocalDriver::Launch(const AttemptLaunch& launch) {
  if (launch.spec == nullptr) return InvalidArgument("local launch without a job spec");
  if (launch.tasks.empty())
    return InvalidArgument("local launch of job " + launch.job_id.ToString() + " has no task");
  // Images first (before any directory is made): a refusal starts nothing.
  std::map<std::string, image::ImageRecord> images;  // by reference as written
  // What each pull fetched, reported on the first task (by rank) of its image.
  std::map<std::string, DataMoved> pulls;
  if (config_.runtime.empty()) {
    for (const TaskLaunch& task : launch.tasks) {
      if (task.image.empty() || images.count(task.image)) continue;
      if (config_.images == nullptr) return FailedPrecondition(kNoRuntime);
      const Micros pull_start = clock_.MonotonicNow();
      Result<image::PullResult> pulled = config_.images->Pull(task.image, launch.tenant);
      if (!pulled.ok()) return pulled.status().WithContext("job " + launch.job_id.ToString());
      images.emplace(task.image, pulled->image);
      pulls[task.image].image_bytes = pulled->bytes_fetched;
      pulls[task.image].image_micros = clock_.MonotonicNow() - pull_start;
    }
  }
  std::string job_dir = launch.job_dir;
  if (job_dir.empty()) {
    if (config_.state_dir.empty())
      return InvalidArgument("local launch without a job directory or local.state_dir");
    job_dir = config_.state_dir + "/jobs/" + launch.job_id.ToString();
  }
  std::error_code ec;
  std::string attempt_dir =
      fs::absolute(fs::path(job_dir) / ("attempt-" + std::to_string(launch.attempt_no)), ec)
          .lexically_normal();
  if (!ec) fs::create_directories(attempt_dir, ec);
  if (ec) return Internal("cannot create the attempt directory " + attempt_dir + ": " + ec.message());
  if (!launch.checkpoint_dir.empty()) {
    fs::create_directories(launch.checkpoint_dir, ec);
    if (ec)
      return Internal("cannot create the checkpoint directory " + launch.checkpoint_dir + ": " +
                      ec.message());
  }

  // Where rank 0 listens: every task of the pool runs on this machine, so a
  // port free here, one for the whole attempt (unless the job names its own).
  std::string master_port;
  if (!launch.tasks.front().env.count("MASTER_PORT")) {
    Result<int> port = PickFreeTcpPort();
    if (!port.ok())
      return port.status().WithContext("choosing MASTER_PORT for job " + launch.job_id.ToString());
    master_port = std::to_string(*port);
  }

  // Every task dir first, then every supervisor: a gang starts close together,
  // and a staging error starts nothing.
  std::vector<std::string> handles;
  for (const TaskLaunch& task : launch.tasks) {
    auto image = images.find(task.image);
    DataMoved pulled;
    if (auto pull = pulls.find(task.image); pull != pulls.end()) {
      pulled = pull->second;
      pulls.erase(pull);
    }
    Result<std::string> handle = WriteTask(launch, task, attempt_dir, job_dir, master_port,
                                           image == images.end() ? nullptr : &image->second, pulled);
    if (!handle.ok()) {
      for (const std::string& h : handles) (void)VoidIfUnclaimed(h);
      return handle.status().WithContext("launching job " + launch.job_id.ToString() + " rank " +
                                         std::to_string(task.rank));
    }
    handles.push_back(*handle);
  }
  for (size_t i = 0; i < handles.size(); ++i) {
    TaskPaths paths(handles[i]);
    Status started =
        launcher_->StartDetached({config_.supervisor_binary, "supervise", handles[i]}, paths.SupervisorLog());
    if (!started.ok()) {
      for (size_t j = 0; j < handles.size(); ++j) {
        if (j < i) {
          (void)Cancel(handles[j]);
        } else {
          (void)VoidIfUnclaimed(handles[j]);
        }
      }
      return started.WithContext("launching job " + launch.job_id.ToString() + " rank " +
                                 std::to_string(launch.tasks[i].rank));
    }
  }
  return handles;
}

TaskStatus LocalDriver::Poll(const std::string& handle) {
  TaskPaths paths(handle);
  TaskStatus st;
  Result<std::string> task_text = ReadWholeFile(paths.TaskJson());
  Result<TaskFile> task =
      task_text.ok() ? TaskFileFromJson(*task_text) : Result<TaskFile>(task_text.status());
  if (!task.ok()) {
    st.rank = RankFromHandle(handle);
    Result<std::string> claim = ReadWholeFile(paths.Claim());
    std::string owner = claim.ok() ? Trim(*claim) : "";
    if (owner == kClaimVoided) {
      st.state = RunState::kLost;
      st.reason = "never started: voided before a supervisor claimed it";
    } else if (owner == kClaimCancelled) {
      st.state = RunState::kKilled;
      st.reason = "cancelled before it started";
    } else {
      st.state = RunState::kLost;
      st.reason = "task directory " + handle + " is unusable: " + task.status().message();
    }
    return st;
  }
  st.rank = task->rank;
  st.moved = task->moved;
  if (auto done = ReadExit(paths, st.rank)) {
    done->moved = task->moved;
    // Outputs leave only after success, never after a failure.
    if (done->state == RunState::kSucceeded && !task->outputs.empty())
      UploadOutputsOnce(paths, *task, &*done);
    return *done;
  }

  Result<bool> held = IsLockHeld(paths.Lock());
  // A failed probe is no proof of death: report the task as still going.
  if (!held.ok() || *held) {
    Result<std::string> started_text = ReadWholeFile(paths.Started());
    Result<StartedRecord> started = started_text.ok() ? StartedRecordFromJson(*started_text)
                                                      : Result<StartedRecord>(started_text.status());
    if (started.ok()) {
      st.state = RunState::kRunning;
      st.started_at = started->time;
    } else {
      st.state = RunState::kLaunching;
    }
    return st;
  }
  // The lock is free. The supervisor writes exit.json before it lets go of
  // the lock, so look again: it may have finished since the first look.
  if (auto done = ReadExit(paths, st.rank)) {
    done->moved = task->moved;
    if (done->state == RunState::kSucceeded && !task->outputs.empty())
      UploadOutputsOnce(paths, *task, &*done);
    return *done;
  }
  Result<std::string> claim = ReadWholeFile(paths.Claim());
  if (!claim.ok()) {
    Micros waited = clock_.Now() - task->launched_at;
    if (waited < config_.unclaimed_grace_seconds * kMicrosPerSecond) {
      st.state = RunState::kLaunching;
      return st;
    }
    st.state = RunState::kLost;
    st.reason = "no supervisor claimed the task within " + std::to_string(config_.unclaimed_grace_seconds) +
                " s of its launch (see " + paths.SupervisorLog() + ")";
    return st;
  }
  std::string owner = Trim(*claim);
  if (owner == kClaimVoided) {
    st.state = RunState::kLost;
    st.reason = "never started: voided before a supervisor claimed it";
  } else if (owner == kClaimCancelled) {
    st.state = RunState::kKilled;
    st.reason = "cancelled before it started";
  } else {
    st.state = RunState::kLost;
    st.reason = "supervisor died without recording an exit status";
    Result<std::string> started_text = ReadWholeFile(paths.Started());
    if (started_text.ok()) {
      Result<StartedRecord> started = StartedRecordFromJson(*started_text);
      if (started.ok()) st.started_at = started->time;
    }
  }
  return st;
}

Status LocalDriver::Cancel(const std::string& handle) {
  TaskPaths paths(handle);
  if (::access(paths.TaskJson().c_str(), F_OK) != 0) return NotFound("no local task at " + handle);
  if (::access(paths.ExitJson().c_str(), F_OK) == 0) return Status::Ok();  // already over
  Status claimed = CreateExclusive(paths.Claim(), std::string(kClaimCancelled) + "\n");
  if (claimed.ok()) return Status::Ok();  // no supervisor will ever start it
  if (claimed.code() != StatusCode::kAlreadyExists) return claimed;
  SKYRUN_ASSIGN_OR_RETURN(std::string claim, ReadWholeFile(paths.Claim()));
  std::string owner = Trim(claim);
  if (IsNeverRanClaim(owner)) return Status::Ok();
  std::optional<int64_t> pid = ParseInt64(owner);
  if (!pid || *pid <= 1 || *pid > INT_MAX)
    return Internal("the claim of " + handle + " is malformed: " + owner);
  // Signal only a live supervisor: while the lock is held, the pid in the
  // claim is that process and cannot have been reused.
  SKYRUN_ASSIGN_OR_RETURN(bool held, IsLockHeld(paths.Lock()));
  if (!held) {
    // The supervisor is gone. With no exit.json it died (LOST): stop what it
    // may have left behind, so that a re-placed task never runs beside it.
    if (::access(paths.ExitJson().c_str(), F_OK) != 0) {
      Result<std::string> started_text = ReadWholeFile(paths.Started());
      Result<StartedRecord> started = started_text.ok() ? StartedRecordFromJson(*started_text)
                                                        : Result<StartedRecord>(started_text.status());
      if (started.ok()) KillOrphansOfGroup(started->pgid, paths.dir());
    }
    return Status::Ok();
  }
  if (::kill(static_cast<pid_t>(*pid), SIGTERM) != 0 && errno != ESRCH) {
    return Internal("cannot signal the supervisor (pid " + owner + ") of " + handle + ": " +
                    std::strerror(errno));
  }
  return Status::Ok();
}

std::string LocalDriver::LogPath(const std::string& handle) {
  return TaskPaths(handle).OutputLog();
}

Status LocalDriver::VoidIfUnclaimed(const std::string& handle) {
  TaskPaths paths(handle);
  if (fs::path(handle).filename().string().rfind("rank-", 0) != 0 || !fs::path(handle).is_absolute()) {
    return InvalidArgument("'" + handle +
                           "' is not a local task handle (an absolute .../rank-<r> directory)");
  }
  // The launch may have been recorded but never carried out: the directory
  // made here makes a late Launch of the same task fail instead of running it.
  std::error_code ec;
  fs::create_directories(handle, ec);
  if (ec) return Internal("cannot create " + handle + " to void it: " + ec.message());
  Status claimed = CreateExclusive(paths.Claim(), std::string(kClaimVoided) + "\n");
  if (claimed.code() != StatusCode::kAlreadyExists) return claimed;
  SKYRUN_ASSIGN_OR_RETURN(std::string claim, ReadWholeFile(paths.Claim()));
  if (IsNeverRanClaim(Trim(claim))) return Status::Ok();
  return AlreadyExists("task " + handle + " was already claimed by its supervisor (pid " + Trim(claim) + ")");
}

}  // namespace skyrun
