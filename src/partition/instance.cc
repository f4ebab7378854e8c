#include "partition/instance.h"

namespace skyrun::partition {
namespace {

// Load of `latency_ns`: seconds x ref FLOP/s x kSlownessScale, rounded up.
Load LatencyLoad(int64_t latency_ns, int64_t ref_flops) {
  return CeilDiv(static_cast<Load>(latency_ns) * ref_flops * kSlownessScale,
                 static_cast<Load>(1'000'000'000));
}

// Load of one byte over `bandwidth_bps` (0: unlimited), rounded up.
Load PerByteLoad(int64_t bandwidth_bps, int64_t ref_flops) {
  if (bandwidth_bps <= 0) return 0;
  return CeilDiv(static_cast<Load>(8) * ref_flops * kSlownessScale, static_cast<Load>(bandwidth_bps));
}

}  // namespace

Result<Instance> Instance::Build(const ModelProfile& model, const DeviceSet& set) {
  SKYRUN_RETURN_IF_ERROR(ValidateModel(model));
  SKYRUN_RETURN_IF_ERROR(ValidateDevices(set));
  Instance in;
  in.model_name_ = model.name;
  const size_t n = model.units.size();
  const size_t d = set.devices.size();
  in.flops_prefix_.assign(n + 1, 0);
  in.mem_prefix_.assign(n + 1, 0);
  for (size_t u = 0; u < n; ++u) {
    const Unit& unit = model.units[u];
    in.unit_names_.push_back(unit.name);
    in.flops_prefix_[u + 1] = in.flops_prefix_[u] + unit.fwd_flops + unit.bwd_flops;
    in.mem_prefix_[u + 1] = in.mem_prefix_[u] + unit.mem_bytes;
    in.out_bytes_.push_back(unit.out_bytes);
  }
  for (const DeviceProfile& dev : set.devices) {
    in.device_names_.push_back(dev.name);
    in.slowness_.push_back(dev.slowness_milli);
    in.memory_mib_.push_back(dev.memory_mib);
  }
  in.ref_flops_per_second_ = set.ref_flops_per_second;
  in.has_links_ = set.HasLinks();
  in.link_fixed_.assign(d * d, 0);
  in.link_per_byte_.assign(d * d, 0);
  if (in.has_links_) {
    for (size_t a = 0; a < d; ++a) {
      for (size_t b = 0; b < d; ++b) {
        if (a == b) continue;
        Load fixed = 0, per_byte = 0;
        // Forward activation a -> b and the gradient back b -> a.
        for (auto [from, to] : {std::pair{a, b}, std::pair{b, a}}) {
          auto link = set.LinkBetween(static_cast<int>(from), static_cast<int>(to));
          if (!link) continue;
          fixed += LatencyLoad(link->latency_ns, in.ref_flops_per_second_);
          per_byte += PerByteLoad(link->bandwidth_bps, in.ref_flops_per_second_);
        }
        in.link_fixed_[a * d + b] = fixed;
        in.link_per_byte_[a * d + b] = per_byte;
      }
    }
  }
  return in;
}

}  // namespace skyrun::partition
