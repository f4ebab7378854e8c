#include "drivers/local/host_probe.h"

#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "common/strings.h"
#include "drivers/local/task_files.h"

extern char** environ;

namespace skyrun {
namespace {

constexpr long kCgroup2SuperMagic = 0x63677270;  // linux/magic.h CGROUP2_SUPER_MAGIC
constexpr long kCgroupSuperMagic = 0x27e0eb;     // linux/magic.h CGROUP_SUPER_MAGIC
constexpr const char* kNotEnforced = "CPU and memory limits are not enforced";

bool FsTypeIs(const std::string& path, long magic) {
  struct statfs st;
  if (::statfs(path.c_str(), &st) != 0) return false;
  return static_cast<long>(st.f_type) == magic;
}

// Writes `value` to a cgroup control file; "" on success, else the error text.
std::string WriteControl(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return path + ": " + std::strerror(errno);
  ssize_t n = ::write(fd, value.data(), value.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size())) return path + ": " + std::strerror(err);
  return "";
}

}  // namespace

int64_t ProbeCpusMilli() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int count = 0;
  if (::sched_getaffinity(0, sizeof set, &set) == 0) count = CPU_COUNT(&set);
  if (count <= 0) count = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  if (count <= 0) count = 1;
  return int64_t{count} * 1000;
}

Result<int64_t> ParseMemInfoTotalMiB(const std::string& meminfo) {
  std::istringstream in(meminfo);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemTotal:", 0) != 0) continue;
    std::vector<std::string> words;
    for (const std::string& w : Split(Trim(line.substr(9)), ' ')) {
      if (!w.empty()) words.push_back(w);
    }
    if (words.empty()) break;
    std::optional<int64_t> value = ParseInt64(words[0]);
    if (!value || *value <= 0) break;
    std::string unit = words.size() > 1 ? words[1] : "kB";
    if (unit == "kB") return *value / 1024;
    if (unit == "MB") return *value;
    break;
  }
  return InvalidArgument("no usable MemTotal line in /proc/meminfo");
}

Result<int64_t> ProbeMemoryMiB() {
  SKYRUN_ASSIGN_OR_RETURN(std::string text, ReadWholeFile("/proc/meminfo"));
  return ParseMemInfoTotalMiB(text);
}

