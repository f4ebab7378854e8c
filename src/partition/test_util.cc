#include "partition/test_util.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <numeric>

#include "partition/profile_csv.h"
#include "support/golden.h"

namespace skyrun::partition::testing {

ModelProfile RandomModel(Rng& rng, int units) {
  ModelProfile model;
  model.name = "random";
  for (int u = 0; u < units; ++u) {
    Unit unit;
    unit.name = "u" + std::to_string(u);
    unit.fwd_flops = rng.UniformInt(0, 9) == 0 ? 0 : rng.UniformInt(1, 1000);
    unit.bwd_flops = rng.UniformInt(0, 2 * unit.fwd_flops);
    unit.param_bytes = rng.UniformInt(0, 4) << 20;
    unit.act_bytes = rng.UniformInt(0, 6) << 20;
    unit.out_bytes = rng.UniformInt(0, 100000);
    unit.mem_bytes = TrainingMemoryBytes(unit.param_bytes, unit.act_bytes);
    model.units.push_back(unit);
  }
  return model;
}

DeviceSet RandomDevices(Rng& rng, const ModelProfile& model, const RandomSpec& spec) {
  DeviceSet set;
  int64_t total_mib = 0;
  for (const Unit& u : model.units) total_mib += u.mem_bytes >> 20;
  int64_t average = std::max<int64_t>(1, total_mib / spec.devices);
  for (int d = 0; d < spec.devices; ++d) {
    DeviceProfile dev;
    dev.name = "d" + std::to_string(d);
    dev.slowness_milli = rng.UniformInt(0, 2) == 0 ? 1000 * rng.UniformInt(1, 7) : rng.UniformInt(500, 9999);
    dev.memory_mib = spec.tight_memory ? rng.UniformInt(average / 2, 2 * average + 10)
                                       : rng.UniformInt(3 * average, 6 * average + 40);
    if (spec.links) {
      dev.bandwidth_bps = rng.UniformInt(10'000'000, 10'000'000'000);
      dev.latency_ns = rng.UniformInt(0, 200'000);
    }
    set.devices.push_back(dev);
  }
  if (spec.links) {
    // Some explicit, asymmetric pairs on top of the per-device values.
    for (int k = 0; k < spec.devices; ++k) {
      int a = static_cast<int>(rng.UniformInt(0, spec.devices - 1));
      int b = static_cast<int>(rng.UniformInt(0, spec.devices - 1));
      if (a == b) continue;
      set.links.push_back({a, b, rng.UniformInt(50'000'000, 20'000'000'000), rng.UniformInt(0, 500'000)});
    }
  }
  set.ref_flops_per_second = 10'000'000;  // links comparable with compute on these tiny models
  return set;
}

Instance RandomInstance(Rng& rng, const RandomSpec& spec) {
  ModelProfile model = RandomModel(rng, spec.units);
  DeviceSet set = RandomDevices(rng, model, spec);
  auto in = Instance::Build(model, set);
  if (!in.ok()) std::abort();
  return std::move(in).value();
}

namespace {

// Calls visit(cuts) for every split of the units over the positions.
void ForEachSplit(int n, int d, bool allow_idle, const std::function<void(const std::vector<int>&)>& visit) {
  std::vector<int> cuts(d + 1, 0);
  std::function<void(int)> rec = [&](int p) {
    if (p == d - 1) {
      cuts[d] = n;
      if (!allow_idle && cuts[d - 1] >= n) return;
      visit(cuts);
      return;
    }
    for (int e = cuts[p] + (allow_idle ? 0 : 1); e <= n; ++e) {
      cuts[p + 1] = e;
      rec(p + 1);
    }
  };
  rec(0);
}

Load SplitBottleneck(const Instance& in, const std::vector<int>& order, const std::vector<int>& cuts,
                     bool with_links) {
  Load worst = 0;
  int previous = -1;
  for (size_t p = 0; p + 1 < cuts.size(); ++p) {
    if (cuts[p] == cuts[p + 1]) continue;
    int dev = order[p];
    if (in.Memory(cuts[p], cuts[p + 1]) > in.memory_cap_bytes(dev)) return kInfiniteLoad;
    worst = std::max(worst, in.StageLoad(dev, cuts[p], cuts[p + 1]));
    if (with_links && previous >= 0) worst = std::max(worst, in.LinkLoad(order[previous], dev, cuts[p]));
    previous = static_cast<int>(p);
  }
  return worst;
}

}  // namespace

Load BruteForceBottleneck(const Instance& in, const std::vector<int>& order, bool allow_idle,
                          bool with_links) {
  Load best = kInfiniteLoad;
  ForEachSplit(in.units(), static_cast<int>(order.size()), allow_idle, [&](const std::vector<int>& cuts) {
    best = std::min(best, SplitBottleneck(in, order, cuts, with_links));
  });
  return best;
}

Load BruteForceMinSum(const Instance& in, const std::vector<int>& order, bool allow_idle, Load bound) {
  Load best = kInfiniteLoad;
  ForEachSplit(in.units(), static_cast<int>(order.size()), allow_idle, [&](const std::vector<int>& cuts) {
    if (SplitBottleneck(in, order, cuts, false) > bound) return;
    Load sum = 0;
    for (size_t p = 0; p + 1 < cuts.size(); ++p) sum += in.StageLoad(order[p], cuts[p], cuts[p + 1]);
    best = std::min(best, sum);
  });
  return best;
}

Load BruteForceFreeOrder(const Instance& in, bool allow_idle, bool with_links) {
  std::vector<int> order(in.devices());
  std::iota(order.begin(), order.end(), 0);
  Load best = kInfiniteLoad;
  do {
    best = std::min(best, BruteForceBottleneck(in, order, allow_idle, with_links));
  } while (std::next_permutation(order.begin(), order.end()));
  return best;
}

std::string TestDataDir() {
  return (test_support::SourceDir() / "tests" / "partition").string();
}

std::string ReadTestFile(const std::string& name) {
  auto text = ReadTextFile(TestDataDir() + "/" + name);
  if (!text.ok()) {
    std::fprintf(stderr, "test data missing: %s\n", text.status().ToString().c_str());
    std::abort();
  }
  return *text;
}

}  // namespace skyrun::partition::testing
