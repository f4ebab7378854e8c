// store_bench: durable job submissions into the SQLite store (WAL,
// synchronous=FULL, group commit): throughput and latency percentiles with 1,
// 4 and 16 concurrent submitting threads, each run into a fresh temp dir.
//
//   build-*/bench/store_bench [--jobs N] [--dir BASE]
//
// N (default 8000) jobs per configuration, split among its threads (the
// one-thread run does N/4, as it is the slowest); BASE is where the temp dirs
// go (default $TMPDIR or /tmp): put it on the disk you want to measure.
//
// Target (DESIGN.md): >= 2,000 durable submissions/s from 16 threads, p99 < 25 ms.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "store/sqlite_store.h"

namespace skyrun {
namespace {

// A realistic submission: a two-node gang job with a spec of ~700 bytes.
JobRecord BenchJob(int thread, int i) {
  JobRecord job;
  job.name = "bench-" + std::to_string(thread) + "-" + std::to_string(i);
  job.queue = "research";
  job.priority = 100;
  job.spec.name = job.name;
  job.spec.mode = JobMode::kGang;
  job.spec.num_nodes = 2;
  job.spec_file = "bert.yaml";
  job.spec_yaml =
      "name: " + job.name +
      "\nqueue: research\npriority: 100\nmode: gang\nnum_nodes: 2\nresources:\n  accelerators: A100:8\n"
      "  cpus: 8+\n  memory: 64+\n  use_spot: true\n"
      "  requirements: 'GpuMemoryMB >= 40000 && member(Country, {\"US\", \"DE\"})'\n"
      "  rank: '-HourlyPrice'\n  infra: [local, slurm/hpc1, aws/us-east-1]\n  max_hourly_cost: 40\n"
      "envs: {MODEL: bert-large}\nworkdir: ./train\nfile_mounts: {/data: ./data}\n"
      "inputs:  [{uri: s3://bucket/mnli, size_gb: 2, location: aws/us-east-1}]\n"
      "setup: pip install -r requirements.txt\n"
      "run: torchrun --nnodes=$SKYRUN_NUM_NODES --node_rank=$SKYRUN_NODE_RANK train.py\n"
      "checkpoint: {dir: /ckpt}\nrecovery: {strategy: failover, max_restarts_on_errors: 3}\n";
  return job;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t k = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(k, v.size() - 1)];
}

int RunOne(const std::string& base, int threads, int per_thread) {
  std::string tmpl = base + "/skyrun-store-bench-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::fprintf(stderr, "store_bench: cannot make a temp dir under %s\n", base.c_str());
    return 1;
  }
  const std::string dir = tmpl;
  int rc = 0;
  {
    SimulatedClock clock(1);  // timestamps are irrelevant here; latency is measured below
    auto opened = SqliteStore::Open(dir, &clock, SpecDecoder());
    if (!opened.ok()) {
      std::fprintf(stderr, "store_bench: %s\n", opened.status().ToString().c_str());
      return 1;
    }
    SqliteStore& store = **opened;
    std::vector<std::vector<double>> latencies(static_cast<size_t>(threads));
    std::vector<int> errors(static_cast<size_t>(threads), 0);
    using Steady = std::chrono::steady_clock;
    const auto start = Steady::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        auto& mine = latencies[static_cast<size_t>(t)];
        mine.reserve(static_cast<size_t>(per_thread));
        for (int i = 0; i < per_thread; ++i) {
          JobRecord job = BenchJob(t, i);
          const auto t0 = Steady::now();
          auto id = store.CreateJob(job);
          const auto t1 = Steady::now();
          if (!id.ok()) ++errors[static_cast<size_t>(t)];
          mine.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
      });
    }
    for (auto& w : workers) w.join();
    const double seconds = std::chrono::duration<double>(Steady::now() - start).count();

    std::vector<double> all;
    int error_count = 0;
    for (int t = 0; t < threads; ++t) {
      all.insert(all.end(), latencies[static_cast<size_t>(t)].begin(),
                 latencies[static_cast<size_t>(t)].end());
      error_count += errors[static_cast<size_t>(t)];
    }
    auto stats = store.commit_stats();
    auto checkpoints = store.checkpoint_stats();
    std::printf(
        "threads=%-3d jobs=%-6zu  %8.0f jobs/s   p50 %6.2f ms   p99 %6.2f ms   max %6.2f ms   "
        "commits=%lld (%.1f jobs/commit, max %lld)   checkpoints=%lld+%lld inline%s\n",
        threads, all.size(), static_cast<double>(all.size()) / seconds, Percentile(all, 0.50),
        Percentile(all, 0.99), Percentile(all, 1.0), static_cast<long long>(stats.commits),
        static_cast<double>(stats.units) / static_cast<double>(std::max<int64_t>(stats.commits, 1)),
        static_cast<long long>(stats.max_batch), static_cast<long long>(checkpoints.background),
        static_cast<long long>(checkpoints.inline_runs),
        error_count > 0 ? ("   ERRORS=" + std::to_string(error_count)).c_str() : "");
    if (error_count > 0) rc = 1;
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return rc;
}

}  // namespace
}  // namespace skyrun

int main(int argc, char** argv) {
  int jobs = 8000;
  const char* tmp = std::getenv("TMPDIR");
  std::string base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--jobs") == 0 && i + 1 < argc) {
      jobs = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
      base = argv[++i];
    } else {
      std::fprintf(stderr, "usage: store_bench [--jobs N (per configuration)] [--dir BASE]\n");
      return 2;
    }
  }
  std::printf("store_bench: CreateJob into a fresh SQLite store (WAL, synchronous=FULL), under %s\n",
              base.c_str());
  int rc = 0;
  for (int threads : {1, 4, 16}) {
    int per_thread = std::max(1, (threads == 1 ? jobs / 4 : jobs / threads));
    rc |= skyrun::RunOne(base, threads, per_thread);
  }
  return rc;
}
