#include "drivers/slurm/sbatch_render.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <sstream>

#include "common/strings.h"
#include "drivers/slurm/sbatch_volumes.h"

namespace skyrun {
namespace {

namespace fs = std::filesystem;

// Set by the script from Slurm at run time; the controller's values (computed
// for its own idea of the placement) are not used for these. MASTER_PORT is
// the job's own when its envs name one, else chosen by kMasterPortBlock.
const std::set<std::string>& RuntimeEnv() {
  static const std::set<std::string> kKeys = {
      "RANK", "SKYRUN_NODE_RANK", "WORLD_SIZE", "SKYRUN_NUM_NODES", "LOCAL_RANK", "MASTER_ADDR",
      "SKYRUN_NODE_IPS", "CUDA_VISIBLE_DEVICES", "SKYRUN_CHECKPOINT_DIR", "SKYRUN_NODE_NAME",
      "SKYRUN_ATTEMPT_DIR",
      // SkyPilot's names for the same (controller/task_env.cc).
      "SKYPILOT_NODE_RANK", "SKYPILOT_NUM_NODES", "SKYPILOT_NODE_IPS",
      // Slurm sets these itself (for a job read from an sbatch script).
      // Not SLURM_JOB_NAME: the script's own name is exported, and srun
      // hands it to the ranks, as sbatch would have named the job.
      "SLURM_JOB_ID", "SLURM_PROCID", "SLURM_LOCALID", "SLURM_NODEID", "SLURM_NNODES", "SLURM_NTASKS",
      "SLURM_JOB_NUM_NODES", "SLURM_JOB_NODELIST", "SLURM_JOBID", "SLURM_NODELIST"};
  return kKeys;
}

// MASTER_PORT, chosen at run time by the batch step, which runs on the
// allocation's first node, where rank 0 (MASTER_ADDR) listens: from 20000 +
// job id mod 20000 on, the first port nothing listens on there (ss), and
// srun passes it to every rank. Elsewhere, or without ss, the derived port.
constexpr const char* kMasterPortBlock =
    R"SH(# Where rank 0 listens: a port free on this node (the first of the allocation).
if [ -z "${MASTER_PORT:-}" ]; then
  MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))
  if command -v ss >/dev/null 2>&1 &&
    [ "${SLURMD_NODENAME:-}" = "$(scontrol show hostnames "$SLURM_JOB_NODELIST" 2>/dev/null | head -n 1)" ]; then
    for _ in $(seq 100); do
      [ -z "$(ss -Htln "sport = :$MASTER_PORT" 2>/dev/null)" ] && break
      MASTER_PORT=$((20000 + (MASTER_PORT - 19999) % 20000))
    done
  fi
fi
export MASTER_PORT

)SH";

bool IsShellName(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// What one task asks of Slurm.
struct TaskShape {
  int64_t cpus = 1;  // whole CPUs
  int64_t memory_mib = 0;
  int64_t gpus = 0;       // whole GPUs
  int64_t gpu_milli = 0;  // > 0 and < 1000: a share rounded up to one GPU
  std::string gres_type;  // "" = untyped
  std::string node;       // Slurm node name, "" = let Slurm choose
};

const ResourceRequest* RequestFor(const AttemptLaunch& launch, const TaskLaunch& task) {
  if (launch.spec == nullptr) return nullptr;
  for (const auto& role : launch.spec->roles) {
    if (role.name == task.role) return &role.resources;
  }
  return &launch.spec->resources;
}

std::string GresTypeFor(const std::string& model, const SbatchOptions& options) {
  auto it = options.gres_types.find(model);
  return it == options.gres_types.end() ? model : it->second;
}

TaskShape ShapeOf(const AttemptLaunch& launch, const TaskLaunch& task, const SbatchOptions& options) {
  const TaskPlacement& p = task.placement;
  const ResourceRequest* req = RequestFor(launch, task);
  TaskShape s;
  const int64_t cpus_milli =
      p.cpus_milli.IsPositive() ? p.cpus_milli.raw() : (req ? req->cpus_milli.raw() : kMilliPerUnit);
  s.cpus = std::max<int64_t>(1, (cpus_milli + kMilliPerUnit - 1) / kMilliPerUnit);
  s.memory_mib = p.memory_mib.IsPositive()               ? p.memory_mib.raw()
                 : (req && req->memory_mib.IsPositive()) ? req->memory_mib.raw()
                                                         : options.default_memory_mib_per_task;
  std::string model = p.gpu_model;
  const int64_t gpu_milli = p.gpu_milli.raw();
  if (!p.gpu_indices.empty()) {
    s.gpus = static_cast<int64_t>(p.gpu_indices.size());
    if (gpu_milli > 0 && gpu_milli < kMilliPerUnit) s.gpu_milli = gpu_milli;
  } else if (gpu_milli >= kMilliPerUnit) {
    s.gpus = (gpu_milli + kMilliPerUnit - 1) / kMilliPerUnit;
  } else if (gpu_milli > 0) {
    s.gpus = 1;
    s.gpu_milli = gpu_milli;
  } else if (req != nullptr && req->WantsGpu()) {
    if (req->gpu_milli.IsPositive()) {
      s.gpus = 1;
      s.gpu_milli = req->gpu_milli.raw() < kMilliPerUnit ? req->gpu_milli.raw() : 0;
    } else {
      s.gpus = req->accelerators.begin()->second;
    }
    if (model.empty() && !req->accelerators.empty()) model = req->accelerators.begin()->first;
  }
  if (s.gpus > 0 && !model.empty()) s.gres_type = GresTypeFor(model, options);
  s.node = p.node.empty() ? "" : SlurmNodeName(p.node, options.backend_name);
  return s;
}

// Text for a comment line: a control character would end the comment (a
// newline starts a command) or hide what follows.
std::string CommentText(const std::string& text) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? '?' : c;
  }
  return out;
}

