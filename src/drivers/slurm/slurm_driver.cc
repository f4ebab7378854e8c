#include "drivers/slurm/slurm_driver.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/quantities.h"
#include "common/safe_fs.h"
#include "common/strings.h"
#include "drivers/slurm/sbatch_volumes.h"
#include "drivers/slurm/slurm_usage.h"
#include "drivers/slurm/squeue_json.h"
#include "drivers/staged_data.h"

namespace skyrun {
namespace {

namespace fs = std::filesystem;

// What a rank's wrapper wrote: rank.json at start, exit.json at the end.
struct RankFiles {
  std::optional<int> exit_code;
  Micros started_at = 0;
  Micros ended_at = 0;
};

std::optional<nlohmann::json> ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // being written, or damaged: as if absent
  }
}

RankFiles ReadRankFiles(const std::string& rank_dir) {
  RankFiles f;
  if (auto start = ReadJsonFile(rank_dir + "/rank.json")) {
    if (start->contains("started_at") && (*start)["started_at"].is_number_integer()) {
      f.started_at = (*start)["started_at"].get<int64_t>() * kMicrosPerSecond;
    }
  }
  if (auto end = ReadJsonFile(rank_dir + "/exit.json")) {
    if (end->contains("exit_code") && (*end)["exit_code"].is_number_integer()) {
      f.exit_code = (*end)["exit_code"].get<int>();
    }
    if (end->contains("ended_at") && (*end)["ended_at"].is_number_integer()) {
      f.ended_at = (*end)["ended_at"].get<int64_t>() * kMicrosPerSecond;
    }
  }
  return f;
}

bool ContactFailure(const std::string& err) {
  return err.find("Unable to contact slurm controller") != std::string::npos ||
         err.find("Socket timed out") != std::string::npos ||
         err.find("Connection refused") != std::string::npos ||
         err.find("Zero Bytes were transmitted") != std::string::npos;
}

std::string FirstLine(const std::string& s) {
  std::string t = Trim(s);
  auto nl = t.find('\n');
  return nl == std::string::npos ? t : t.substr(0, nl);
}

}  // namespace

std::string FormatSlurmHandle(const SlurmHandle& handle) {
  return handle.job_id + ":" + std::to_string(handle.rank) + ":" + handle.rank_dir;
}

BackendCapabilities SlurmCapabilities() {
  // Must agree with RenderSbatch: it rounds a share up to one whole GPU
  // (Slurm has no milli-GPU), requests GPUs as GRES, and writes --nodelist
  // whenever the placement names every node.
  return {.gpu_granularity_milli = kMilliPerUnit, .skyrun_binds_gpus = false, .pins_nodes = true};
}

Result<SlurmHandle> ParseSlurmHandle(const std::string& handle) {
  auto c1 = handle.find(':');
  auto c2 = c1 == std::string::npos ? std::string::npos : handle.find(':', c1 + 1);
  if (c2 == std::string::npos) {
    return InvalidArgument("'" + handle +
                           "' is not a Slurm handle (expected <slurm_job_id>:<rank>:<rank_dir>)");
  }
  SlurmHandle h;
  h.job_id = handle.substr(0, c1);
  auto rank = ParseInt64(handle.substr(c1 + 1, c2 - c1 - 1));
  h.rank_dir = handle.substr(c2 + 1);
  bool id_ok = !h.job_id.empty() && std::all_of(h.job_id.begin(), h.job_id.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '+';
  });
  if (!id_ok || !rank || *rank < 0 || h.rank_dir.empty()) {
    return InvalidArgument("'" + handle +
                           "' is not a Slurm handle (expected <slurm_job_id>:<rank>:<rank_dir>)");
  }
  h.rank = static_cast<int>(*rank);
  return h;
}

SlurmDriver::SlurmDriver(SlurmClusterConfig config, std::unique_ptr<CommandRunner> runner)
    : config_(std::move(config)), runner_(std::move(runner)) {}

