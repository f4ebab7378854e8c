// Instance: a model and a device set turned into the integer problem that the
// allocation algorithms solve.
//
// Units are indexed 0..n-1, devices 0..d-1 (in the order given). Ranges are
// half-open [first, end). Loads (load.h) are exact integers: a stage's compute
// load is slowness_milli x FLOPs; a link's load is its transfer time expressed
// in the same currency (seconds x reference FLOP/s x 1000), rounded up once
// per link when the instance is built (latency part and per-byte part), so
// that the algorithms work on an exact integer model. Built once, then read by
// every allocator. Thread-safety: immutable after Build; share freely.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "partition/load.h"
#include "partition/profile.h"

namespace skyrun::partition {

class Instance {
 public:
  static Result<Instance> Build(const ModelProfile& model, const DeviceSet& devices);

  int units() const { return static_cast<int>(unit_names_.size()); }
  int devices() const { return static_cast<int>(device_names_.size()); }
  const std::string& model_name() const { return model_name_; }
  const std::string& unit_name(int u) const { return unit_names_[u]; }
  const std::string& device_name(int d) const { return device_names_[d]; }
  const std::vector<std::string>& device_names() const { return device_names_; }

  // FLOPs (forward + backward) of units [first, end).
  Load Flops(int first, int end) const { return flops_prefix_[end] - flops_prefix_[first]; }
  Load UnitFlops(int u) const { return Flops(u, u + 1); }
  Load TotalFlops() const { return flops_prefix_.back(); }
  const std::vector<Load>& flops_prefix() const { return flops_prefix_; }

  // Memory in bytes of units [first, end).
  Load Memory(int first, int end) const { return mem_prefix_[end] - mem_prefix_[first]; }
  Load UnitMemory(int u) const { return Memory(u, u + 1); }
  const std::vector<Load>& memory_prefix() const { return mem_prefix_; }

  int64_t slowness(int d) const { return slowness_[d]; }
  int64_t memory_mib(int d) const { return memory_mib_[d]; }
  Load memory_cap_bytes(int d) const { return static_cast<Load>(memory_mib_[d]) << 20; }
  int64_t ref_flops_per_second() const { return ref_flops_per_second_; }

  // Compute load of units [first, end) on device d.
  Load StageLoad(int d, int first, int end) const { return slowness_[d] * Flops(first, end); }

  bool has_links() const { return has_links_; }
  int64_t out_bytes(int u) const { return out_bytes_[u]; }
  // The load of the boundary before unit `boundary` (1..n-1) when the stage
  // on device a ends there and the stage on device b starts: the activation
  // goes a -> b, its gradient b -> a.
  Load LinkLoad(int a, int b, int boundary) const {
    size_t k = static_cast<size_t>(a) * device_names_.size() + static_cast<size_t>(b);
    return link_fixed_[k] + link_per_byte_[k] * out_bytes_[boundary - 1];
  }
  // The two parts of LinkLoad: latency (fixed) and load per byte sent.
  Load LinkFixed(int a, int b) const { return link_fixed_[static_cast<size_t>(a) * devices() + b]; }
  Load LinkPerByte(int a, int b) const { return link_per_byte_[static_cast<size_t>(a) * devices() + b]; }

 private:
  std::string model_name_;
  std::vector<std::string> unit_names_;
  std::vector<std::string> device_names_;
  std::vector<Load> flops_prefix_;
  std::vector<Load> mem_prefix_;
  std::vector<int64_t> out_bytes_;
  std::vector<int64_t> slowness_;
  std::vector<int64_t> memory_mib_;
  int64_t ref_flops_per_second_ = kDefaultRefFlopsPerSecond;
  bool has_links_ = false;
  std::vector<Load> link_fixed_;     // d x d, row-major
  std::vector<Load> link_per_byte_;  // d x d, row-major
};

}  // namespace skyrun::partition