// A value of an #SBATCH line. sbatch splits these lines at blanks and reads
// quotes its own way, and a line break would end the directives: only plain
// words go there. The values are the server's (paths under its state
// directory, the cluster config, node names), never a tenant's.
Status CheckSbatchWord(const std::string& what, const std::string& value) {
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == '\'' || c == '\\' || c == '#') {
      return InvalidArgument(what + " " + CommentText(value) +
                             " cannot go on an #SBATCH line: it holds a blank, a quote, '#' or a control "
                             "character");
    }
  }
  return Status::Ok();
}

// bash cannot hold a NUL byte in a word; the spec parser refuses them, and
// so does the renderer, whoever built the launch.
Status CheckNoNul(const std::string& what, const std::string& value) {
  if (value.find('\0') == std::string::npos) return Status::Ok();
  return InvalidArgument(what + " contains a NUL character, which a shell script cannot carry");
}

std::string SanitizeJobName(const std::string& name) {
  std::string out;
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    out += ok ? c : '_';
    if (out.size() >= 40) break;
  }
  return out.empty() ? "job" : out;
}

// The lines that set one rank apart, or that all ranks share.
std::string RankBlock(const TaskLaunch& task, const TaskShape& shape,
                      const std::map<std::string, std::string>& common_env, const std::string& indent) {
  std::ostringstream b;
  for (const auto& [key, value] : task.env) {
    if (RuntimeEnv().count(key) || common_env.count(key)) continue;
    b << indent << "export " << key << "=" << ShellQuote(value) << "\n";
  }
  if (shape.gpus == 0) b << indent << "export CUDA_VISIBLE_DEVICES=  # this rank has no GPU\n";
  if (!task.setup.empty()) b << indent << "skyrun_setup=" << ShellQuote(task.setup) << "\n";
  b << indent << "skyrun_run=" << ShellQuote(task.run) << "\n";
  if (!task.image.empty()) b << indent << "skyrun_image=" << ShellQuote(task.image) << "\n";
  return b.str();
}

// A path of the spec as the nodes see it: relative ones are relative to the
// spec file's directory (spec.base_dir), as on the local backend; the job
// runs from the shared filesystem, not from the submitter's cwd.
std::string SpecPath(const JobSpec& spec, const std::string& path) {
  fs::path p(path);
  std::string out = (p.is_absolute() || spec.base_dir.empty() ? p : fs::path(spec.base_dir) / p)
                        .lexically_normal()
                        .string();
  if (out.size() > 1 && out.back() == '/') out.pop_back();  // "dir/." normalises to "dir/"
  return out;
}