Result<CommandResult> SlurmDriver::RunSlurm(const std::vector<std::string>& argv) {
  std::map<std::string, std::string> env;
  if (!config_.slurm_conf.empty()) env["SLURM_CONF"] = config_.slurm_conf;
  auto r = runner_->Run(argv, env, config_.command_timeout_ms);
  if (!r.ok()) return Unavailable(Name() + ": " + r.status().message());
  if (r->timed_out) {
    return Unavailable(Name() + ": '" + FormatCommand(argv) + "' did not answer within " +
                       std::to_string(config_.command_timeout_ms) + " ms; is slurmctld up?");
  }
  if (r->exit_code != 0 && ContactFailure(r->err)) {
    return Unavailable(Name() + ": cannot reach slurmctld ('" + FormatCommand(argv) +
                       "': " + FirstLine(r->err) + ")");
  }
  return r;
}

Result<std::vector<SlurmNodeInfo>> SlurmDriver::ReadNodes() {
  // -d adds GresUsed: which GPUs jobs hold now.
  SKYRUN_ASSIGN_OR_RETURN(CommandResult r, RunSlurm({"scontrol", "show", "node", "-d", "-o"}));
  if (r.exit_code != 0) {
    return Unavailable(Name() + ": 'scontrol show node -d -o' failed (exit " + std::to_string(r.exit_code) +
                       "): " + FirstLine(r.err));
  }
  auto parsed = ParseScontrolNodes(r.out);
  if (!parsed.ok()) return parsed.status().WithContext(Name() + " inventory");
  return parsed;
}

Result<std::vector<Node>> SlurmDriver::Inventory() {
  auto parsed = ReadNodes();
  if (!parsed.ok()) return parsed.status();
  std::vector<Node> nodes = SlurmNodesToInventory(*parsed, config_);
  // What skyrun's own jobs hold, so that only other users' share is taken
  // off (skyrun books its own jobs itself).
  SKYRUN_ASSIGN_OR_RETURN(CommandResult jobs, RunSlurm({"scontrol", "show", "job", "-d", "-o"}));
  if (jobs.exit_code != 0) {
    return Unavailable(Name() + ": 'scontrol show job -d -o' failed (exit " + std::to_string(jobs.exit_code) +
                       "): " + FirstLine(jobs.err));
  }
  auto allocations = ParseScontrolJobDetails(jobs.out);
  if (!allocations.ok()) return allocations.status().WithContext(Name() + " inventory");
  SubtractTakenByOthers(*parsed, *allocations, &nodes);
  return nodes;
}

Status SlurmDriver::CheckFits(const JobSpec& spec) {
  // Whole nodes: what others hold now is given back when their jobs end.
  auto nodes = ReadNodes();
  if (!nodes.ok()) return nodes.status();
  return CheckFitsOnNodes(spec, SlurmNodesToInventory(*nodes, config_), Name());
}

