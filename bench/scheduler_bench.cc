// scheduler_bench: the scheduling framework at the issue's scale. 10,000
// heterogeneous GPU nodes (types and counts of Alibaba's openb GPU node list,
// replicated) and 100,000 pending tasks drawn from its openb pod list
// (GPU shares, whole GPUs, multi-GPU, GPU-type constraints), the default
// profile with the expression filter and rank on (every 10th task has
// requirements, every 20th a rank). Prints:
//   - placements per second and p50/p99 per decision, deciding one job at a
//     time (Scheduler::Place) until every task has been decided;
//   - one full cycle (Scheduler::Schedule) over the 100,000 on a fresh fleet,
//     and the next cycle with nothing changed;
//   - 4,000-rank gangs that cannot fit, decided on the filled fleet;
//   - peak resident memory.
// Targets (issue 11): >= 10,000 placements/s, a cycle < 2 s, a gang < 50 ms.
//
// Usage: scheduler_bench [data dir, default bench/data/alibaba-gpu-2023] [all|place|cycle]
//   place: only the one-at-a-time run; cycle: only the cycles and the gangs
//   (for profiling one part); all (the default): everything.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controller/matching.h"
#include "scheduler/scheduler.h"

namespace {

using namespace skyrun;
using WallClock = std::chrono::steady_clock;

constexpr int kNodes = 10000;
constexpr int kTasks = 100000;
constexpr int kGangRanks = 4000;

std::vector<std::vector<std::string>> ReadCsv(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.push_back("");
    rows.push_back(cells);
  }
  return rows;
}

int64_t GpuMemoryOf(const std::string& model) {
  if (model == "V100M32") return 32768;
  if (model == "A10") return 24576;
  if (model == "T4") return 15360;
  return 16384;
}

std::vector<Node> MakeNodes(const std::vector<std::vector<std::string>>& rows) {
  static const char* kCountries[] = {"US", "DE", "FR"};
  std::vector<Node> nodes;
  for (int i = 0; i < kNodes; ++i) {
    const auto& r = rows[static_cast<size_t>(i) % rows.size()];
    Node n;
    n.name = "node-" + std::to_string(i);
    n.backend = "local";
    n.cpus_milli = MilliCpu(std::stoll(r[1]));
    n.memory_mib = MemoryMiB(std::stoll(r[2]));
    int gpus = std::stoi(r[3]);
    for (int g = 0; g < gpus; ++g) n.gpus.push_back({g, r[4], MemoryMiB(GpuMemoryOf(r[4]))});
    n.attributes["Country"] = kCountries[(i / static_cast<int>(rows.size())) % 3];
    n.price_per_gpu_hour = 1.0;
    nodes.push_back(std::move(n));
  }
  return nodes;
}

std::vector<JobSpec> MakeTasks(const std::vector<std::vector<std::string>>& rows,
                               const std::vector<std::string>& models) {
  std::vector<JobSpec> specs;
  specs.reserve(kTasks);
  for (int i = 0; i < kTasks; ++i) {
    const auto& r = rows[static_cast<size_t>(i) % rows.size()];
    JobSpec s;
    s.name = "pod-" + std::to_string(i);
    s.resources.cpus_milli = MilliCpu(std::stoll(r[1]));
    s.resources.memory_mib = MemoryMiB(std::stoll(r[2]));
    int num_gpu = std::stoi(r[3]);
    int64_t gpu_milli = std::stoll(r[4]);
    std::vector<std::string> allowed;
    if (r.size() > 5 && !r[5].empty()) {
      std::stringstream ss(r[5]);
      std::string m;
      while (std::getline(ss, m, '|')) allowed.push_back(m);
    }
    if (num_gpu == 1 && gpu_milli > 0 && gpu_milli < 1000) {
      s.resources.gpu_milli = MilliGpu(gpu_milli);
      for (const auto& m : allowed) s.resources.accelerators[m] = 1;
    } else if (num_gpu > 0) {
      for (const auto& m : allowed.empty() ? models : allowed) s.resources.accelerators[m] = num_gpu;
    }
    if (i % 10 == 0) s.resources.requirements = R"(Country != "FR" && Cpus >= 8)";
    if (i % 20 == 0) s.resources.rank = "GpuMemoryMB";
    specs.push_back(std::move(s));
  }
  return specs;
}

// A fingerprint of decisions (where each task landed, or why it waits), so a
// change meant to be faster can show it decides exactly as before.
class Digest {
 public:
  void Add(std::string_view s) {
    for (unsigned char c : s) h_ = (h_ ^ c) * 1099511628211ULL;
    h_ = (h_ ^ 0xff) * 1099511628211ULL;
  }
  void Add(const std::optional<Placement>& placement, const std::string& reason) {
    if (!placement) {
      Add(reason);
      return;
    }
    for (const TaskPlacement& t : placement->tasks) {
      Add(t.node);
      for (int g : t.gpu_indices) Add(std::to_string(g));
      Add(std::to_string(t.gpu_milli.raw()));
    }
  }
  unsigned long long value() const { return h_; }