// Directories a container must see: the job's, the checkpoints, the workdir,
// and the spec's file_mounts ("src:dst"). The runtimes read the list as
// "src[:dst[:opts]],...": a path holding ',' or ':' would add a bind of its
// own, so such paths are refused.
Result<std::vector<std::string>> ContainerBinds(const AttemptLaunch& launch) {
  std::vector<std::string> binds;
  auto path = [](const std::string& what, const std::string& p) -> Status {
    if (p.find_first_of(",:") == std::string::npos) return Status::Ok();
    return InvalidArgument(what + " '" + CommentText(p) +
                           "' holds ',' or ':', which a container bind list cannot carry; rename it");
  };
  auto add = [&](const std::string& b) {
    if (!b.empty() && std::find(binds.begin(), binds.end(), b) == binds.end()) binds.push_back(b);
  };
  SKYRUN_RETURN_IF_ERROR(path("the job directory", launch.job_dir));
  SKYRUN_RETURN_IF_ERROR(path("the checkpoint directory", launch.checkpoint_dir));
  add(launch.job_dir);
  add(launch.checkpoint_dir);
  if (launch.spec != nullptr) {
    if (!launch.spec->workdir.empty()) {
      std::string workdir = SpecPath(*launch.spec, launch.spec->workdir);
      SKYRUN_RETURN_IF_ERROR(path("workdir", workdir));
      add(workdir);
    }
    for (const auto& [dst, src] : launch.spec->file_mounts) {
      std::string source = SpecPath(*launch.spec, src);
      SKYRUN_RETURN_IF_ERROR(path("file_mounts source", source));
      SKYRUN_RETURN_IF_ERROR(path("file_mounts target", dst));
      add(source + ":" + dst);
    }
  }
  return binds;
}

constexpr const char* kRankFunction =
    R"SH(# One rank: its environment, setup once per node, run, exit code to exit.json.
skyrun_rank() {
  local rank=$SLURM_PROCID
  local dir="$SKYRUN_ATTEMPT_DIR/rank-$rank"
  local node=${SLURMD_NODENAME:-$(hostname -s)}
  local skyrun_setup="" skyrun_run="" skyrun_image="" code=0
  export RANK=$rank SKYRUN_NODE_RANK=$rank LOCAL_RANK=$SLURM_LOCALID
  export WORLD_SIZE=$SLURM_NTASKS SKYRUN_NUM_NODES=$SLURM_NTASKS
  export SKYPILOT_NODE_RANK=$rank SKYPILOT_NUM_NODES=$SLURM_NTASKS
  export SKYRUN_NODE_NAME="$SKYRUN_BACKEND/$node"
@RANKS@@VOLUMES@  printf '{"rank":%s,"node":"%s","slurm_job_id":%s,"started_at":%(%s)T}\n' \
    "$rank" "$node" "$SLURM_JOB_ID" -1 >"$dir/rank.json"
  if [ -n "$skyrun_setup" ]; then
    local mark="$SKYRUN_ATTEMPT_DIR/setup-$node"
    if [ "$SLURM_LOCALID" = 0 ]; then
      echo "skyrun: running setup on $node"
      skyrun_exec "$skyrun_image" "$skyrun_setup"
      code=$?
      echo "$code" >"$mark.tmp" && mv -f "$mark.tmp" "$mark.done"
    else
      until [ -e "$mark.done" ]; do sleep 1; done
      code=$(cat "$mark.done")
    fi
    [ "$code" = 0 ] || echo "skyrun: setup failed on $node with exit code $code"
  fi
  if [ "$code" = 0 ]; then
    skyrun_exec "$skyrun_image" "$skyrun_run"
    code=$?
  fi
  printf '{"rank":%s,"exit_code":%s,"node":"%s","ended_at":%(%s)T}\n' "$rank" "$code" "$node" -1 \
    >"$dir/exit.json.tmp" &&
    mv -f "$dir/exit.json.tmp" "$dir/exit.json"
  return "$code"
}
)SH";

// `bare`: how a command runs outside any image ("bash", or bwrap binding
// the volumes first).
std::string ExecFunction(const std::string& container, const std::vector<std::string>& binds,
                         const std::string& bare) {
  if (container == "apptainer") {
    std::string bind_list = Join(binds, ",");
    return "# Runs a command, in the rank's image when it names one (apptainer).\n"
           "skyrun_exec() {\n"
           "  if [ -n \"$1\" ]; then\n"
           "    apptainer exec --bind " +
           ShellQuote(bind_list) +
           " \"$1\" bash -c \"$2\"\n"
           "  else\n"
           "    " +
           bare +
           " -c \"$2\"\n"
           "  fi\n"
           "}\n";
  }
  if (container == "pyxis") {
    return "# Runs a command (the whole step already runs in the image, through pyxis).\n"
           "skyrun_exec() { " +
           bare + " -c \"$2\"; }\n";
  }
  return "# Runs a command (this cluster has no container runtime configured).\n"
         "skyrun_exec() { " +
         bare + " -c \"$2\"; }\n";
}

}  // namespace

