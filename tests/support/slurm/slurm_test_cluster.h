// SlurmTestCluster: a real single-machine Slurm cluster for tests, started by
// tests/slurm/slurm_cluster.sh in a fresh directory under the build tree and
// stopped (every daemon, every job process) when the object goes away. The
// script also watches the test process: if it dies without stopping the
// cluster (a crash, a ctest timeout), the cluster stops itself.
//
// Used by slurm_driver_test.cc and tests/slurm_e2e. Thread-safety: not thread-safe; one owner.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "drivers/slurm/command_runner.h"

namespace skyrun {

struct SlurmTestClusterOptions {
  int nodes = 2;
  int gpus_per_node = 2;
  std::string gpu_type = "T4";
};

class SlurmTestCluster {
 public:
  // Why this machine cannot run a test cluster ("" if it can): Slurm or munge
  // not installed, not root (fake GPUs are device nodes made with mknod).
  static std::string Unavailability();
  static Result<std::unique_ptr<SlurmTestCluster>> Start(const SlurmTestClusterOptions& options);
  ~SlurmTestCluster();
  SlurmTestCluster(const SlurmTestCluster&) = delete;
  SlurmTestCluster& operator=(const SlurmTestCluster&) = delete;

  // Stops every process of the cluster and checks none is left. Idempotent.
  Status Stop();
  // Removes the cluster's directory (after Stop), unless told to keep it.
  void RemoveDirectory();

  const std::string& dir() const { return dir_; }
  std::string slurm_conf() const { return dir_ + "/slurm.conf"; }
  // Runs a Slurm client command against this cluster.
  Result<CommandResult> Run(const std::vector<std::string>& argv);
  // kill -9 of one node's slurmd (its pid file), as a crashed node.
  Status KillSlurmd(const std::string& node);
  // A machine failure: kill -9 of the node's slurmd and of the job processes
  // (and their slurmstepd) on it, which a dead machine would not keep running.
  Status CrashNode(const std::string& node);
  // Starts that node's slurmd again and waits for the node to be idle.
  Status StartNode(const std::string& node);

 private:
  explicit SlurmTestCluster(std::string dir) : dir_(std::move(dir)) {}
  Result<CommandResult> Script(const std::vector<std::string>& args, int64_t timeout_ms);

  std::string dir_;
  bool stopped_ = false;
  ProcessCommandRunner runner_;
};

}  // namespace skyrun
