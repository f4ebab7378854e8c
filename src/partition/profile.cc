#include "partition/profile.h"

#include <algorithm>
#include <set>

#include "partition/load.h"

namespace skyrun::partition {

int64_t TrainingMemoryBytes(int64_t param_bytes, int64_t act_bytes) {
  return kParamCopiesForTraining * param_bytes + act_bytes;
}

Status ValidateModel(const ModelProfile& model) {
  if (model.units.size() > (size_t{1} << 22)) {
    return InvalidArgument("model '" + model.name +
                           "' has more than 4194304 units; group layers into fewer units");
  }
  if (model.units.empty()) {
    return InvalidArgument("model '" + model.name + "' has no units; give at least one row or layer");
  }
  Load total_flops = 0;
  Load total_mem = 0;
  for (size_t i = 0; i < model.units.size(); ++i) {
    const Unit& u = model.units[i];
    std::string where = "model '" + model.name + "', unit " + std::to_string(i) + " '" + u.name + "'";
    if (u.fwd_flops < 0 || u.bwd_flops < 0 || u.param_bytes < 0 || u.act_bytes < 0 || u.out_bytes < 0 ||
        u.mem_bytes < 0) {
      return InvalidArgument(where + ": FLOPs and byte counts must be zero or positive");
    }
    // Bounds that keep every product of the algorithms inside 128 bits.
    if (static_cast<Load>(u.fwd_flops) + u.bwd_flops >= (static_cast<Load>(1) << 62) ||
        u.mem_bytes >= (int64_t{1} << 62) || u.out_bytes >= (int64_t{1} << 46)) {
      return InvalidArgument(where +
                             ": FLOPs or memory at or above 2^62, or output bytes at or above 2^46; "
                             "scale the profile down");
    }
    total_flops += static_cast<Load>(u.fwd_flops) + u.bwd_flops;
    total_mem += u.mem_bytes;
  }
  // Loads are slowness (up to 2^31 milli) x FLOPs; keep the total well inside 2^125.
  if (total_flops > (static_cast<Load>(1) << 80) || total_mem > (static_cast<Load>(1) << 80)) {
    return InvalidArgument("model '" + model.name +
                           "': total FLOPs or bytes exceed 2^80; scale the profile down");
  }
  return Status::Ok();
}

bool DeviceSet::HasLinks() const {
  if (!links.empty()) return true;
  return std::any_of(devices.begin(), devices.end(), [](const DeviceProfile& d) {
    return d.bandwidth_bps.has_value() || d.latency_ns.has_value();
  });
}

std::optional<LinkSpec> DeviceSet::LinkBetween(int a, int b) const {
  for (const LinkSpec& l : links)
    if (l.from == a && l.to == b) return l;
  for (const LinkSpec& l : links)
    if (l.from == b && l.to == a) return LinkSpec{a, b, l.bandwidth_bps, l.latency_ns};
  const DeviceProfile& da = devices[a];
  const DeviceProfile& db = devices[b];
  bool any = da.bandwidth_bps || db.bandwidth_bps || da.latency_ns || db.latency_ns;
  if (!any) return std::nullopt;
  LinkSpec spec{a, b, 0, da.latency_ns.value_or(0) + db.latency_ns.value_or(0)};
  if (da.bandwidth_bps && db.bandwidth_bps) {
    spec.bandwidth_bps = std::min(*da.bandwidth_bps, *db.bandwidth_bps);
  } else {
    spec.bandwidth_bps = da.bandwidth_bps ? *da.bandwidth_bps : db.bandwidth_bps.value_or(0);
  }
  return spec;  // bandwidth 0 means "unlimited": only the latency counts
}

Status ValidateDevices(const DeviceSet& set) {
  if (set.devices.empty()) return InvalidArgument("no devices: the devices file needs at least one row");
  if (set.ref_flops_per_second <= 0 || set.ref_flops_per_second > kMaxRefFlopsPerSecond) {
    return InvalidArgument(
        "the reference speed (FLOP/s of a slowness-1 device) must be positive and at most 1e16");
  }
  if (set.devices.size() > 4096)
    return InvalidArgument("more than 4096 devices; partition groups of devices");
  std::set<std::string> names;
  for (size_t i = 0; i < set.devices.size(); ++i) {
    const DeviceProfile& d = set.devices[i];
    std::string where = "device " + std::to_string(i) + " '" + d.name + "'";
    if (d.name.empty()) return InvalidArgument("device " + std::to_string(i) + " has no name");
    if (!names.insert(d.name).second) {
      return InvalidArgument(where + ": the name appears twice; device names must be unique");
    }
    if (d.slowness_milli <= 0 || d.slowness_milli > (1LL << 31)) {
      return InvalidArgument(where + ": slowness must be positive and at most 2147483 (1 = fastest)");
    }
    if (d.memory_mib < 0 || d.memory_mib > (1LL << 40)) {
      return InvalidArgument(where + ": memory_mib must be between 0 and 2^40");
    }
    if ((d.bandwidth_bps && *d.bandwidth_bps < 0) ||
        (d.latency_ns && (*d.latency_ns < 0 || *d.latency_ns > kMaxLatencyNs))) {
      return InvalidArgument(where + ": bandwidth must not be negative, latency between 0 and 1000 s");
    }
  }
  for (const LinkSpec& l : set.links) {
    int n = static_cast<int>(set.devices.size());
    if (l.from < 0 || l.from >= n || l.to < 0 || l.to >= n || l.from == l.to) {
      return InvalidArgument("a link must join two different listed devices");
    }
    if (l.bandwidth_bps < 0 || l.latency_ns < 0 || l.latency_ns > kMaxLatencyNs) {
      return InvalidArgument("link " + set.devices[l.from].name + " -> " + set.devices[l.to].name +
                             ": bandwidth must not be negative, latency between 0 and 1000 s");
    }
  }
  return Status::Ok();
}

}  // namespace skyrun::partition
