// Reading one SkyPilot-format vms.csv (aws.csv, gcp.csv, ...) into typed rows.
// Columns are found by header name, so the files' different column orders
// need nothing special; columns the broker does not use (Azure's Generation,
// or ones a later catalog version adds) are ignored. Required: InstanceType,
// AcceleratorName, AcceleratorCount, vCPUs, MemoryGiB, Price, SpotPrice,
// Region; optional: GpuInfo, AvailabilityZone (Azure and Lambda have none).
// An empty value means "not listed" (SpotPrice, Price, the vCPUs of a GCP GPU
// price row); a value that is there must be a finite non-negative number.
// Errors name file:line:column. Callers: catalog.cc (then offers_builder.cc
// turns rows into offers). Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/quantities.h"
#include "common/status.h"

namespace skyrun::catalog {

struct VmRow {
  int line = 0;               // in the source file, for messages
  std::string instance_type;  // empty on a GCP GPU price row
  std::string accelerator;    // empty = none listed on this row
  int accelerator_count = 0;
  std::optional<MilliCpu> cpus;     // absent when empty
  std::optional<MemoryMiB> memory;  // absent when empty
  int64_t gpu_memory_mib = 0;       // per device, from GpuInfo; 0 = not in GpuInfo
  std::string region;
  std::string zone;                  // empty where the file has no AvailabilityZone
  std::optional<double> price;       // USD/h on demand; absent when empty
  std::optional<double> spot_price;  // USD/h; absent when empty
};

Result<std::vector<VmRow>> ParseVmsCsv(std::string_view text, const std::string& source);

// The per-device memory a GpuInfo string states: the first "'SizeInMiB': N"
// (AWS, Lambda and GCP GPU rows carry one per GPU model). 0 when there is
// none (Azure puts only the model name there).
int64_t GpuMemoryFromInfo(std::string_view gpu_info);

// Device memory of well-known accelerator models, MiB, from the vendors'
// data sheets; 0 for a model not in the table. Used where GpuInfo has none.
int64_t KnownGpuMemoryMiB(std::string_view model);

}  // namespace skyrun::catalog