std::string SlurmAttemptDir(const std::string& job_dir, int attempt_no) {
  return job_dir + "/attempt-" + std::to_string(attempt_no);
}

std::string SlurmRankDir(const std::string& job_dir, int attempt_no, int rank) {
  return SlurmAttemptDir(job_dir, attempt_no) + "/rank-" + std::to_string(rank);
}

std::string SlurmNodeName(const std::string& placement_node, const std::string& backend_name) {
  std::string prefix = backend_name + "/";
  if (placement_node.rfind(prefix, 0) == 0) return placement_node.substr(prefix.size());
  return placement_node;
}

std::string FormatSlurmTimeLimit(int64_t seconds) {
  int64_t minutes = std::max<int64_t>(1, (seconds + 59) / 60);
  int64_t days = minutes / (int64_t{24} * 60);
  int64_t hours = (minutes / 60) % 24;
  int64_t mins = minutes % 60;
  char buf[64];
  if (days > 0) {
    snprintf(buf, sizeof buf, "%lld-%02lld:%02lld:00", static_cast<long long>(days),
             static_cast<long long>(hours), static_cast<long long>(mins));
  } else {
    snprintf(buf, sizeof buf, "%02lld:%02lld:00", static_cast<long long>(hours),
             static_cast<long long>(mins));
  }
  return buf;
}

std::string ShellQuote(const std::string& s) {
  bool plain = !s.empty();
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string("-_./=:,+@%").find(c) == std::string::npos) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

