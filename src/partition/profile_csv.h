// User profiles from CSV files (formats in docs/partition.md):
//   model:   name, fwd_flops, bwd_flops, param_bytes, act_bytes [, out_bytes, mem_bytes]
//   devices: name, slowness | bench_seconds, memory_mib [, bandwidth_gbps, latency_us]
//   links:   from, to, bandwidth_gbps [, latency_us]
// Called by the CLI and by whoever serves the partitioner over the API.
// Thread-safety: pure functions (ReadTextFile reads the file system).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "partition/profile.h"

namespace skyrun::partition {

Result<ModelProfile> ParseModelCsv(std::string_view text, const std::string& source);

// `ref_flops_per_second` overrides the reference speed (FLOP/s at slowness 1);
// otherwise it comes from bench_seconds (kDeviceBenchFlops / fastest seconds)
// or is kDefaultRefFlopsPerSecond.
Result<DeviceSet> ParseDevicesCsv(std::string_view text, const std::string& source,
                                  std::optional<int64_t> ref_flops_per_second = std::nullopt);

// Adds the explicit links of a links file to `devices`.
Status ParseLinksCsv(std::string_view text, const std::string& source, DeviceSet* devices);

Result<std::string> ReadTextFile(const std::string& path);

}  // namespace skyrun::partition
