// Model and device profiles: what the partitioner knows about the work and the
// machines (the "benchmark phase" of seed 000's Sky Computing load balancing).
//
// A model is a sequence of units (layers or parts of layers) that must be
// split into contiguous ranges, one range per device. A device has a speed
// (slowness relative to the fastest, 1 = fastest), a memory cap, and links to
// the others. Built by bert.h (the built-in BERT profiles), profile_csv.h (user
// CSV files) and the experiment; read by instance.h. Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace skyrun::partition {

// One unit of the model, for one training iteration at the profile's batch.
struct Unit {
  std::string name;
  int64_t fwd_flops = 0;    // forward pass
  int64_t bwd_flops = 0;    // backward pass (input and weight gradients)
  int64_t param_bytes = 0;  // parameters, fp32
  int64_t act_bytes = 0;    // activations kept for the backward pass
  int64_t out_bytes = 0;    // the output that crosses a stage boundary (sent forward; its
                            // gradient of the same size comes back)
  int64_t mem_bytes = 0;    // device memory the unit needs while training

  int64_t flops() const { return fwd_flops + bwd_flops; }
};

// Memory of a unit trained with Adam in fp32 when the profile does not say:
// weights, gradients and the two Adam moments (4 copies of the parameters)
// plus the activations kept for backward.
inline constexpr int64_t kParamCopiesForTraining = 4;
int64_t TrainingMemoryBytes(int64_t param_bytes, int64_t act_bytes);

struct ModelProfile {
  std::string name;
  std::vector<Unit> units;
};

// Checks names, signs and that totals fit the integer ranges used later.
Status ValidateModel(const ModelProfile& model);

struct DeviceProfile {
  std::string name;
  int64_t slowness_milli = 1000;  // time per FLOP relative to the fastest, x1000
  int64_t memory_mib = 0;         // memory available for the model's units
  // The device's network attachment; a link between two devices runs at the
  // smaller bandwidth and pays both latencies. Absent: the device's transfers cost nothing.
  std::optional<int64_t> bandwidth_bps;
  std::optional<int64_t> latency_ns;
};

// An explicit link from one device to another (overrides the per-device values).
struct LinkSpec {
  int from = 0;
  int to = 0;
  int64_t bandwidth_bps = 0;
  int64_t latency_ns = 0;
};

// The floating-point operations of examples/partition/device_bench.py with its
// default arguments (10 fp32 matmuls of 2048 x 2048: 2 n^3 each); a device's
// measured seconds for it give its speed.
inline constexpr int64_t kDeviceBenchFlops = 10LL * 2 * 2048 * 2048 * 2048;

// Effective FLOP/s of a slowness-1 device when the devices file gives slowness
// only (10 TFLOP/s, a V100-class device in fp32 training).
inline constexpr int64_t kDefaultRefFlopsPerSecond = 10'000'000'000'000;

// Limits that keep link loads inside 128 bits (10 PFLOP/s per device, 1000 s).
inline constexpr int64_t kMaxRefFlopsPerSecond = 10'000'000'000'000'000;
inline constexpr int64_t kMaxLatencyNs = 1'000'000'000'000;

struct DeviceSet {
  std::vector<DeviceProfile> devices;
  std::vector<LinkSpec> links;
  int64_t ref_flops_per_second = kDefaultRefFlopsPerSecond;

  bool HasLinks() const;
  // The link a -> b: an explicit LinkSpec a->b, else b->a, else the per-device
  // values, else nullopt (free).
  std::optional<LinkSpec> LinkBetween(int a, int b) const;
};

Status ValidateDevices(const DeviceSet& devices);

}  // namespace skyrun::partition
