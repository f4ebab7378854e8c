#include "drivers/slurm/slurm_usage.h"

#include <algorithm>
#include <map>

#include "common/quantities.h"
#include "common/strings.h"

namespace skyrun {
namespace {

// "2-3,5" -> 3: the number of CPU ids in a CPU_IDs list.
int64_t CountIds(const std::string& list) {
  int64_t n = 0;
  for (const auto& part : Split(list, ',')) {
    auto dash = part.find('-');
    auto lo = ParseInt64(dash == std::string::npos ? part : part.substr(0, dash));
    auto hi = ParseInt64(dash == std::string::npos ? part : part.substr(dash + 1));
    if (lo && hi && *hi >= *lo) n += *hi - *lo + 1;
  }
  return n;
}

// States in which a job's allocation is counted in the node's (a finished
// job keeps its detail lines in scontrol until it is purged).
bool HoldsResources(const std::string& state) {
  return state == "RUNNING" || state == "COMPLETING" || state == "CONFIGURING" || state == "SUSPENDED";
}

std::vector<std::string> Tokens(const std::string& line) {
  std::vector<std::string> out;
  for (const auto& t : Split(line, ' ')) {
    if (!t.empty()) out.push_back(t);
  }
  return out;
}

}  // namespace

Result<std::vector<SlurmJobAllocation>> ParseScontrolJobDetails(const std::string& text) {
  std::vector<SlurmJobAllocation> jobs;
  for (const auto& raw : Split(text, '\n')) {
    std::string line = Trim(raw);
    if (line.empty() || line.rfind("No jobs in the system", 0) == 0) continue;
    if (line.rfind("JobId=", 0) != 0) {
      return InvalidArgument("'scontrol show job -d -o' printed '" + line.substr(0, 120) + "'");
    }
    auto kv = ParseKeyValueLine(line);
    SlurmJobAllocation job;
    job.job_id = kv["JobId"];
    job.name = kv["JobName"];
    job.state = kv["JobState"];
    // Per-node detail: "Nodes=node[1-2] CPU_IDs=0-1 Mem=512 GRES=gpu:T4:1(IDX:0)",
    // once per group of nodes that hold the same.
    std::vector<SlurmNodeAllocation> group;
    auto flush = [&] {
      for (auto& a : group) job.nodes.push_back(std::move(a));
      group.clear();
    };
    for (const auto& token : Tokens(line)) {
      auto eq = token.find('=');
      if (eq == std::string::npos) continue;
      const std::string key = token.substr(0, eq);
      const std::string value = token.substr(eq + 1);
      if (key == "Nodes") {
        flush();
        auto names = ExpandHostlist(value);
        if (!names.ok()) return names.status().WithContext("job " + job.job_id);
        for (const auto& n : *names) group.push_back(SlurmNodeAllocation{n, 0, 0, {}});
      } else if (group.empty()) {
        continue;
      } else if (key == "CPU_IDs") {
        for (auto& a : group) a.cpus = CountIds(value);
      } else if (key == "Mem") {
        for (auto& a : group) a.memory_mib = ParseInt64(value).value_or(0);
      } else if (key == "GRES") {
        for (auto& a : group) a.gpus = ParseGresIndices(value);
      } else {
        flush();  // the detail groups end at the next ordinary key
      }
    }
    flush();
    jobs.push_back(std::move(job));
  }
  return jobs;
}

void SubtractTakenByOthers(const std::vector<SlurmNodeInfo>& nodes,
                           const std::vector<SlurmJobAllocation>& jobs, std::vector<Node>* inventory) {
  std::map<std::string, SlurmNodeAllocation> own;  // by Slurm node name
  for (const auto& job : jobs) {
    if (job.name.rfind(kSkyrunJobNamePrefix, 0) != 0 || !HoldsResources(job.state)) continue;
    for (const auto& a : job.nodes) {
      SlurmNodeAllocation& sum = own[a.node];
      sum.cpus += a.cpus;
      sum.memory_mib += a.memory_mib;
      sum.gpus.insert(a.gpus.begin(), a.gpus.end());
    }
  }
  std::map<std::string, const SlurmNodeInfo*> by_name;
  for (const auto& n : nodes) by_name[n.name] = &n;
  for (Node& node : *inventory) {
    auto it = by_name.find(node.attributes["SlurmNode"]);
    if (it == by_name.end()) continue;
    const SlurmNodeInfo& info = *it->second;
    const SlurmNodeAllocation& mine = own[info.name];
    const int64_t cpus = std::max<int64_t>(0, info.cpus_alloc - mine.cpus);
    const MemoryMiB memory(std::max<int64_t>(0, info.memory_alloc_mib - mine.memory_mib));
    std::set<int> gpus;
    for (int g : info.gpus_used) {
      if (!mine.gpus.count(g)) gpus.insert(g);
    }
    node.cpus_milli = std::max(MilliCpu(0), node.cpus_milli - MilliCpu(kMilliPerUnit) * cpus);
    node.memory_mib = std::max(MemoryMiB(0), node.memory_mib - memory);
    node.gpus.erase(std::remove_if(node.gpus.begin(), node.gpus.end(),
                                   [&](const GpuDevice& d) { return gpus.count(d.index) > 0; }),
                    node.gpus.end());
    node.attributes["CpusTakenByOthers"] = std::to_string(cpus);
    node.attributes["MemoryTakenByOthersMiB"] = std::to_string(memory.raw());
    std::vector<std::string> taken;
    for (int g : gpus) taken.push_back(std::to_string(g));
    node.attributes["GpusTakenByOthers"] =
        info.gpus_used_known ? (taken.empty() ? "none" : Join(taken, ",")) : "unknown";
  }
}

}  // namespace skyrun
