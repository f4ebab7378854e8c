// Catalog benchmarks (src/catalog): loading the built-in catalog (four
// SkyPilot-format files, 3,640 rows, GCP VM and GPU rows joined), selecting
// and ranking the A100 x 8 offers, and an egress cost. The optimizer and
// `skyrun offers` pay the load once per process; the selection is what
// `skyrun offers` does per call.
//   build/bench/catalog_bench [--benchmark_filter=Load]
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "catalog/catalog.h"
#include "catalog/offers_cli.h"

namespace skyrun::catalog {
namespace {

std::string Dir() {
  const char* source = std::getenv("SKYRUN_SOURCE_DIR");
  return source && *source ? std::string(source) + "/data/catalog" : BuiltinCatalogDir();
}

void BM_LoadBuiltinCatalog(benchmark::State& state) {
  const std::string dir = Dir();
  size_t offers = 0;
  for (auto _ : state) {
    auto catalog = Catalog::LoadDir(dir);
    if (!catalog.ok()) std::abort();
    offers = catalog->offers().size();
    benchmark::DoNotOptimize(offers);
  }
  state.counters["offers"] = static_cast<double>(offers);
}
BENCHMARK(BM_LoadBuiltinCatalog)->Unit(benchmark::kMillisecond);

void BM_SelectA100x8(benchmark::State& state) {
  auto catalog = Catalog::LoadDir(Dir());
  if (!catalog.ok()) std::abort();
  OfferFilter filter;
  if (!ParseAcceleratorArg("A100:8", &filter).ok()) std::abort();
  for (auto _ : state) benchmark::DoNotOptimize(SelectOffers(*catalog, filter));
}
BENCHMARK(BM_SelectA100x8)->Unit(benchmark::kMicrosecond);

void BM_EgressCost(benchmark::State& state) {
  auto catalog = Catalog::LoadDir(Dir());
  if (!catalog.ok()) std::abort();
  double gb = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(catalog->EgressCost({"gcp", "us-central1"}, {"gcp", "europe-west4"}, gb));
    benchmark::DoNotOptimize(catalog->EgressCost({"aws", "us-east-1"}, {"gcp", "us-central1"}, gb));
    gb += 1;
  }
}
BENCHMARK(BM_EgressCost);

}  // namespace
}  // namespace skyrun::catalog

BENCHMARK_MAIN();
