#include "partition/experiment.h"

#include <fmt/format.h>

#include <algorithm>

#include "partition/allocator.h"
#include "partition/assignment.h"
#include "partition/bert.h"
#include "partition/instance.h"
#include "partition/lower_bound.h"

namespace skyrun::partition {
namespace {

constexpr int64_t kSmallestClassGiB = 16;

uint64_t InstanceSeed(uint64_t base, int seed, int devices, int layers) {
  uint64_t x = base ^ (static_cast<uint64_t>(seed) * 0x9E3779B97F4A7C15ULL);
  x ^= static_cast<uint64_t>(devices) << 32;
  x ^= static_cast<uint64_t>(layers) << 12;
  return x;
}

double Cut(Load value, Load base) {
  return base > 0 ? 100.0 * (1.0 - static_cast<double>(value) / static_cast<double>(base)) : 0.0;
}
double Cut(double value, double base) {
  return base > 0 ? 100.0 * (1.0 - value / base) : 0.0;
}

}  // namespace

DeviceSet MakeExperimentDevices(const ModelProfile& model, int devices, const ExperimentConfig& config,
                                Rng& rng) {
  DeviceSet set;
  // The largest stage of the even split, in bytes.
  const int n = static_cast<int>(model.units.size());
  const int q = n / devices, extra = n % devices;
  Load largest = 0;
  for (int p = 0, first = 0; p < devices; ++p) {
    int count = q + (p < extra ? 1 : 0);
    Load mem = 0;
    for (int u = first; u < first + count; ++u) mem += model.units[u].mem_bytes;
    largest = std::max(largest, mem);
    first += count;
  }
  for (int dev = 0; dev < devices; ++dev) {
    DeviceProfile d;
    d.name = fmt::format("dev{:02d}", dev);
    d.slowness_milli = (1 + rng.UniformInt(1, 6)) * kSlownessScale;
    int64_t gib = config.memory_classes_gib[rng.UniformInt(
        0, static_cast<int64_t>(config.memory_classes_gib.size()) - 1)];
    d.memory_mib = static_cast<int64_t>(CeilDiv(largest * gib, static_cast<Load>(kSmallestClassGiB) << 20));
    set.devices.push_back(d);
  }
  return set;
}

Result<ExperimentResult> RunExperiment(const ExperimentConfig& config) {
  if (config.seeds < 1) return InvalidArgument("--seeds must be at least 1");
  if (config.device_counts.empty() || config.encoder_layers.empty()) {
    return InvalidArgument("the experiment needs at least one device count and one layer count");
  }
  for (int d : config.device_counts)
    if (d < 1 || d > 4096) return InvalidArgument("device counts must be between 1 and 4096");
  for (int l : config.encoder_layers)
    if (l < 1 || l > 10000) return InvalidArgument("layer counts must be between 1 and 10000");
  if (config.memory_classes_gib.empty() ||
      *std::min_element(config.memory_classes_gib.begin(), config.memory_classes_gib.end()) <
          kSmallestClassGiB) {
    return InvalidArgument("memory classes must be at least 16 GiB");
  }
  ExperimentResult result;
  result.config = config;
  AllocOptions alloc;
  alloc.order_max_evaluations = config.order_max_evaluations;
  alloc.heuristic_pair_balance = config.heuristic_pair_balance;
  for (int layers : config.encoder_layers) {
    BertConfig bert;
    bert.layers = layers;
    SKYRUN_ASSIGN_OR_RETURN(ModelProfile model, BertProfile(bert));
    for (int devices : config.device_counts) {
      ExperimentPoint point;
      point.devices = devices;
      point.layers = layers;
      point.units = static_cast<int>(model.units.size());
      for (int seed = 0; seed < config.seeds; ++seed) {
        Rng rng(InstanceSeed(config.base_seed, seed, devices, layers));
        DeviceSet set = MakeExperimentDevices(model, devices, config, rng);
        result.ref_flops_per_second = set.ref_flops_per_second;
        SKYRUN_ASSIGN_OR_RETURN(Instance in, Instance::Build(model, set));
        const std::vector<int> order = IdentityOrder(devices);
        alloc.seed = InstanceSeed(config.base_seed, seed, devices, layers);
        AllocResult even = AllocateEven(in, order, alloc);
        AllocResult heuristic = AllocateHeuristic(in, order, alloc);
        AllocResult exact = AllocateExact(in, order, alloc);
        AllocResult ordered = config.include_ordered ? AllocateOrdered(in, alloc) : exact;
        LowerBound lb = ComputeLowerBound(in);
        ExperimentRun run;
        run.devices = devices;
        run.layers = layers;
        run.seed = seed;
        run.all_feasible =
            even.feasible && heuristic.feasible && exact.feasible && ordered.feasible && lb.feasible;
        if (run.all_feasible) {
          Evaluation e = Evaluate(in, even.assignment, config.micro_batches);
          Evaluation h = Evaluate(in, heuristic.assignment, config.micro_batches);
          Evaluation x = Evaluate(in, exact.assignment, config.micro_batches);
          Evaluation o = Evaluate(in, ordered.assignment, config.micro_batches);
          run.even = e.max_load, run.heuristic = h.max_load, run.exact = x.max_load, run.ordered = o.max_load;
          run.even_sum = e.sum_load, run.heuristic_sum = h.sum_load, run.exact_sum = x.sum_load;
          run.ordered_sum = o.sum_load;
          run.even_micro = e.microbatch_seconds, run.heuristic_micro = h.microbatch_seconds;
          run.exact_micro = x.microbatch_seconds, run.ordered_micro = o.microbatch_seconds;
          run.lower_bound = lb.value;
          run.order_holds = run.lower_bound <= run.ordered && run.ordered <= run.exact &&
                            run.exact <= run.heuristic && run.heuristic <= run.even;
        }
        if (!run.order_holds) ++point.violations;
        const int64_t ref = set.ref_flops_per_second;
        point.even_s += LoadToSeconds(run.even, ref);
        point.heuristic_s += LoadToSeconds(run.heuristic, ref);
        point.exact_s += LoadToSeconds(run.exact, ref);
        point.ordered_s += LoadToSeconds(run.ordered, ref);
        point.lower_bound_s += LoadToSeconds(run.lower_bound, ref);
        point.heuristic_cut += Cut(run.heuristic, run.even);
        point.exact_cut += Cut(run.exact, run.even);
        point.ordered_cut += Cut(run.ordered, run.even);
        point.lower_bound_cut += Cut(run.lower_bound, run.even);
        point.heuristic_seq_cut += Cut(run.heuristic_sum, run.even_sum);
        point.exact_seq_cut += Cut(run.exact_sum, run.even_sum);
        point.ordered_seq_cut += Cut(run.ordered_sum, run.even_sum);
        point.heuristic_micro_cut += Cut(run.heuristic_micro, run.even_micro);
        point.exact_micro_cut += Cut(run.exact_micro, run.even_micro);
        point.ordered_micro_cut += Cut(run.ordered_micro, run.even_micro);
        if (run.lower_bound > 0) {
          point.exact_gap +=
              100.0 * (static_cast<double>(run.exact) / static_cast<double>(run.lower_bound) - 1.0);
        }
        ++point.runs;
        result.runs.push_back(run);
      }
      const double k = point.runs;
      for (double* v :
           {&point.even_s, &point.heuristic_s, &point.exact_s, &point.ordered_s, &point.lower_bound_s,
            &point.heuristic_cut, &point.exact_cut, &point.ordered_cut, &point.lower_bound_cut,
            &point.heuristic_seq_cut, &point.exact_seq_cut, &point.ordered_seq_cut,
            &point.heuristic_micro_cut, &point.exact_micro_cut, &point.ordered_micro_cut, &point.exact_gap}) {
        *v /= k;
      }
      result.violations += point.violations;
      result.points.push_back(point);
    }
  }
  return result;
}

std::string ExperimentTableMarkdown(const ExperimentResult& r) {
  std::string out;
  out += fmt::format(
      "BERT-large (batch 32, sequence 128), slowness 1+U{{1..6}}, {} seeds per point; time per iteration in "
      "the "
      "pipelined model (bottleneck) at {:.4g} TFLOP/s for slowness 1; reductions are vs even, averaged over "
      "seeds.\n\n",
      r.config.seeds, static_cast<double>(r.ref_flops_per_second) / 1e12);
  out +=
      "| devices | layers | units | even s | heuristic s | exact s | free order s | lower bound s | "
      "heuristic | exact "
      "| free order | bound | exact gap | seq: heur. | seq: exact | " +
      fmt::format("{} mb: heur. | {} mb: exact", r.config.micro_batches, r.config.micro_batches) +
      " | violations |\n";
  out += "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& p : r.points) {
    out += fmt::format(
        "| {} | {} | {} | {:.3f} | {:.3f} | {:.3f} | {:.3f} | {:.3f} | -{:.1f}% | -{:.1f}% | -{:.1f}% | "
        "-{:.1f}% | "
        "+{:.2f}% | -{:.1f}% | -{:.1f}% | -{:.1f}% | -{:.1f}% | {} |\n",
        p.devices, p.layers, p.units, p.even_s, p.heuristic_s, p.exact_s, p.ordered_s, p.lower_bound_s,
        p.heuristic_cut, p.exact_cut, p.ordered_cut, p.lower_bound_cut, p.exact_gap, p.heuristic_seq_cut,
        p.exact_seq_cut, p.heuristic_micro_cut, p.exact_micro_cut, p.violations);
  }
  for (const auto& p : r.points) {
    if (p.devices == 64 && p.layers == 160) {
      out += fmt::format(
          "\nAt 64 devices x 160 layers: heuristic -{:.1f}%, exact -{:.1f}%, free order -{:.1f}% time per "
          "iteration "
          "vs even (pipelined); sequential model: heuristic -{:.1f}%, exact -{:.1f}%; seed 000 reports "
          "-{:.0f}%.\n",
          p.heuristic_cut, p.exact_cut, p.ordered_cut, p.heuristic_seq_cut, p.exact_seq_cut,
          kSeedReductionPercent);
    }
  }
  out += fmt::format("\nInstances where lower bound <= free order <= exact <= heuristic <= even fails: {}\n",
                     r.violations);
  return out;
}

std::string ExperimentCsv(const ExperimentResult& r) {
  std::string out =
      "devices,layers,seed,even,heuristic,exact,ordered,lower_bound,even_sum,heuristic_sum,exact_sum,ordered_"
      "sum,"
      "even_micro_s,heuristic_micro_s,exact_micro_s,ordered_micro_s,order_holds\n";
  for (const auto& run : r.runs) {
    out += fmt::format(
        "{},{},{},{},{},{},{},{},{},{},{},{},{:.6f},{:.6f},{:.6f},{:.6f},{}\n", run.devices, run.layers,
        run.seed, LoadToString(run.even / kSlownessScale), LoadToString(run.heuristic / kSlownessScale),
        LoadToString(run.exact / kSlownessScale), LoadToString(run.ordered / kSlownessScale),
        LoadToString(run.lower_bound / kSlownessScale), LoadToString(run.even_sum / kSlownessScale),
        LoadToString(run.heuristic_sum / kSlownessScale), LoadToString(run.exact_sum / kSlownessScale),
        LoadToString(run.ordered_sum / kSlownessScale), run.even_micro, run.heuristic_micro, run.exact_micro,
        run.ordered_micro, run.order_holds ? 1 : 0);
  }
  return out;
}

}  // namespace skyrun::partition
