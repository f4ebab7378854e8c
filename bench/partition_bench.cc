// Layer partition benchmarks (src/partition): 64 devices x 483 units (BERT-large
// with 160 encoder layers, batch 32, sequence 128), devices drawn as in the
// experiment (slowness 1+U{1..6}, memory classes 16-80 GiB scaled to the even
// split). Targets (docs/DESIGN.md): exact fixed-order partition < 5 ms; the
// dynamic program with communication < 100 ms.
//   build-*/bench/partition_bench [--benchmark_filter=Exact]
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "common/rng.h"
#include "partition/allocator.h"
#include "partition/bert.h"
#include "partition/experiment.h"
#include "partition/instance.h"
#include "partition/lower_bound.h"

namespace skyrun::partition {
namespace {

struct Fixture {
  ModelProfile model;
  DeviceSet devices;
};

Fixture Make(int devices, int layers, bool links) {
  BertConfig bert;
  bert.layers = layers;
  auto model = BertProfile(bert);
  if (!model.ok()) std::abort();
  Rng rng(2022);
  ExperimentConfig config;
  Fixture f{*model, MakeExperimentDevices(*model, devices, config, rng)};
  if (links) {
    for (auto& d : f.devices.devices) {
      d.bandwidth_bps = rng.UniformInt(10, 100) * 1'000'000'000;  // 10-100 Gbit/s
      d.latency_ns = rng.UniformInt(2, 50) * 1'000;               // 2-50 us
    }
  }
  return f;
}

const Instance& BertInstance(bool links) {
  static const Instance plain = [] {
    Fixture f = Make(64, 160, false);
    return *Instance::Build(f.model, f.devices);
  }();
  static const Instance linked = [] {
    Fixture f = Make(64, 160, true);
    return *Instance::Build(f.model, f.devices);
  }();
  return links ? linked : plain;
}

void BM_InstanceBuild(benchmark::State& state) {
  Fixture f = Make(64, 160, true);
  for (auto _ : state) benchmark::DoNotOptimize(Instance::Build(f.model, f.devices));
}
BENCHMARK(BM_InstanceBuild)->Unit(benchmark::kMicrosecond);

void BM_Even(benchmark::State& state) {
  const Instance& in = BertInstance(false);
  for (auto _ : state) benchmark::DoNotOptimize(AllocateEven(in, IdentityOrder(in.devices()), {}));
}
BENCHMARK(BM_Even)->Unit(benchmark::kMicrosecond);

void BM_Heuristic(benchmark::State& state) {
  const Instance& in = BertInstance(false);
  for (auto _ : state) benchmark::DoNotOptimize(AllocateHeuristic(in, IdentityOrder(in.devices()), {}));
}
BENCHMARK(BM_Heuristic)->Unit(benchmark::kMillisecond);

// The exact fixed-order partition: optimal bottleneck by bisection, then the
// least-total split at that bottleneck.
void BM_ExactFixedOrder(benchmark::State& state) {
  const Instance& in = BertInstance(false);
  for (auto _ : state) benchmark::DoNotOptimize(AllocateExact(in, IdentityOrder(in.devices()), {}));
  state.counters["units"] = in.units();
  state.counters["devices"] = in.devices();
}
BENCHMARK(BM_ExactFixedOrder)->Unit(benchmark::kMillisecond);

void BM_ExactBottleneckOnly(benchmark::State& state) {
  const Instance& in = BertInstance(false);
  for (auto _ : state) benchmark::DoNotOptimize(ExactBottleneck(in, IdentityOrder(in.devices()), true));
}
BENCHMARK(BM_ExactBottleneckOnly)->Unit(benchmark::kMillisecond);

// The dynamic program with per-boundary communication (optimum and split).
void BM_ExactCommDp(benchmark::State& state) {
  const Instance& in = BertInstance(true);
  for (auto _ : state) benchmark::DoNotOptimize(AllocateExactComm(in, IdentityOrder(in.devices()), {}));
}
BENCHMARK(BM_ExactCommDp)->Unit(benchmark::kMillisecond);

void BM_ExactCommDpNoIdle(benchmark::State& state) {
  const Instance& in = BertInstance(true);
  AllocOptions options;
  options.allow_idle = false;
  for (auto _ : state) benchmark::DoNotOptimize(AllocateExactComm(in, IdentityOrder(in.devices()), options));
}
BENCHMARK(BM_ExactCommDpNoIdle)->Unit(benchmark::kMillisecond);

void BM_LowerBound(benchmark::State& state) {
  const Instance& in = BertInstance(false);
  for (auto _ : state) benchmark::DoNotOptimize(ComputeLowerBound(in));
}
BENCHMARK(BM_LowerBound)->Unit(benchmark::kMicrosecond);

// Free order: local search with up to 2000 orders tried (no links).
void BM_OrderedNoLinks(benchmark::State& state) {
  const Instance& in = BertInstance(false);
  for (auto _ : state) benchmark::DoNotOptimize(AllocateOrdered(in, {}));
}
BENCHMARK(BM_OrderedNoLinks)->Unit(benchmark::kMillisecond);

void BM_OrderedWithLinks(benchmark::State& state) {
  const Instance& in = BertInstance(true);
  for (auto _ : state) benchmark::DoNotOptimize(AllocateOrdered(in, {}));
}
BENCHMARK(BM_OrderedWithLinks)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace skyrun::partition

BENCHMARK_MAIN();