Status SlurmDriver::CanRun(const JobSpec& spec) {
  // Volumes (sbatch_volumes.h): bound from volumes_root, in the image or
  // under bubblewrap; the server has checked that the tenant has them.
  if (!spec.volumes.empty()) {
    if (config_.volumes_root.empty()) {
      return FailedPrecondition(Name() + " cannot mount volumes (volumes: " + spec.volumes.front().name +
                                "): its config names no volumes_root, the path where its nodes see the "
                                "server's volume store; run the job on the local pool, or set volumes_root");
    }
    // The paths only: the tenant is the launch's (any name gives the same checks).
    auto binds = SlurmVolumeBinds(spec, "tenant", config_.volumes_root);
    if (!binds.ok())
      return FailedPrecondition(Name() + " cannot run job '" + spec.name + "': " + binds.status().message());
    // A task outside any image: with pyxis only when no task has one (else
    // the whole step runs in it); otherwise any task without one.
    auto no_image = [](const Role& r) { return r.image.empty(); };
    const bool bare =
        spec.image.empty() &&
        (config_.container == "pyxis"
             ? std::all_of(spec.roles.begin(), spec.roles.end(), no_image)
             : spec.roles.empty() || std::any_of(spec.roles.begin(), spec.roles.end(), no_image));
    if (bare && !config_.volumes_bwrap) {
      return FailedPrecondition(Name() + " cannot run job '" + spec.name +
                                "': a task without an image gets its volumes only under bubblewrap on the "
                                "node, and this cluster does not allow that (volumes_bwrap: false); give the "
                                "job an image or run it on the local pool");
    }
  }
  SKYRUN_RETURN_IF_ERROR(RefuseStagedData(Name(), spec));
  std::set<std::string> images;
  if (!spec.image.empty()) images.insert(spec.image);
  for (const auto& r : spec.roles) {
    if (!r.image.empty()) images.insert(r.image);
  }
  if (!images.empty() && config_.container == "none") {
    return FailedPrecondition(Name() + " cannot run job '" + spec.name + "': it names the image '" +
                              *images.begin() +
                              "', and this cluster has no container support configured (container: none). "
                              "Configure pyxis or apptainer for it, or drop the image.");
  }
  if (config_.container == "pyxis" && images.size() > 1) {
    return FailedPrecondition(Name() + " cannot run job '" + spec.name +
                              "': with pyxis all tasks of a job share "
                              "one image, and this job names " +
                              std::to_string(images.size()) + " (" +
                              Join({images.begin(), images.end()}, ", ") + ").");
  }
  if (!spec.file_mounts.empty() && config_.container == "none") {
    return FailedPrecondition(
        Name() + " cannot run job '" + spec.name + "': file_mounts (" + spec.file_mounts.begin()->first +
        ") need a container runtime to mount into, "
        "and this cluster has none (container: none). Use paths on the shared filesystem.");
  }
  // A container bind list is "src:dst,...": the renderer refuses paths that
  // would split it; refuse them at submission instead (issue 10, item 6).
  if (config_.container != "none") {
    std::vector<std::pair<std::string, std::string>> paths;
    if (!spec.workdir.empty()) paths.emplace_back("workdir", spec.workdir);
    for (const auto& [dst, src] : spec.file_mounts) {
      paths.emplace_back("file_mounts source", src);
      paths.emplace_back("file_mounts target", dst);
    }
    if (!paths.empty() && !spec.base_dir.empty()) paths.emplace_back("the spec's directory", spec.base_dir);
    for (const auto& [what, path] : paths) {
      if (path.find_first_of(",:") == std::string::npos) continue;
      return FailedPrecondition(Name() + " cannot run job '" + spec.name + "': " + what + " '" + path +
                                "' holds ',' or ':', which a container bind list cannot carry; rename it");
    }
  }
  // Not CheckFits: a job too big for this cluster may fit another backend,
  // and the controller's feasibility check (HTTP 400) sees them all.
  return Status::Ok();
}

SbatchOptions SlurmDriver::RenderOptions() const {
  SbatchOptions o;
  o.backend_name = Name();
  o.partition = config_.partition;
  o.account = config_.account;
  o.qos = config_.qos;
  o.container = config_.container;
  for (const auto& [type, model] : config_.gpu_models) o.gres_types[model] = type;
  o.default_memory_mib_per_task = config_.default_memory_mib_per_task;
  o.volumes_root = config_.volumes_root;
  o.volumes_bwrap = config_.volumes_bwrap;
  return o;
}

namespace {

Status StageWorkdir(const std::string& job_dir, JobSpec* spec) {
  if (spec->workdir.empty() || spec->workdir.find("://") != std::string::npos ||
      spec->workdir.front() == '/') {
    return Status::Ok();  // absolute: a server path the nodes share, checked at submission
  }
  if (spec->base_dir.empty()) {
    return InvalidArgument("workdir '" + spec->workdir +
                           "' is relative, but the job has no upload to take it from");
  }
  const std::string dest = job_dir + "/workdir";
  std::error_code ec;
  if (!fs::exists(dest, ec)) {
    const std::string tmp = dest + ".tmp";
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp, ec);
    if (ec) return Internal("cannot create " + tmp + ": " + ec.message());
    SKYRUN_RETURN_IF_ERROR(CopyBeneath(spec->base_dir, spec->workdir, tmp, ".", "workdir"));
    fs::rename(tmp, dest, ec);
    if (ec) return Internal("cannot create " + dest + ": " + ec.message());
  }
  spec->workdir = dest;
  return Status::Ok();
}

}  // namespace