std::string NormalizeGpuModel(const std::string& device_name, int64_t memory_mb) {
  std::string name = Trim(device_name);
  for (const char* prefix : {"NVIDIA ", "Tesla ", "GeForce ", "Quadro "}) {
    if (name.rfind(prefix, 0) == 0) name = name.substr(std::strlen(prefix));
  }
  std::vector<std::string> tokens;
  std::string current;
  for (char c : name) {
    if (c == ' ' || c == '-') {
      if (!current.empty()) tokens.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) tokens.push_back(current);
  if (tokens.empty()) return device_name;
  std::string model = tokens[0];
  if ((model == "RTX" || model == "GTX") && tokens.size() > 1) model += tokens[1];
  // The catalog tells the large-memory variants apart by name.
  if (model == "A100" && memory_mb > 60000) model = "A100-80GB";
  if (model == "V100" && memory_mb > 20000) model = "V100-32GB";
  return model;
}

Result<std::vector<GpuDevice>> ParseNvidiaSmiGpus(const std::string& csv) {
  std::vector<GpuDevice> gpus;
  int line_no = 0;
  for (const std::string& raw : Split(csv, '\n')) {
    ++line_no;
    std::string line = Trim(raw);
    if (line.empty()) continue;
    std::vector<std::string> fields = Split(line, ',');
    if (fields.size() != 3) {
      return InvalidArgument("nvidia-smi output line " + std::to_string(line_no) +
                             " has not the 3 fields index, name, memory.total: " + line);
    }
    std::optional<int64_t> index = ParseInt64(Trim(fields[0]));
    std::optional<int64_t> memory = ParseInt64(Trim(fields[2]));
    if (!index || *index < 0 || !memory || *memory < 0) {
      return InvalidArgument("nvidia-smi output line " + std::to_string(line_no) +
                             " has a bad index or memory: " + line);
    }
    GpuDevice gpu;
    gpu.index = static_cast<int>(*index);
    gpu.memory_mb = MemoryMiB(*memory);
    gpu.model = NormalizeGpuModel(Trim(fields[1]), gpu.memory_mb.raw());
    gpus.push_back(gpu);
  }
  std::sort(gpus.begin(), gpus.end(),
            [](const GpuDevice& a, const GpuDevice& b) { return a.index < b.index; });
  return gpus;
}

std::string FindOnPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  for (const std::string& dir : Split(dirs, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

Result<std::string> RunAndCapture(const std::vector<std::string>& argv) {
  if (argv.empty()) return InvalidArgument("RunAndCapture needs a command");
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return Internal(std::string("cannot create a pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    return Internal("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(pipe_fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Internal(argv[0] + " failed (" +
                    (WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                       : "killed by " + SignalName(WTERMSIG(status))) +
                    ")");
  }
  return out;
}

Result<std::vector<GpuDevice>> ProbeNvidiaGpus() {
  std::string smi = FindOnPath("nvidia-smi");
  if (smi.empty()) return std::vector<GpuDevice>{};
  Result<std::string> out =
      RunAndCapture({smi, "--query-gpu=index,name,memory.total", "--format=csv,noheader,nounits"});
  if (!out.ok()) {
    return Unavailable("nvidia-smi is installed but could not list the GPUs (" + out.status().message() +
                       "); fix the driver or declare the GPUs in local.nodes of the server config");
  }
  return ParseNvidiaSmiGpus(*out);
}

CgroupFacts ProbeCgroupFacts(const std::string& root) {
  CgroupFacts facts;
  facts.root = root;
  facts.root_is_v2 = FsTypeIs(root, kCgroup2SuperMagic);
  if (!facts.root_is_v2) {
    for (const char* sub : {"cpu", "memory", "cpuacct", "systemd"}) {
      if (FsTypeIs(root + "/" + sub, kCgroupSuperMagic)) facts.root_is_v1 = true;
    }
    return facts;
  }
  Result<std::string> controllers = ReadWholeFile(root + "/cgroup.controllers");
  if (controllers.ok()) {
    for (const std::string& c : Split(Trim(*controllers), ' ')) {
      if (!c.empty()) facts.controllers.push_back(c);
    }
  }
  auto has = [&](const char* c) {
    return std::find(facts.controllers.begin(), facts.controllers.end(), c) != facts.controllers.end();
  };
  if (!has("cpu") || !has("memory")) return facts;
  // Children of root/skyrun get cpu.max and memory.max: both controllers must
  // be enabled in root and in root/skyrun (which holds no process itself).
  std::string err = WriteControl(root + "/cgroup.subtree_control", "+cpu +memory");
  std::string sub = root + "/skyrun";
  if (err.empty() && ::mkdir(sub.c_str(), 0755) != 0 && errno != EEXIST) {
    err = sub + ": " + std::strerror(errno);
  }
  if (err.empty()) err = WriteControl(sub + "/cgroup.subtree_control", "+cpu +memory");
  facts.subtree_created = err.empty();
  facts.subtree_error = err;
  return facts;
}

CgroupSupport DescribeCgroupSupport(const CgroupFacts& facts) {
  CgroupSupport support;
  if (!facts.root_is_v2) {
    support.note = "cgroup v2 not available (" + facts.root +
                   (facts.root_is_v1 ? " is cgroup v1" : " is not a cgroup v2 mount") + "): " + kNotEnforced;
    return support;
  }
  auto has = [&](const char* c) {
    return std::find(facts.controllers.begin(), facts.controllers.end(), c) != facts.controllers.end();
  };
  if (!has("cpu") || !has("memory")) {
    support.note = "cgroup v2 at " + facts.root + " lacks the cpu or memory controller (it has: " +
                   (facts.controllers.empty() ? std::string("none") : Join(facts.controllers, " ")) +
                   "): " + kNotEnforced;
    return support;
  }
  if (!facts.subtree_created) {
    support.note = "cannot create task cgroups under " + facts.root + " (" + facts.subtree_error +
                   "): " + kNotEnforced + "; run the server as root or delegate a cgroup v2 subtree to it";
    return support;
  }
  support.enforced = true;
  support.cgroup_parent = facts.root + "/skyrun";
  support.note = "CPU and memory limits enforced with cgroup v2 under " + support.cgroup_parent;
  return support;
}

}  // namespace skyrun
