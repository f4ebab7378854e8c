// Offer: one way to buy capacity from a provider, as the catalog lists it
// (one row of a SkyPilot-format vms.csv after joining, e.g. a GCP VM row with
// its GPU price row) or as a registered cluster offers it at its internal
// price. The optimizer ranks offers; a provisioned-capacity driver (simcloud,
// later real clouds) turns one into running instances.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/quantities.h"

namespace skyrun {

struct Offer {
  std::string provider;        // "aws", "gcp", "azure", "lambda"; a cluster: "local", "slurm/hpc1"
  std::string region;          // "us-east-1"; a cluster: its name
  std::string zone;            // "us-east-1a"; empty where the catalog lists none (Azure, Lambda)
  std::string instance_type;   // "p4d.24xlarge"; a cluster: empty
  std::string accelerator;     // canonical model, "A100-80GB"; empty = CPU only
  int accelerator_count = 0;   // per instance
  int64_t gpu_memory_mib = 0;  // per device; 0 = unknown
  MilliCpu cpus;
  MemoryMiB memory;
  double price = 0;                  // USD per instance-hour on demand (host and GPUs)
  std::optional<double> spot_price;  // USD per instance-hour; absent where the catalog has none
  // Sold only as spot capacity (a pool's warm spot instance offered as a
  // cluster): `price` is what it costs, but a job that does not accept spot
  // must not be placed on it.
  bool spot_only = false;
  // A registered cluster's node is sold by the share a job takes, not whole:
  // a job placed on it pays its GPUs x price_per_gpu_hour + its CPUs x
  // price_per_cpu_hour (what accounting bills: scheduler/tasks.h HourlyPrice),
  // and fits when the node has at least what it asks. `price` stays the
  // price of everything free on the node.
  bool by_share = false;
  double price_per_gpu_hour = 0;  // by_share only: USD per GPU-hour
  double price_per_cpu_hour = 0;  // by_share only: USD per CPU-hour
};

}  // namespace skyrun