Result<std::vector<std::string>> SlurmDriver::Launch(const AttemptLaunch& launch) {
  for (size_t i = 0; i < launch.tasks.size(); ++i) {
    if (launch.tasks[i].rank != static_cast<int>(i)) {
      return InvalidArgument(Name() + ": the tasks of an attempt must be given by rank 0..n-1; task " +
                             std::to_string(i) + " has rank " + std::to_string(launch.tasks[i].rank));
    }
  }
  for (const auto& t : launch.tasks) {
    // srun writes each rank's log to <attempt>/rank-%t/output.log, so the
    // task directories must follow that layout.
    const std::string expected = SlurmRankDir(launch.job_dir, launch.attempt_no, t.rank);
    if (!t.task_dir.empty() &&
        fs::path(t.task_dir).lexically_normal() != fs::path(expected).lexically_normal()) {
      return InvalidArgument(Name() + ": rank " + std::to_string(t.rank) + " has task_dir '" + t.task_dir +
                             "', but Slurm ranks live in " + expected);
    }
  }
  // The job's workdir, from its upload: copied once per job next to its
  // attempts (the job directory is on the filesystem the cluster shares),
  // so jobs that share an upload never share a directory they write in.
  // A volume already past its size (or its tenant past its quota) is not
  // written further: the launch is refused with the figures (final, so the
  // job fails at once), before anything reaches Slurm.
  if (launch.spec != nullptr) {
    SKYRUN_RETURN_IF_ERROR(CheckSlurmVolumeQuotas(*launch.spec, launch.tenant, config_.volume_store_dir,
                                                  config_.volumes_per_tenant_bytes)
                               .WithContext(Name()));
  }
  JobSpec staged_spec;
  AttemptLaunch staged = launch;
  if (launch.spec != nullptr) {
    staged_spec = *launch.spec;
    SKYRUN_RETURN_IF_ERROR(StageWorkdir(launch.job_dir, &staged_spec).WithContext(Name()));
    staged.spec = &staged_spec;
  }
  auto script = RenderSbatch(staged, RenderOptions());
  if (!script.ok()) return script.status().WithContext(Name());

  const std::string attempt_dir = SlurmAttemptDir(launch.job_dir, launch.attempt_no);
  std::error_code ec;
  for (const auto& t : launch.tasks) {
    const std::string rank_dir = SlurmRankDir(launch.job_dir, launch.attempt_no, t.rank);
    fs::create_directories(rank_dir, ec);
    if (ec) return Internal(Name() + ": cannot create " + rank_dir + ": " + ec.message());
    // A relaunch of the same attempt must not read the previous run's files.
    for (const char* f : {"/exit.json", "/exit.json.tmp", "/rank.json", "/output.log"})
      fs::remove(rank_dir + f, ec);
  }
  for (const auto& entry : fs::directory_iterator(attempt_dir, ec)) {
    if (entry.path().filename().string().rfind("setup-", 0) == 0) fs::remove(entry.path(), ec);
  }
  if (!launch.checkpoint_dir.empty()) fs::create_directories(launch.checkpoint_dir, ec);
  const std::string script_path = attempt_dir + "/job.sbatch";
  {
    std::ofstream out(script_path, std::ios::trunc);
    out << *script;
    if (!out) return Internal(Name() + ": cannot write " + script_path);
  }

  SKYRUN_ASSIGN_OR_RETURN(CommandResult r, RunSlurm({"sbatch", "--parsable", script_path}));
  if (r.exit_code != 0) {
    std::string msg = FirstLine(r.err);
    return FailedPrecondition(Name() + " refused job " + std::to_string(launch.job_id.value()) + " attempt " +
                              std::to_string(launch.attempt_no) + ": " +
                              (msg.empty() ? "sbatch failed" : msg) + " (script: " + script_path + ")");
  }
  // "123" or "123;cluster".
  std::string id = Trim(Split(FirstLine(r.out), ';')[0]);
  if (id.empty() || !ParseInt64(id)) {
    return Internal(Name() + ": sbatch printed '" + FirstLine(r.out) + "', expected a job id");
  }
  std::vector<std::string> handles;
  for (const auto& t : launch.tasks) {
    handles.push_back(
        FormatSlurmHandle({id, t.rank, SlurmRankDir(launch.job_dir, launch.attempt_no, t.rank)}));
  }
  return handles;
}

