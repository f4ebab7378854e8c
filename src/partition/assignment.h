// Assignment: contiguous unit ranges on devices in a pipeline order, and the
// cost models that price it.
//
// Cost models (docs/partition.md):
//   pipelined     the steady state of a pipeline: the slowest stage or link
//                 (bottleneck); what the allocators minimise
//   sequential    stages one after another (sum of stage and link loads): how
//                 the released Sky Computing code actually runs
//   micro-batch   a batch cut into B micro-batches through the pipeline:
//                 sum + (B - 1) x bottleneck of the per-micro-batch stage times
// Called by the allocators, the report and the experiment. Thread-safety: pure.
#pragma once

#include <string>
#include <vector>

#include "partition/instance.h"
#include "partition/load.h"

namespace skyrun::partition {

struct Assignment {
  std::vector<int> order;  // pipeline position -> device index
  std::vector<int> cuts;   // size positions + 1: position p holds units [cuts[p], cuts[p + 1])

  int positions() const { return static_cast<int>(order.size()); }
  int first(int p) const { return cuts[p]; }
  int end(int p) const { return cuts[p + 1]; }
  bool empty(int p) const { return cuts[p] == cuts[p + 1]; }
  // Position of each device (inverse of order).
  std::vector<int> PositionOfDevice() const;
};

// The identity order 0..d-1.
std::vector<int> IdentityOrder(int devices);

// Checks that `a` is a well-formed assignment of all units of `instance`.
bool IsWellFormed(const Instance& instance, const Assignment& a);

struct Evaluation {
  Load max_load = 0;  // max over devices of slowness x FLOPs (compute only)
  Load sum_load = 0;  // sum over devices of slowness x FLOPs
  Load max_link = 0;  // slowest link between consecutive non-empty stages
  Load sum_link = 0;
  Load bottleneck = 0;  // max(max_load, max_link): the pipelined model
  int micro_batches = 1;
  double pipelined_seconds = 0;
  double sequential_seconds = 0;
  double microbatch_seconds = 0;
  std::vector<Load> device_load;    // by device index
  std::vector<Load> device_memory;  // bytes, by device index
  int overfull_device = -1;         // a device over its memory cap, or -1
};

Evaluation Evaluate(const Instance& instance, const Assignment& a, int micro_batches);

// "device 'x' would hold units a..b needing N MiB but has M MiB", or "" if all fit.
std::string MemoryViolation(const Instance& instance, const Assignment& a);

// Bytes to MiB, rounded up, for messages.
std::string MiBString(Load bytes);

}  // namespace skyrun::partition
