// PartitionRunner: POST /v1/partition as a bounded job. The partitioner's
// exact and free-order algorithms grow with devices x layers (and the orders
// tried), so a request could keep cores busy for minutes and grow the
// server's memory. The runner
//   * refuses inputs beyond fixed bounds (422, naming the bound),
//   * runs at most `max_concurrent` partitions at once, one per tenant (429),
//   * runs each in a child process (fork) with a memory and CPU limit and a
//     time budget: past it the child is killed and the answer is 503,
//   * kills every child when the server stops, so SIGTERM is prompt.
// A child process rather than a thread: it can be killed at any point
// without cancellation checks inside the algorithms, and its memory is
// returned to the system when it ends.
// Called by the API server's handler. Thread-safety: thread-safe.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "partition/partition.h"

namespace skyrun {

struct PartitionLimits {
  int max_devices = 256;
  int max_units = 16384;  // units: a BERT layer is 3 (attention, FFN, norm), plus embedding and head
  // Exact-comm and ordered only up to this many devices x units.
  int64_t max_exact_cells = 64 * 1024;
  int timeout_seconds = 20;
  int max_concurrent = 2;
  int64_t max_memory_bytes = 2LL << 30;  // address space a partition may add
};

struct PartitionOutcome {
  int http_status = 200;
  nlohmann::json body;
};

class PartitionRunner {
 public:
  explicit PartitionRunner(PartitionLimits limits) : limits_(limits) {}
  ~PartitionRunner() { CancelAll(); }

  PartitionOutcome Run(const std::string& tenant, const partition::ModelProfile& model,
                       const partition::DeviceSet& devices, const partition::PartitionOptions& options);
  // Kills every running partition; later runs are refused.
  void CancelAll();

 private:
  PartitionOutcome RunChild(const partition::ModelProfile& model, const partition::DeviceSet& devices,
                            const partition::PartitionOptions& options);

  PartitionLimits limits_;
  std::mutex mu_;
  std::set<std::string> tenants_running_;
  std::set<pid_t> children_;
  std::atomic<bool> stopping_{false};
};

}  // namespace skyrun