 private:
  unsigned long long h_ = 14695981039346656037ULL;
};

// CPU seconds this process has used: on a shared machine the wall clock
// counts other processes' turns, this does not.
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double Ms(WallClock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

struct Queue {
  std::vector<JobSpec> specs;
  std::vector<std::unique_ptr<JobMatch>> matchers;
  std::vector<PendingJob> pending;
};

Queue MakeQueue(std::vector<JobSpec> specs, FleetAds& ads) {
  Queue q;
  q.specs = std::move(specs);
  q.matchers.resize(q.specs.size());
  for (size_t i = 0; i < q.specs.size(); ++i) {
    const JobSpec& s = q.specs[i];
    PendingJob p;
    p.id = JobId(static_cast<int64_t>(i) + 1);
    p.order = static_cast<int64_t>(i);
    p.spec = &q.specs[i];
    if (!s.resources.requirements.empty() || !s.resources.rank.empty()) {
      auto m = JobMatch::Create(s, "bench", "default", ads);
      if (!m.ok()) {
        std::fprintf(stderr, "compile: %s\n", m.status().message().c_str());
        std::exit(1);
      }
      q.matchers[i] = std::move(m).value();
      p.matcher = q.matchers[i].get();
    }
    q.pending.push_back(p);
  }
  return q;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each figure as soon as it is measured
  std::string dir = argc > 1 && std::string_view(argv[1]) != "-"
                        ? argv[1]
                        : std::string(SKYRUN_SOURCE_DIR_DEFAULT) + "/bench/data/alibaba-gpu-2023";
  std::string_view phases = argc > 2 ? argv[2] : "all";
  if (phases != "all" && phases != "place" && phases != "cycle") {
    std::fprintf(stderr, "unknown part %s: say all, place or cycle\n", argv[2]);
    return 2;
  }
  auto node_rows = ReadCsv(dir + "/openb_node_list_gpu_node.csv");
  auto pod_rows = ReadCsv(dir + "/openb_pod_list_gpuspec33.csv");
  if (node_rows.empty() || pod_rows.empty()) {
    std::fprintf(stderr, "no data under %s\n", dir.c_str());
    return 2;
  }
  std::vector<Node> nodes = MakeNodes(node_rows);
  std::vector<std::string> models;
  for (const auto& n : nodes)
    if (!n.gpus.empty() && std::find(models.begin(), models.end(), n.gpus[0].model) == models.end())
      models.push_back(n.gpus[0].model);
  int64_t total_gpus = 0;
  for (const auto& n : nodes) total_gpus += static_cast<int64_t>(n.gpus.size());
  FleetAds ads;
  ads.Rebuild(nodes, nullptr);
  Queue queue = MakeQueue(MakeTasks(pod_rows, models), ads);
  std::printf(
      "fleet: %d nodes, %lld GPUs (%zu models, from %zu openb nodes); queue: %d tasks from %zu openb pods\n",
      kNodes, static_cast<long long>(total_gpus), models.size(), node_rows.size(), kTasks, pod_rows.size());

  // 1. One decision at a time.
  if (phases != "cycle") {
    Fleet fleet;
    fleet.SetNodes(nodes);
    Scheduler sched;
    std::vector<double> each;
    each.reserve(queue.pending.size());
    int64_t placed = 0;
    Digest digest;
    double cpu0 = CpuSeconds();
    auto start = WallClock::now();
    for (const PendingJob& job : queue.pending) {
      auto t0 = WallClock::now();
      PlaceOutcome o = sched.Place(job, fleet);
      each.push_back(std::chrono::duration<double, std::micro>(WallClock::now() - t0).count());
      placed += o.placement.has_value();
      digest.Add(o.placement, o.reason);
    }
    double secs = Ms(WallClock::now() - start) / 1000;
    double cpu = CpuSeconds() - cpu0;
    std::printf(
        "one job at a time: %lld placed, %lld waiting, %.2f s: %.0f placements/s, %.0f decisions/s; "
        "per decision p50 %.1f us, p99 %.1f us, max %.1f us; %zu node classes\n",
        static_cast<long long>(placed), static_cast<long long>(kTasks - placed), secs,
        static_cast<double>(placed) / secs, kTasks / secs, Percentile(each, 0.5), Percentile(each, 0.99),
        Percentile(each, 1.0), fleet.classes().size());
    std::printf("  CPU time %.2f s: %.0f placements per CPU-second; decisions digest %016llx\n", cpu,
                static_cast<double>(placed) / cpu, digest.value());
  }

  if (phases == "place") return 0;

  // 2. One full cycle over the whole queue, then the next with nothing changed.
  Fleet fleet;
  fleet.SetNodes(nodes);
  Scheduler sched;
  {
    double cpu0 = CpuSeconds();
    auto t0 = WallClock::now();
    std::vector<Decision> d = sched.Schedule(queue.pending, fleet, 0);
    double ms = Ms(WallClock::now() - t0);
    double cpu = CpuSeconds() - cpu0;
    int64_t placed =
        std::count_if(d.begin(), d.end(), [](const Decision& x) { return x.kind == Decision::Kind::kPlace; });
    const CycleStats& st = sched.last_cycle();
    std::printf(
        "full cycle: %.0f ms over %d tasks: %lld placed (%.0f placements/s), %lld planned, %lld waiting like "
        "an earlier identical job\n",
        ms, kTasks, static_cast<long long>(placed), static_cast<double>(placed) / (ms / 1000),
        static_cast<long long>(st.planned), static_cast<long long>(st.equivalent));
    Digest digest;
    for (const Decision& x : d)
      digest.Add(x.kind == Decision::Kind::kPlace ? std::optional(x.placement) : std::nullopt, x.reason);
    std::printf("  CPU time %.2f s; decisions digest %016llx\n", cpu, digest.value());
    size_t live = 0;
    for (const Fleet::Level& level : fleet.levels()) live += level.classes.size();
    std::printf("  %zu node classes made, %zu with nodes now\n", fleet.classes().size(), live);
    std::unordered_map<JobId, const PendingJob*> by_id;
    for (const PendingJob& p : queue.pending) by_id[p.id] = &p;
    std::vector<PendingJob> waiting;
    for (const Decision& x : d)
      if (x.kind == Decision::Kind::kWait) waiting.push_back(*by_id.at(x.job));
    auto t1 = WallClock::now();
    std::vector<Decision> again = sched.Schedule(waiting, fleet, 1);
    std::printf("next cycle, nothing changed: %.1f ms over %zu waiting jobs (%lld not planned again)\n",
                Ms(WallClock::now() - t1), waiting.size(),
                static_cast<long long>(sched.last_cycle().unchanged));
    if (!again.empty()) std::printf("  e.g. %s\n", again.back().reason.substr(0, 300).c_str());
  }

  // 3. 4,000-rank gangs that cannot fit, on the filled fleet.
  struct GangCase {
    const char* what;
    std::string requirements;
    std::map<std::string, int> accelerators;
    int64_t cpus_milli;
  };
  std::vector<GangCase> gangs = {
      {"4,000 x 8 GPU of any model (caught by the gang-capacity pre-filter)", "", {}, 1000},
      {"4,000 x 1 GPU, 1 CPU, with requirements Country == \"US\" (planned rank by rank)",
       R"(Country == "US")",
       {},
       1000},
  };
  for (auto& m : models) gangs[0].accelerators[m] = 8;
  for (auto& m : models) gangs[1].accelerators[m] = 1;
  for (const GangCase& g : gangs) {
    JobSpec spec;
    spec.name = "gang";
    spec.mode = JobMode::kGang;
    spec.num_nodes = kGangRanks;
    spec.resources.cpus_milli = MilliCpu(g.cpus_milli);
    spec.resources.accelerators = g.accelerators;
    spec.resources.requirements = g.requirements;
    std::unique_ptr<JobMatch> m;
    PendingJob p;
    p.id = JobId(10'000'000);
    p.spec = &spec;
    if (!g.requirements.empty()) {
      auto made = JobMatch::Create(spec, "bench", "default", ads);
      if (!made.ok()) return 1;
      m = std::move(made).value();
      p.matcher = m.get();
    }
    double cpu0 = CpuSeconds();
    auto t0 = WallClock::now();
    PlaceOutcome o = sched.Place(p, fleet);
    double ms = Ms(WallClock::now() - t0);
    double cpu_ms = (CpuSeconds() - cpu0) * 1000;
    Digest digest;
    digest.Add(o.placement, o.reason);
    std::printf("gang %s: %s in %.2f ms (CPU %.2f ms)\n  %s\n  decision digest %016llx\n", g.what,
                o.placement ? "PLACED" : "waits", ms, cpu_ms, o.reason.substr(0, 300).c_str(),
                digest.value());
    if (o.placement)
      for (const auto& t : o.placement->tasks) fleet.Unreserve(t);
  }

  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("peak RSS: %.0f MiB\n", static_cast<double>(ru.ru_maxrss) / 1024);
  return 0;
}