Result<SlurmJobInfo> SlurmDriver::QueryJob(const std::string& job_id) {
  SKYRUN_ASSIGN_OR_RETURN(CommandResult sq, RunSlurm({"squeue", "-h", "-j", job_id, "-o", kSqueueFormat}));
  auto queued = ParseSqueueLine(sq.out + sq.err);
  if (queued.ok() && queued->has_value() && !IsTerminalSlurmState((*queued)->state) &&
      (*queued)->state != "COMPLETING") {
    return **queued;
  }
  // Left the queue (or finishing): the controller still has the details.
  SKYRUN_ASSIGN_OR_RETURN(CommandResult sc, RunSlurm({"scontrol", "show", "job", "-o", job_id}));
  auto shown = ParseScontrolJob(sc.out + sc.err);
  if (shown.ok()) return shown;
  if (shown.status().code() != StatusCode::kNotFound) {
    return Unavailable(Name() + ": 'scontrol show job " + job_id + "': " + shown.status().message());
  }
  // Purged after MinJobAge: accounting, where there is a slurmdbd.
  auto ac = RunSlurm({"sacct", "-n", "-P", "-X", "-o", kSacctFields, "-j", job_id});
  if (ac.ok() && ac->exit_code == 0) {
    auto acct = ParseSacctLine(ac->out);
    if (acct.ok()) return acct;
  }
  return NotFound(Name() + ": Slurm no longer knows job " + job_id +
                  " (purged after MinJobAge, no accounting)");
}

std::vector<std::string> SlurmDriver::DownNodes(const std::string& node_list) {
  std::vector<std::string> down;
  if (node_list.empty()) return down;
  auto r = RunSlurm({"scontrol", "show", "node", "-o", node_list});
  if (!r.ok() || r->exit_code != 0) return down;
  auto nodes = ParseScontrolNodes(r->out);
  if (!nodes.ok()) return down;
  for (const auto& n : *nodes) {
    if (ClassifyNodeState(n.state) == SlurmNodeHealth::kDown) down.push_back(n.name);
  }
  return down;
}

TaskStatus SlurmDriver::Poll(const std::string& handle_text) {
  auto handle = ParseSlurmHandle(handle_text);
  if (!handle.ok()) return BadHandleStatus(handle.status());
  if (auto done = FinalStatus(handle_text)) return *done;
  return StatusFrom(handle_text, *handle, QueryJob(handle->job_id));
}

std::vector<TaskStatus> SlurmDriver::PollMany(const std::vector<std::string>& handles) {
  std::vector<TaskStatus> out(handles.size());
  std::vector<std::optional<SlurmHandle>> parsed(handles.size());
  std::set<std::string> ask;  // Slurm job ids whose ranks are not final yet
  for (size_t i = 0; i < handles.size(); ++i) {
    auto handle = ParseSlurmHandle(handles[i]);
    if (!handle.ok()) {
      out[i] = BadHandleStatus(handle.status());
    } else if (auto done = FinalStatus(handles[i])) {
      out[i] = *done;
    } else {
      parsed[i] = *handle;
      ask.insert(handle->job_id);
    }
  }
  if (ask.empty()) return out;
  auto known = QueryJobs(ask);
  for (size_t i = 0; i < handles.size(); ++i) {
    if (!parsed[i]) continue;
    Result<SlurmJobInfo> job = Unavailable("");
    if (!known.ok()) {
      job = known.status();
    } else if (auto it = known->find(parsed[i]->job_id); it != known->end()) {
      job = it->second;
    } else {
      job = NotFound(Name() + ": Slurm no longer knows job " + parsed[i]->job_id +
                     " (purged after MinJobAge, no accounting)");
    }
    out[i] = StatusFrom(handles[i], *parsed[i], job);
  }
  return out;
}

