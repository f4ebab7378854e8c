// What this machine offers, for the local pool when no node is declared:
// CPUs (the affinity mask), memory (/proc/meminfo), NVIDIA GPUs (nvidia-smi,
// where it is installed), and whether cgroup v2 can enforce CPU and memory
// limits. LocalDriver calls it once, at creation. The parsers are separate
// pure functions so that tests feed them text. Thread-safety: the functions
// are thread-safe (they keep no state).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/node.h"

namespace skyrun {

// CPUs this process may run on (sched_getaffinity), in milli-CPU.
int64_t ProbeCpusMilli();
// MemTotal from /proc/meminfo, in MiB.
Result<int64_t> ProbeMemoryMiB();
// GPUs reported by nvidia-smi; empty (and OK) where nvidia-smi is not on PATH.
Result<std::vector<GpuDevice>> ProbeNvidiaGpus();

// "MemTotal:  24684092 kB" -> 24105 (MiB).
Result<int64_t> ParseMemInfoTotalMiB(const std::string& meminfo);
// Output of `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader,nounits`.
Result<std::vector<GpuDevice>> ParseNvidiaSmiGpus(const std::string& csv);
// The catalog's model name for a device name: "NVIDIA H100 80GB HBM3" -> "H100",
// "NVIDIA A100-SXM4-80GB" -> "A100-80GB", "Tesla T4" -> "T4",
// "NVIDIA GeForce RTX 4090" -> "RTX4090", "NVIDIA RTX A6000" -> "RTXA6000".
std::string NormalizeGpuModel(const std::string& device_name, int64_t memory_mb);

// Facts about the cgroup hierarchy, gathered by ProbeCgroupFacts (or made up by tests).
struct CgroupFacts {
  std::string root;                      // "/sys/fs/cgroup"
  bool root_is_v2 = false;               // statfs(root) is cgroup2
  bool root_is_v1 = false;               // controllers mounted as cgroup v1 below root
  std::vector<std::string> controllers;  // root/cgroup.controllers
  bool subtree_created = false;          // root/skyrun exists with cpu and memory enabled for its children
  std::string subtree_error;             // why not
};

struct CgroupSupport {
  bool enforced = false;
  std::string note;           // why not, for `skyrun nodes`; a short summary when enforced
  std::string cgroup_parent;  // where supervisors create task cgroups ("" if not enforced)
};

// Inspects `root` and, where it is a writable cgroup v2 hierarchy with the cpu
// and memory controllers, creates root/skyrun and enables both controllers for
// its children (the supervisors then create one cgroup per task below it).
CgroupFacts ProbeCgroupFacts(const std::string& root);
// The verdict and the note a person reads, from the facts.
CgroupSupport DescribeCgroupSupport(const CgroupFacts& facts);

// Runs argv (PATH lookup for argv[0]) and returns its stdout; stderr is
// discarded. Fails if it cannot start or exits non-zero.
Result<std::string> RunAndCapture(const std::vector<std::string>& argv);
// The full path of `name` on PATH, or "" if none.
std::string FindOnPath(const std::string& name);

}  // namespace skyrun
