#include "support/slurm/slurm_test_cluster.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "common/strings.h"

#ifndef SKYRUN_SLURM_TESTDATA
#error "SKYRUN_SLURM_TESTDATA (tests/slurm) must be defined"
#endif
#ifndef SKYRUN_SLURM_RUN_ROOT
#error "SKYRUN_SLURM_RUN_ROOT (a short folder under the build tree) must be defined"
#endif

namespace skyrun {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kScriptTimeoutMs = int64_t{120} * 1000;
// The script refuses longer paths: Unix sockets live under the cluster dir.
constexpr size_t kMaxDirLength = 60;

std::string ScriptPath() {
  return std::string(SKYRUN_SLURM_TESTDATA) + "/slurm_cluster.sh";
}

Result<std::string> MakeClusterDir() {
  std::string root = SKYRUN_SLURM_RUN_ROOT;
  if (root.size() + 7 > kMaxDirLength) root = "/tmp";  // a deep build tree: sockets need short paths
  std::error_code ec;
  fs::create_directories(root, ec);
  std::string templ = root + "/slurm-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) return Internal("cannot create a cluster directory under " + root);
  return std::string(buf.data());
}

}  // namespace

std::string SlurmTestCluster::Unavailability() {
  for (const char* tool :
       {"/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged", "/usr/bin/sbatch"}) {
    if (access(tool, X_OK) != 0) {
      return std::string(tool) + " is not installed (Debian packages slurm-wlm, munge)";
    }
  }
  if (geteuid() != 0) return "the test cluster runs its daemons as root; run the Slurm tests as root";
  return "";
}

Result<std::unique_ptr<SlurmTestCluster>> SlurmTestCluster::Start(const SlurmTestClusterOptions& options) {
  SKYRUN_ASSIGN_OR_RETURN(std::string dir, MakeClusterDir());
  std::unique_ptr<SlurmTestCluster> cluster(new SlurmTestCluster(dir));
  auto r = cluster->Script({"start", dir, "--nodes", std::to_string(options.nodes), "--gpus-per-node",
                            std::to_string(options.gpus_per_node), "--gpu-type", options.gpu_type,
                            "--watch-pid", std::to_string(getpid())},
                           kScriptTimeoutMs);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0 || r->timed_out) {
    Status stop = cluster->Stop();
    return Internal("slurm_cluster.sh start failed (exit " + std::to_string(r->exit_code) + "): " + r->err +
                    (stop.ok() ? "" : "; stop: " + stop.message()));
  }
  return cluster;
}

SlurmTestCluster::~SlurmTestCluster() {
  Status s = Stop();
  if (!s.ok()) std::cerr << "SlurmTestCluster: " << s.message() << "\n";
}

Result<CommandResult> SlurmTestCluster::Script(const std::vector<std::string>& args, int64_t timeout_ms) {
  std::vector<std::string> argv = {"bash", ScriptPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  return runner_.Run(argv, {}, timeout_ms);
}

Status SlurmTestCluster::Stop() {
  if (stopped_) return Status::Ok();
  auto r = Script({"stop", dir_}, kScriptTimeoutMs);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return Internal("slurm_cluster.sh stop " + dir_ + " failed (exit " + std::to_string(r->exit_code) +
                    "): " + r->err);
  }
  stopped_ = true;
  return Status::Ok();
}

void SlurmTestCluster::RemoveDirectory() {
  if (!stopped_) return;
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

Result<CommandResult> SlurmTestCluster::Run(const std::vector<std::string>& argv) {
  return runner_.Run(argv, {{"SLURM_CONF", slurm_conf()}}, 30000);
}

Status SlurmTestCluster::KillSlurmd(const std::string& node) {
  std::ifstream in(dir_ + "/run/slurmd-" + node + ".pid");
  pid_t pid = 0;
  if (!(in >> pid) || pid <= 1) return NotFound("no pid file for the slurmd of " + node);
  if (kill(pid, SIGKILL) != 0) return Internal("kill -9 " + std::to_string(pid) + " failed");
  return Status::Ok();
}

Status SlurmTestCluster::CrashNode(const std::string& node) {
  auto r = Script({"crash-node", dir_, node}, kScriptTimeoutMs);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return Internal("slurm_cluster.sh crash-node " + node + " failed: " + r->err);
  return Status::Ok();
}

Status SlurmTestCluster::StartNode(const std::string& node) {
  auto r = Script({"start-node", dir_, node}, kScriptTimeoutMs);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return Internal("slurm_cluster.sh start-node " + node + " failed: " + r->err);
  return Status::Ok();
}

}  // namespace skyrun