Result<std::map<std::string, SlurmJobInfo>> SlurmDriver::QueryJobs(const std::set<std::string>& job_ids) {
  std::map<std::string, SlurmJobInfo> known;
  // One squeue for every job slurmctld still holds (22.05 ignores -j with --json).
  SKYRUN_ASSIGN_OR_RETURN(CommandResult sq, RunSlurm({"squeue", "--json"}));
  auto all = sq.exit_code == 0
                 ? ParseSqueueJson(sq.out)
                 : Result<std::map<std::string, SlurmJobInfo>>(InvalidArgument(FirstLine(sq.err)));
  if (!all.ok()) {
    // A squeue without --json (before 21.08): the per-job questions of Poll.
    for (const auto& id : job_ids) {
      auto job = QueryJob(id);
      if (job.ok()) {
        known[id] = *job;
      } else if (job.status().code() != StatusCode::kNotFound) {
        return job.status();
      }
    }
    return known;
  }
  std::vector<std::string> gone;
  for (const auto& id : job_ids) {
    auto it = all->find(id);
    if (it == all->end()) {
      gone.push_back(id);
    } else {
      known[id] = std::move(it->second);
    }
  }
  if (gone.empty()) return known;
  // Purged after MinJobAge: one sacct for all of them, where there is a slurmdbd.
  auto ac = RunSlurm({"sacct", "-n", "-P", "-X", "-o", kSacctFields, "-j", Join(gone, ",")});
  if (ac.ok() && ac->exit_code == 0) {
    auto rows = ParseSacctRows(ac->out);
    if (rows.ok()) {
      for (auto& row : *rows) {
        if (std::find(gone.begin(), gone.end(), row.job_id) != gone.end()) known[row.job_id] = std::move(row);
      }
    }
  }
  return known;
}

TaskStatus SlurmDriver::BadHandleStatus(const Status& why) {
  TaskStatus status;
  status.state = RunState::kFailed;
  status.reason = why.message();
  return status;
}

std::optional<TaskStatus> SlurmDriver::FinalStatus(const std::string& handle_text) {
  // A finished rank stays finished: no need to ask Slurm again (and once a
  // down node is back, Slurm could no longer say which one failed).
  std::lock_guard<std::mutex> lock(mu_);
  auto it = last_known_.find(handle_text);
  if (it != last_known_.end() && IsTerminal(it->second.state)) return it->second;
  return std::nullopt;
}

