#include "drivers/local/task_files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace skyrun {
namespace {

using nlohmann::json;

std::string ErrnoText(int err) {
  return std::strerror(err);
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Writes all of `content` to `fd`, retrying short writes and EINTR.
bool WriteAll(int fd, const std::string& content) {
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

// A temp file beside `path`, filled with `content` (and fsynced when
// durable). Returns its name.
Result<std::string> WriteTempBeside(const std::string& path, const std::string& content,
                                    Durability durability) {
  std::string tmpl = path + ".tmp.XXXXXX";
  int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return Internal("cannot create a temporary file beside " + path + ": " + ErrnoText(errno));
  bool ok = WriteAll(fd, content) && (durability == Durability::kAtomicOnly || ::fsync(fd) == 0);
  int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(tmpl.c_str());
    return Internal("cannot write " + tmpl + ": " + ErrnoText(err));
  }
  return tmpl;
}

void FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

// Parses JSON, turning the library's exceptions into a Status at this edge.
template <typename T, typename F>
Result<T> ParseJson(const std::string& text, const char* what, F&& convert) {
  try {
    json j = json::parse(text);
    if (!j.is_object()) return InvalidArgument(std::string(what) + " is not a JSON object");
    return convert(j);
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("malformed ") + what + ": " + e.what());
  }
}

json MovedJson(const DataMoved& m) {
  return {{"in_bytes", m.in_bytes},
          {"in_cached_bytes", m.in_cached_bytes},
          {"in_micros", m.in_micros},
          {"out_bytes", m.out_bytes},
          {"out_micros", m.out_micros},
          {"image_bytes", m.image_bytes},
          {"image_micros", m.image_micros},
          {"in_by_location", m.in_by_location},
          {"out_by_location", m.out_by_location}};
}

// Throws json::exception on a wrong type (ParseJson turns it into a Status).
Result<DataMoved> MovedFrom(const json& j) {
  if (!j.is_object()) return InvalidArgument("moved is not a JSON object");
  DataMoved m;
  m.in_bytes = j.value("in_bytes", int64_t{0});
  m.in_cached_bytes = j.value("in_cached_bytes", int64_t{0});
  m.in_micros = j.value("in_micros", Micros{0});
  m.out_bytes = j.value("out_bytes", int64_t{0});
  m.out_micros = j.value("out_micros", Micros{0});
  m.image_bytes = j.value("image_bytes", int64_t{0});
  m.image_micros = j.value("image_micros", Micros{0});
  m.in_by_location = j.value("in_by_location", std::map<std::string, int64_t>{});
  m.out_by_location = j.value("out_by_location", std::map<std::string, int64_t>{});
  for (int64_t v : {m.in_bytes, m.in_cached_bytes, m.in_micros, m.out_bytes, m.out_micros, m.image_bytes,
                    m.image_micros}) {
    if (v < 0) return InvalidArgument("moved has a negative figure");
  }
  return m;
}

}  // namespace

std::string TaskFileToJson(const TaskFile& t) {
  json j;
  j["version"] = 1;
  j["job_id"] = t.job_id;
  j["attempt_no"] = t.attempt_no;
  j["rank"] = t.rank;
  j["role"] = t.role;
  j["cwd"] = t.cwd;
  j["log_path"] = t.log_path;
  j["setup_argv"] = t.setup_argv;
  j["run_argv"] = t.run_argv;
  j["env"] = t.env;
  j["grace_seconds"] = t.grace_seconds;
  j["time_limit_seconds"] = t.time_limit_seconds ? json(*t.time_limit_seconds) : json(nullptr);
  j["limits"] = {{"cpus_milli", t.limits.cpus_milli},
                 {"memory_mib", t.limits.memory_mib},
                 {"cgroup_parent", t.limits.cgroup_parent}};
  if (t.sandbox.enabled) {
    j["sandbox"] = {{"bwrap", t.sandbox.bwrap},       {"uid", t.sandbox.uid},
                    {"gid", t.sandbox.gid},           {"hidden", t.sandbox.hidden},
                    {"writable", t.sandbox.writable}, {"devices", t.sandbox.devices}};
    if (!t.sandbox.rootfs.empty()) j["sandbox"]["rootfs"] = t.sandbox.rootfs;
    if (t.sandbox.image_uid >= 0) {
      j["sandbox"]["image_uid"] = t.sandbox.image_uid;
      j["sandbox"]["image_gid"] = t.sandbox.image_gid;
    }
    json binds = json::array();
    for (const SandboxBind& b : t.sandbox.binds) {
      binds.push_back({{"source", b.source}, {"target", b.target}, {"read_only", b.read_only}});
    }
    j["sandbox"]["binds"] = binds;
  }
  if (!t.outputs.empty()) {
    json outputs = json::array();
    for (const TaskOutput& o : t.outputs) outputs.push_back({{"rel", o.rel}, {"uri", o.uri}});
    j["outputs"] = outputs;
  }
  j["launched_at"] = t.launched_at;
  if (!t.moved.Empty()) j["moved"] = MovedJson(t.moved);
  return j.dump(2) + "\n";
}

