// optimizer_bench: Optimize() on a 3-stage pipeline over the whole built-in
// catalog (every offer of aws, gcp, azure and lambda), target < 10 ms.
// SkyPilot's issue #3159 reports 1.75-5 s of optimizing per `sky launch`
// (4.35 s of a 4.76 s launch). The catalog is loaded once, outside the timing,
// as a server holds it.
//
// Stages: prep (8+ CPUs, a 1 TB input in aws/us-east-1, 50 GB out) -> train
// (A100:8 or H100:8, spot accepted, checkpointing, 5 GB out) -> eval (one L4,
// A10G or T4). A second figure adds a requirements expression to every stage
// (Continent == "NA" || Continent == "EU"), so each surviving offer's ad is
// built and matched.
//
// Usage: optimizer_bench [catalog dir] [iterations, default 300]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "optimizer/market_catalog.h"
#include "optimizer/optimizer.h"

namespace {

using namespace skyrun;
using Clock = std::chrono::steady_clock;

// This thread's CPU time: on a loaded machine the wall clock also counts
// the time other processes held the cores.
double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

std::vector<JobSpec> Pipeline(const std::string& requirements) {
  JobSpec prep;
  prep.name = "prep";
  prep.resources.cpus_milli = MilliCpu(8000);
  prep.inputs = {DataRef{"s3://corpus/raw", 1000, "aws/us-east-1", ""}};
  prep.outputs = {DataRef{"s3://corpus/shards", 50, "", ""}};
  JobSpec train;
  train.name = "train";
  train.depends_on = {"prep"};
  train.resources.accelerators = {{"A100", 8}, {"H100", 8}};
  train.resources.cpus_milli = MilliCpu(8000);
  train.resources.use_spot = true;
  train.checkpoint_dir = "/ckpt";
  train.outputs = {DataRef{"s3://corpus/model", 5, "", ""}};
  JobSpec eval;
  eval.name = "eval";
  eval.depends_on = {"train"};
  eval.resources.accelerators = {{"L4", 1}, {"A10G", 1}, {"T4", 1}};
  for (JobSpec* s : {&prep, &train, &eval}) s->resources.requirements = requirements;
  return {prep, train, eval};
}

void Measure(const char* label, const Market& market, const std::vector<JobSpec>& stages, int iterations) {
  PlanRequest request;
  request.stages = stages;
  request.hours = 10;
  std::vector<double> ms;
  std::vector<double> cpu_ms;
  size_t candidates = 0;
  size_t plans = 0;
  std::string best;
  for (int i = 0; i < iterations + 5; ++i) {
    auto start = Clock::now();
    double cpu_start = ThreadCpuMs();
    auto result = Optimize(request, market);
    double cpu = ThreadCpuMs() - cpu_start;
    double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (!result.ok()) {
      std::fprintf(stderr, "optimize failed: %s\n", result.status().ToString().c_str());
      std::exit(1);
    }
    if (i < 5) continue;  // warm-up
    ms.push_back(elapsed);
    cpu_ms.push_back(cpu);
    candidates = 0;
    for (const auto& s : result->stages) candidates += s.candidates;
    plans = result->plans.size();
    if (!result->plans.empty()) best = result->explanation.substr(0, result->explanation.find(". "));
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu_ms.begin(), cpu_ms.end());
  auto pct = [](const std::vector<double>& v, double p) {
    return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
  };
  std::printf(
      "%-38s wall p50 %6.3f ms  p99 %6.3f ms | cpu p50 %6.3f ms  p99 %6.3f ms  (%zu candidates, %zu plans)\n",
      label, pct(ms, 0.50), pct(ms, 0.99), pct(cpu_ms, 0.50), pct(cpu_ms, 0.99), candidates, plans);
  std::printf("  %s\n", best.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : SKYRUN_BENCH_CATALOG_DIR;
  int iterations = argc > 2 ? std::atoi(argv[2]) : 300;
  if (iterations < 1) iterations = 1;
  auto catalog = Catalog::LoadDir(dir);
  if (!catalog.ok()) {
    std::fprintf(stderr, "cannot load the catalog %s: %s\n", dir.c_str(),
                 catalog.status().ToString().c_str());
    return 1;
  }
  Market market = MarketOf(*catalog);
  std::printf("catalog %s: %zu offers; %d iterations per figure\n", dir.c_str(), catalog->offers().size(),
              iterations);
  Measure("3-stage pipeline, whole catalog", market, Pipeline(""), iterations);
  Measure("3-stage pipeline, with requirements", market,
          Pipeline("Continent == \"NA\" || Continent == \"EU\""), iterations);
  return 0;
}