Result<std::string> RenderSbatch(const AttemptLaunch& launch, const SbatchOptions& options) {
  if (launch.tasks.empty())
    return InvalidArgument("attempt " + std::to_string(launch.attempt_no) + " has no tasks");
  if (launch.job_dir.empty()) return InvalidArgument("attempt has no job directory");
  SKYRUN_RETURN_IF_ERROR(CheckSbatchWord("the job directory", launch.job_dir));
  SKYRUN_RETURN_IF_ERROR(CheckSbatchWord("partition", options.partition));
  SKYRUN_RETURN_IF_ERROR(CheckSbatchWord("account", options.account));
  SKYRUN_RETURN_IF_ERROR(CheckSbatchWord("qos", options.qos));
  SKYRUN_RETURN_IF_ERROR(CheckNoNul("the checkpoint directory", launch.checkpoint_dir));
  SKYRUN_RETURN_IF_ERROR(CheckNoNul("the backend name", options.backend_name));
  if (options.container != "none" && options.container != "pyxis" && options.container != "apptainer") {
    return InvalidArgument("container '" + options.container + "' is not one of none, pyxis, apptainer");
  }
  std::set<std::string> images;
  for (const auto& t : launch.tasks) {
    for (const auto& [key, value] : t.env) {
      if (!IsShellName(key)) {
        return InvalidArgument("environment variable name '" + CommentText(key) + "' of rank " +
                               std::to_string(t.rank) +
                               " is not a shell name (letters, digits, '_', not starting with a digit)");
      }
      SKYRUN_RETURN_IF_ERROR(CheckNoNul("environment variable " + key, value));
    }
    SKYRUN_RETURN_IF_ERROR(CheckNoNul("run", t.run));
    SKYRUN_RETURN_IF_ERROR(CheckNoNul("setup", t.setup));
    SKYRUN_RETURN_IF_ERROR(CheckNoNul("image", t.image));
    if (!t.image.empty()) images.insert(t.image);
  }
  if (!images.empty() && options.container == "none") {
    return InvalidArgument("the job runs in image '" + *images.begin() + "' but " + options.backend_name +
                           " has no container support configured (container: none)");
  }
  if (options.container == "pyxis" && images.size() > 1) {
    return InvalidArgument("with pyxis every rank of an attempt runs in one image; this attempt names " +
                           std::to_string(images.size()) + " (" + Join({images.begin(), images.end()}, ", ") +
                           ")");
  }
  std::vector<SlurmVolumeBind> volumes;
  if (launch.spec != nullptr) {
    SKYRUN_ASSIGN_OR_RETURN(volumes, SlurmVolumeBinds(*launch.spec, launch.tenant, options.volumes_root));
  }
  if (!volumes.empty() && (launch.job_dir + "/").rfind(options.volumes_root + "/", 0) == 0) {
    // bwrap hides volumes_root from the ranks: the job's own files cannot lie there.
    return InvalidArgument("the job directory " + CommentText(launch.job_dir) + " lies inside volumes_root " +
                           options.volumes_root + "; keep the volume store apart from the jobs");
  }
  // A rank outside any image: with pyxis only when the step has no image
  // (else the whole step runs in it); otherwise each rank without one.
  const bool bare_ranks = options.container == "pyxis"
                              ? images.empty()
                              : std::any_of(launch.tasks.begin(), launch.tasks.end(),
                                            [](const TaskLaunch& t) { return t.image.empty(); });
  if (!volumes.empty() && bare_ranks && !options.volumes_bwrap) {
    return InvalidArgument("a rank of this job runs without an image, and " + options.backend_name +
                           " binds volumes outside an image only under bubblewrap (volumes_bwrap: true), "
                           "which it does not allow; give the job an image or drop its volumes");
  }

  // Shapes, grouped by node.
  std::vector<TaskShape> shapes;
  bool all_named = true;
  for (const auto& t : launch.tasks) {
    shapes.push_back(ShapeOf(launch, t, options));
    if (shapes.back().node.empty()) all_named = false;
  }
  std::vector<std::string> node_order;
  std::map<std::string, std::vector<size_t>> by_node;
  for (size_t i = 0; i < shapes.size(); ++i) {
    // Without node names, each task is taken to want a node of its own.
    std::string key = all_named ? shapes[i].node : "#" + std::to_string(i);
    if (!by_node.count(key)) node_order.push_back(key);
    by_node[key].push_back(i);
  }
  const size_t num_tasks = launch.tasks.size();
  const size_t num_nodes = node_order.size();
  size_t min_per_node = num_tasks, max_per_node = 0;
  int64_t cpus_per_task = 1, mem_per_node = 0, gpus_per_node = 0;
  std::set<std::string> gres_types;
  std::set<int64_t> gpu_counts;
  for (const auto& key : node_order) {
    const auto& idx = by_node[key];
    min_per_node = std::min(min_per_node, idx.size());
    max_per_node = std::max(max_per_node, idx.size());
    int64_t mem = 0, gpus = 0;
    for (size_t i : idx) {
      mem += shapes[i].memory_mib;
      gpus += shapes[i].gpus;
    }
    mem_per_node = std::max(mem_per_node, mem);
    gpus_per_node = std::max(gpus_per_node, gpus);
  }
  for (const auto& s : shapes) {
    cpus_per_task = std::max(cpus_per_task, s.cpus);
    gpu_counts.insert(s.gpus);
    if (s.gpus > 0) gres_types.insert(s.gres_type);
  }

  const std::string attempt_dir = SlurmAttemptDir(launch.job_dir, launch.attempt_no);
  std::ostringstream o;
  o << "#!/bin/bash\n";
  o << "# skyrun job " << launch.job_id.value() << " '" << CommentText(launch.job_name) << "' attempt "
    << launch.attempt_no << " on " << options.backend_name << ": " << num_tasks << " task"
    << (num_tasks > 1 ? "s" : "") << " on " << num_nodes << " node" << (num_nodes > 1 ? "s" : "");
  if (launch.spec != nullptr) o << " (" << JobModeName(launch.spec->mode) << ")";
  o << ".\n# Generated by skyrun's Slurm driver (src/drivers/slurm/sbatch_render.cc); do not edit.\n";
  o << "#SBATCH --job-name=skyrun-" << launch.job_id.value() << "-" << SanitizeJobName(launch.job_name)
    << "-a" << launch.attempt_no << "\n";
  o << "#SBATCH --nodes=" << num_nodes << "\n";
  o << "#SBATCH --ntasks=" << num_tasks << "\n";
  if (min_per_node == max_per_node) o << "#SBATCH --ntasks-per-node=" << max_per_node << "\n";
  o << "#SBATCH --cpus-per-task=" << cpus_per_task << "\n";
  o << "#SBATCH --mem=" << mem_per_node << "\n";
  if (gpus_per_node > 0) {
    std::string type = gres_types.size() == 1 ? *gres_types.begin() : "";
    if (gres_types.size() > 1) {
      o << "# The ranks ask for different GPU models (" << Join({gres_types.begin(), gres_types.end()}, ", ")
        << "); one allocation cannot mix GRES types, so any GPU type is requested.\n";
    }
    for (size_t i = 0; i < shapes.size(); ++i) {
      if (shapes[i].gpu_milli > 0) {
        o << "# Rank " << launch.tasks[i].rank << " asks for " << shapes[i].gpu_milli
          << " milli-GPU; Slurm has no GPU shares, so it gets one whole GPU.\n";
      }
    }
    o << "#SBATCH --gres=gpu:" << (type.empty() ? "" : type + ":") << gpus_per_node << "\n";
  }
  if (launch.time_limit_seconds)
    o << "#SBATCH --time=" << FormatSlurmTimeLimit(*launch.time_limit_seconds) << "\n";
  if (!options.partition.empty()) o << "#SBATCH --partition=" << options.partition << "\n";
  if (!options.account.empty()) o << "#SBATCH --account=" << options.account << "\n";
  if (!options.qos.empty()) o << "#SBATCH --qos=" << options.qos << "\n";
  if (all_named) {
    for (const auto& node : node_order) SKYRUN_RETURN_IF_ERROR(CheckSbatchWord("node name", node));
    o << "#SBATCH --nodelist=" << Join(node_order, ",") << "\n";
  }
  // The batch step starts in the attempt directory; the spec's workdir (a
  // tenant's text) is entered by a quoted `cd` below, never on an #SBATCH line.
  std::string workdir = (launch.spec != nullptr && !launch.spec->workdir.empty())
                            ? SpecPath(*launch.spec, launch.spec->workdir)
                            : "";
  SKYRUN_RETURN_IF_ERROR(CheckNoNul("workdir", workdir));
  std::string chdir = workdir.empty() ? attempt_dir : workdir;
  o << "#SBATCH --chdir=" << attempt_dir << "\n";
  o << "#SBATCH --output=" << attempt_dir << "/batch.log\n";
  o << "#SBATCH --no-requeue\n";
  o << "\n";

  o << "export SKYRUN_BACKEND=" << ShellQuote(options.backend_name) << "\n";
  o << "export SKYRUN_ATTEMPT_DIR=" << ShellQuote(attempt_dir) << "\n";
  // checkpoint.dir in a writable volume: each rank is given the path it sees
  // (below SKYRUN_MOUNT_ROOT), so a retry on any node resumes from it.
  const std::string volume_ckpt = launch.spec != nullptr ? CheckpointInVolumes(*launch.spec, volumes) : "";
  const bool job_ckpt = !launch.checkpoint_dir.empty() && volume_ckpt.empty();
  if (job_ckpt) o << "export SKYRUN_CHECKPOINT_DIR=" << ShellQuote(launch.checkpoint_dir) << "\n";
  o << "mkdir -p" << (job_ckpt ? " \"$SKYRUN_CHECKPOINT_DIR\"" : "");
  for (const auto& t : launch.tasks) o << " \"$SKYRUN_ATTEMPT_DIR/rank-" << t.rank << "\"";
  o << "\n";
  if (!volumes.empty()) o << "# The job's volumes, on the shared filesystem.\n" << VolumeCheckLines(volumes);
  if (!workdir.empty()) {
    o << "cd -- " << ShellQuote(workdir)
      << " || { echo \"skyrun: cannot enter the workdir on $(hostname -s)\" >&2; exit 1; }\n";
  }
  o << "\n";

  // Environment every rank shares.
  std::map<std::string, std::string> common_env;
  for (const auto& entry : launch.tasks[0].env) {
    if (RuntimeEnv().count(entry.first)) continue;
    bool shared = std::all_of(launch.tasks.begin(), launch.tasks.end(), [&entry](const TaskLaunch& t) {
      auto it = t.env.find(entry.first);
      return it != t.env.end() && it->second == entry.second;
    });
    if (shared) common_env.insert(entry);
  }
  if (!common_env.empty()) {
    o << "# Environment common to every rank.\n";
    for (const auto& [key, value] : common_env) o << "export " << key << "=" << ShellQuote(value) << "\n";
    o << "\n";
  }

  o << "# Where the ranks meet: the addresses of the allocation's nodes, one a line; the first is the "
       "master.\n";
  o << "SKYRUN_NODE_IPS=$(scontrol show node -o \"$SLURM_JOB_NODELIST\" 2>/dev/null |\n"
       "  sed -n 's/^NodeName=[^ ]* .*NodeAddr=\\([^ ]*\\).*/\\1/p')\n";
  o << "[ -n \"$SKYRUN_NODE_IPS\" ] || SKYRUN_NODE_IPS=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\")\n";
  o << "export SKYRUN_NODE_IPS SKYPILOT_NODE_IPS=\"$SKYRUN_NODE_IPS\"\n";
  o << "export MASTER_ADDR=${SKYRUN_NODE_IPS%%$'\\n'*}\n";
  o << kMasterPortBlock;

  std::vector<std::string> blocks;
  for (size_t i = 0; i < launch.tasks.size(); ++i) {
    blocks.push_back(RankBlock(launch.tasks[i], shapes[i], common_env, "      "));
  }
  bool same = std::all_of(blocks.begin(), blocks.end(), [&](const std::string& b) { return b == blocks[0]; });
  std::string ranks;
  if (same) {
    ranks = RankBlock(launch.tasks[0], shapes[0], common_env, "  ");
  } else {
    ranks = "  case $rank in\n";
    for (size_t i = 0; i < launch.tasks.size(); ++i) {
      ranks += "    " + std::to_string(launch.tasks[i].rank) + ")\n" + blocks[i] + "      ;;\n";
    }
    ranks += "  esac\n";
  }
  std::string rank_fn = kRankFunction;
  rank_fn.replace(rank_fn.find("@RANKS@"), 7, ranks);
  std::string mount_root;
  if (!volumes.empty()) {
    // Where "$SKYRUN_MOUNT_ROOT/<path>" finds a volume: "/" in an image, the
    // rank's own mnt directory under bubblewrap.
    if (options.container == "pyxis" && !images.empty()) {
      mount_root = "  export SKYRUN_MOUNT_ROOT=  # volumes are at their paths in the image\n";
    } else {
      mount_root =
          "  if [ -n \"$skyrun_image\" ]; then\n"
          "    export SKYRUN_MOUNT_ROOT=  # volumes are at their paths in the image\n"
          "  else\n"
          "    export SKYRUN_MOUNT_ROOT=\"$dir/mnt\"  # volumes are bound below it by bwrap\n"
          "    mkdir -p \"$SKYRUN_MOUNT_ROOT\"\n"
          "  fi\n";
    }
    if (!volume_ckpt.empty()) {
      mount_root += "  export SKYRUN_CHECKPOINT_DIR=\"$SKYRUN_MOUNT_ROOT\"" + ShellQuote(volume_ckpt) +
                    "  # checkpoint.dir, in a volume: kept across attempts and nodes\n";
    }
  }
  rank_fn.replace(rank_fn.find("@VOLUMES@"), 9, mount_root);
  std::vector<std::string> binds;
  if (options.container != "none") {
    SKYRUN_ASSIGN_OR_RETURN(binds, ContainerBinds(launch));
    for (const SlurmVolumeBind& v : volumes) binds.push_back(ContainerVolumeBind(v));
  }
  // bwrap only where a rank runs outside an image (pyxis with an image runs
  // the whole step in it, volumes bound by --container-mounts).
  const std::string bare =
      volumes.empty() || !bare_ranks ? "bash" : BwrapVolumePrefix(volumes, options.volumes_root) + " bash";
  o << ExecFunction(options.container, binds, bare) << rank_fn;
  o << "export -f skyrun_rank skyrun_exec\n\n";

  o << "# Every rank at once; one failing rank ends the gang.\n";
  o << "srun --kill-on-bad-exit=1";
  // Several GPU ranks on one node each get their own GPUs, not all the node's.
  if (max_per_node > 1 && gpu_counts.size() == 1 && *gpu_counts.begin() > 0) {
    o << " --gpu-bind=per_task:" << *gpu_counts.begin();
  }
  if (options.container == "pyxis" && !images.empty()) {
    o << " \\\n  --container-image=" << ShellQuote(*images.begin())
      << " --container-mounts=" << ShellQuote(Join(binds, ","))
      << " --container-workdir=" << ShellQuote(chdir);
  }
  o << " \\\n  --output=\"$SKYRUN_ATTEMPT_DIR/rank-%t/output.log\" bash -c skyrun_rank\n";
  return o.str();
}

}  // namespace skyrun