TaskStatus SlurmDriver::StatusFrom(const std::string& handle_text, const SlurmHandle& handle,
                                   const Result<SlurmJobInfo>& job) {
  TaskStatus status;
  status.rank = handle.rank;
  RankFiles files = ReadRankFiles(handle.rank_dir);
  if (job.ok()) {
    std::vector<std::string> down;
    if (job->state == "NODE_FAIL" && !files.exit_code) down = DownNodes(job->node_list);
    RankOutcome o = ResolveRankOutcome(*job, files.exit_code, down);
    status.state = o.state;
    status.exit_code = o.exit_code;
    status.reason = o.reason;
    status.started_at = files.started_at ? files.started_at : job->start_time;
    if (IsTerminal(o.state)) status.ended_at = files.ended_at ? files.ended_at : job->end_time;
  } else if (job.status().code() == StatusCode::kNotFound) {
    if (files.exit_code) {
      SlurmJobInfo gone;
      gone.state = "COMPLETED";
      RankOutcome o = ResolveRankOutcome(gone, files.exit_code, {});
      status.state = o.state;
      status.exit_code = o.exit_code;
      status.reason = o.reason;
    } else {
      status.state = RunState::kLost;
      status.reason = job.status().message() + ", and rank " + std::to_string(handle.rank) +
                      " left no exit code in " + handle.rank_dir;
    }
    status.started_at = files.started_at;
    status.ended_at = files.ended_at;
  } else {
    // Slurm unreachable for now: what we last knew, or that it is launching.
    std::lock_guard<std::mutex> lock(mu_);
    auto it = last_known_.find(handle_text);
    if (it != last_known_.end()) {
      status = it->second;
    } else {
      status.state = RunState::kLaunching;
    }
    status.reason = (status.reason.empty() ? "" : status.reason + "; ") +
                    "state unknown for now: " + job.status().message();
    return status;
  }
  std::lock_guard<std::mutex> lock(mu_);
  last_known_[handle_text] = status;
  return status;
}

Status SlurmDriver::Cancel(const std::string& handle_text) {
  SKYRUN_ASSIGN_OR_RETURN(SlurmHandle handle, ParseSlurmHandle(handle_text));
  SKYRUN_ASSIGN_OR_RETURN(CommandResult r, RunSlurm({"scancel", handle.job_id}));
  if (r.exit_code == 0) {
    // scancel says nothing, and exits 0, for a job that has already finished.
    return Status::Ok();
  }
  if (r.err.find("already completing or completed") != std::string::npos) return Status::Ok();
  if (r.err.find("Invalid job id") != std::string::npos) {
    return NotFound(Name() + ": Slurm does not know job " + handle.job_id + " (finished and purged?)");
  }
  return Internal(Name() + ": 'scancel " + handle.job_id + "' failed (exit " + std::to_string(r.exit_code) +
                  "): " + FirstLine(r.err));
}

Status SlurmDriver::VoidIfUnclaimed(const std::string& handle_text) {
  SKYRUN_ASSIGN_OR_RETURN(SlurmHandle handle, ParseSlurmHandle(handle_text));
  RankFiles files = ReadRankFiles(handle.rank_dir);
  if (files.started_at != 0 || files.exit_code)
    return AlreadyExists(Name() + ": rank already started; adopt it");
  auto job = QueryJob(handle.job_id);
  if (job.ok() && job->state == "PENDING") {
    // Still queued: cancelling it now means it never runs.
    SKYRUN_ASSIGN_OR_RETURN(CommandResult r, RunSlurm({"scancel", handle.job_id}));
    if (r.exit_code != 0) return AlreadyExists(Name() + ": could not cancel pending job " + handle.job_id);
    auto again = QueryJob(handle.job_id);
    if (again.ok() && again->state == "CANCELLED" && !ReadRankFiles(handle.rank_dir).started_at) {
      return Status::Ok();
    }
    return AlreadyExists(Name() + ": job " + handle.job_id + " left the queue before it could be voided");
  }
  if (!job.ok() && job.status().code() == StatusCode::kNotFound) return Status::Ok();  // never ran here
  return AlreadyExists(Name() + ": job " + handle.job_id + " is " + (job.ok() ? job->state : "unreachable") +
                       "; adopt it");
}

std::string SlurmDriver::LogPath(const std::string& handle_text) {
  auto handle = ParseSlurmHandle(handle_text);
  if (!handle.ok()) return "";
  std::string path = handle->rank_dir + "/output.log";
  std::error_code ec;
  return fs::exists(path, ec) ? path : "";
}

void SlurmDriver::Forget(const std::string& handle) {
  std::lock_guard<std::mutex> lock(mu_);
  last_known_.erase(handle);
}

size_t SlurmDriver::RetainedEntries() {
  std::lock_guard<std::mutex> lock(mu_);
  return last_known_.size();
}

}  // namespace skyrun
