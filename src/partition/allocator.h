// Allocation algorithms (seed 000's "allocation phase") behind one interface.
//
//   even        the same number of units on every device (the baseline)
//   heuristic   the seed's two-phase heuristic: pre-allocate by memory, then
//               move single units across boundaries to lower the maximum load
//               (with the "give back a layer" step working)
//   exact       optimal bottleneck for the given device order: bisection on the
//               bottleneck with a memory-aware greedy test, then the assignment
//               that minimises the total load under that bottleneck
//   exact-comm  optimal for the given order when links cost: a dynamic program
//               over (device, boundary) with per-boundary communication
//   ordered     free device order: orders by speed and links, then local search,
//               each order solved exactly
// All of them keep every device within its memory cap; an instance that cannot
// fit is reported with the device (or unit) that cannot. Called by the
// partition report, the experiment and the pipeline ranges.
// Thread-safety: allocators are stateless; Allocate may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "partition/assignment.h"
#include "partition/instance.h"

namespace skyrun::partition {

struct AllocOptions {
  // A device may be left without units (it sits out of the pipeline). When
  // false every device gets at least one unit (a pipeline job with one task per device).
  bool allow_idle = true;
  int heuristic_max_sweeps = 1000;  // as the released code's break_iter
  // Heuristic: when neither released rule moves a unit across a boundary, move
  // one from the heavier to the lighter device if that lowers their maximum.
  bool heuristic_pair_balance = true;
  int order_max_evaluations = 2000;  // orders tried by the local search
  uint64_t seed = 1;                 // local search's order of moves
};

struct AllocResult {
  bool feasible = false;
  bool has_assignment = false;  // even has one also when it breaks memory
  Assignment assignment;
  std::string reason;           // why there is no feasible assignment
  std::string blocking_device;  // the device that cannot fit, when one is to blame
  // Diagnostics.
  int iterations = 0;       // heuristic sweeps, bisection steps, or local-search passes
  int take_moves = 0;       // heuristic: units taken from the next device
  int give_back_moves = 0;  // heuristic: units given back to the next device
  int balance_moves = 0;    // heuristic: units moved by pair balancing
  int evaluations = 0;      // ordered: orders solved
};

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual std::string_view name() const = 0;
  virtual AllocResult Allocate(const Instance& instance, const AllocOptions& options) const = 0;
};

// "even", "heuristic", "exact", "exact-comm", "ordered".
std::vector<std::string> AllocatorNames();
Result<std::unique_ptr<Allocator>> MakeAllocator(std::string_view name);

// The algorithms as functions over an explicit device order.
AllocResult AllocateEven(const Instance& instance, const std::vector<int>& order,
                         const AllocOptions& options);
AllocResult AllocateHeuristic(const Instance& instance, const std::vector<int>& order,
                              const AllocOptions& options);
AllocResult AllocateExact(const Instance& instance, const std::vector<int>& order,
                          const AllocOptions& options);
AllocResult AllocateExactComm(const Instance& instance, const std::vector<int>& order,
                              const AllocOptions& options);
AllocResult AllocateOrdered(const Instance& instance, const AllocOptions& options);

// The optimal compute bottleneck for `order` (nullopt: does not fit in memory).
std::optional<Load> ExactBottleneck(const Instance& instance, const std::vector<int>& order, bool allow_idle);
// The optimal bottleneck including links for `order` (nullopt: does not fit).
std::optional<Load> ExactCommBottleneck(const Instance& instance, const std::vector<int>& order,
                                        bool allow_idle);

}  // namespace skyrun::partition
