// Feasibility tests shared by the allocators: "can the units be split in this
// device order so that every stage's load is at most `bound` and every device's
// memory holds its units?" (and, with links, every link's load too), and the
// explanation of an instance that does not fit. Internal to src/partition.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "partition/instance.h"
#include "partition/load.h"

namespace skyrun::partition {

// Largest end e >= first such that units [first, e) fit on device `dev` under
// `bound` (compute) and its memory cap.
int MaxStageEnd(const Instance& instance, int dev, int first, Load bound);

// Compute-only test. With allow_idle the greedy (each device takes the longest
// prefix that fits) is exact: any feasible split has its boundaries at or
// before the greedy's. Without it, a reachability pass over boundaries.
bool FeasibleAt(const Instance& instance, const std::vector<int>& order, Load bound, bool allow_idle);

// The same with links: every link between consecutive non-empty stages must
// also be at most `bound`.
bool FeasibleWithLinksAt(const Instance& instance, const std::vector<int>& order, Load bound,
                         bool allow_idle);

// A split of the units in `order` that fits every device's memory, ignoring
// load: each position takes the most units it can such that the later
// positions can still hold the rest. False if there is none.
bool MemoryFeasibleSplit(const Instance& instance, const std::vector<int>& order, bool allow_idle,
                         std::vector<int>* cuts);

struct Infeasibility {
  std::string reason;
  std::string device;
};
// Why no split in `order` fits in memory (call when FeasibleAt(kInfiniteLoad) fails).
Infeasibility ExplainMemoryInfeasible(const Instance& instance, const std::vector<int>& order,
                                      bool allow_idle);

}  // namespace skyrun::partition