std::string DataMovedToJson(const DataMoved& moved) {
  return MovedJson(moved).dump() + "\n";
}

Result<DataMoved> DataMovedFromJson(const std::string& text) {
  return ParseJson<DataMoved>(text, "outputs_moved.json", [](const json& j) { return MovedFrom(j); });
}

Result<TaskFile> TaskFileFromJson(const std::string& text) {
  return ParseJson<TaskFile>(text, "task.json", [](const json& j) -> Result<TaskFile> {
    if (j.value("version", 0) != 1) return InvalidArgument("task.json has an unsupported version");
    TaskFile t;
    t.job_id = j.at("job_id").get<std::string>();
    t.attempt_no = j.at("attempt_no").get<int>();
    t.rank = j.at("rank").get<int>();
    t.role = j.value("role", "");
    t.cwd = j.at("cwd").get<std::string>();
    t.log_path = j.at("log_path").get<std::string>();
    t.setup_argv = j.value("setup_argv", std::vector<std::string>{});
    t.run_argv = j.at("run_argv").get<std::vector<std::string>>();
    t.env = j.value("env", std::map<std::string, std::string>{});
    t.grace_seconds = j.value("grace_seconds", int64_t{10});
    if (j.contains("time_limit_seconds") && !j["time_limit_seconds"].is_null()) {
      t.time_limit_seconds = j["time_limit_seconds"].get<int64_t>();
    }
    if (j.contains("limits")) {
      const json& l = j["limits"];
      t.limits.cpus_milli = l.value("cpus_milli", int64_t{0});
      t.limits.memory_mib = l.value("memory_mib", int64_t{0});
      t.limits.cgroup_parent = l.value("cgroup_parent", "");
    }
    if (j.contains("sandbox")) {
      const json& b = j["sandbox"];
      t.sandbox.enabled = true;
      t.sandbox.bwrap = b.at("bwrap").get<std::string>();
      t.sandbox.uid = b.value("uid", -1);
      t.sandbox.gid = b.value("gid", -1);
      t.sandbox.hidden = b.value("hidden", std::vector<std::string>{});
      t.sandbox.writable = b.value("writable", std::vector<std::string>{});
      t.sandbox.devices = b.value("devices", std::vector<std::string>{});
      t.sandbox.rootfs = b.value("rootfs", "");
      if (!t.sandbox.rootfs.empty() && t.sandbox.rootfs[0] != '/') {
        return InvalidArgument("task.json: sandbox.rootfs must be an absolute path");
      }
      t.sandbox.image_uid = b.value("image_uid", int64_t{-1});
      t.sandbox.image_gid = b.value("image_gid", int64_t{-1});
      constexpr int64_t kMaxId = 4294967294;
      if ((t.sandbox.image_uid < 0) != (t.sandbox.image_gid < 0) || t.sandbox.image_uid > kMaxId ||
          t.sandbox.image_gid > kMaxId || (t.sandbox.image_uid >= 0 && t.sandbox.rootfs.empty())) {
        return InvalidArgument(
            "task.json: sandbox.image_uid/image_gid must both be set (0..4294967294, with a rootfs) or both "
            "-1");
      }
      for (const json& bind : b.value("binds", json::array())) {
        SandboxBind sb;
        sb.source = bind.at("source").get<std::string>();
        sb.target = bind.at("target").get<std::string>();
        sb.read_only = bind.value("read_only", true);
        if (sb.source.empty() || sb.source[0] != '/' || sb.target.empty() || sb.target[0] != '/') {
          return InvalidArgument("task.json: sandbox.binds need absolute source and target paths");
        }
        t.sandbox.binds.push_back(std::move(sb));
      }
      if ((t.sandbox.uid < 0) != (t.sandbox.gid < 0) || t.sandbox.uid == 0) {
        return InvalidArgument("task.json: sandbox.uid/gid must both be set (and not 0) or both be -1");
      }
    }
    for (const json& o : j.value("outputs", json::array())) {
      t.outputs.push_back({o.at("rel").get<std::string>(), o.at("uri").get<std::string>()});
    }
    t.launched_at = j.value("launched_at", Micros{0});
    if (j.contains("moved")) {
      SKYRUN_ASSIGN_OR_RETURN(t.moved, MovedFrom(j["moved"]));
    }
    if (t.run_argv.empty()) return InvalidArgument("task.json has an empty run_argv");
    if (t.grace_seconds < 0) return InvalidArgument("task.json has a negative grace_seconds");
    return t;
  });
}

std::string StartedRecordToJson(const StartedRecord& s) {
  json j{{"pid", s.pid}, {"pgid", s.pgid}, {"time", s.time}, {"phase", s.phase}};
  return j.dump() + "\n";
}

Result<StartedRecord> StartedRecordFromJson(const std::string& text) {
  return ParseJson<StartedRecord>(text, "started", [](const json& j) -> Result<StartedRecord> {
    StartedRecord s;
    s.pid = j.at("pid").get<int>();
    s.pgid = j.at("pgid").get<int>();
    s.time = j.at("time").get<Micros>();
    s.phase = j.value("phase", "run");
    return s;
  });
}

std::string ExitRecordToJson(const ExitRecord& e) {
  json j;
  j["exit_code"] = e.exit_code ? json(*e.exit_code) : json(nullptr);
  j["signal"] = e.signal;
  j["cancelled"] = e.cancelled;
  j["timed_out"] = e.timed_out;
  j["reason"] = e.reason;
  j["started_at"] = e.started_at;
  j["ended_at"] = e.ended_at;
  return j.dump(2) + "\n";
}

Result<ExitRecord> ExitRecordFromJson(const std::string& text) {
  return ParseJson<ExitRecord>(text, "exit.json", [](const json& j) -> Result<ExitRecord> {
    ExitRecord e;
    if (j.contains("exit_code") && !j["exit_code"].is_null()) e.exit_code = j["exit_code"].get<int>();
    e.signal = j.value("signal", 0);
    e.cancelled = j.value("cancelled", false);
    e.timed_out = j.value("timed_out", false);
    e.reason = j.value("reason", "");
    e.started_at = j.value("started_at", Micros{0});
    e.ended_at = j.value("ended_at", Micros{0});
    return e;
  });
}

Result<std::string> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound(path + " does not exist");
    return Internal("cannot open " + path + ": " + ErrnoText(errno));
  }
  std::string out;
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Internal("cannot read " + path + ": " + ErrnoText(err));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status WriteFileAtomic(const std::string& path, const std::string& content, Durability durability) {
  SKYRUN_ASSIGN_OR_RETURN(std::string tmp, WriteTempBeside(path, content, durability));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Internal("cannot rename " + tmp + " to " + path + ": " + ErrnoText(err));
  }
  if (durability == Durability::kDurable) FsyncDir(DirName(path));
  return Status::Ok();
}

Status CreateExclusive(const std::string& path, const std::string& content, Durability durability) {
  SKYRUN_ASSIGN_OR_RETURN(std::string tmp, WriteTempBeside(path, content, durability));
  int rc = ::link(tmp.c_str(), path.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (err == EEXIST) return AlreadyExists(path + " already exists");
    return Internal("cannot create " + path + ": " + ErrnoText(err));
  }
  if (durability == Durability::kDurable) FsyncDir(DirName(path));
  return Status::Ok();
}

Result<bool> IsLockHeld(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return false;
    return Internal("cannot open " + path + ": " + ErrnoText(errno));
  }
  int rc;
  do {
    rc = ::flock(fd, LOCK_SH | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  int err = errno;
  ::close(fd);  // releases the probe's lock, if it got one
  if (rc == 0) return false;
  if (err == EWOULDBLOCK) return true;
  return Internal("cannot probe the lock " + path + ": " + ErrnoText(err));
}

std::string SignalName(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  if (abbrev == nullptr) return "signal " + std::to_string(sig);
  return std::string("SIG") + abbrev;
}

}  // namespace skyrun
