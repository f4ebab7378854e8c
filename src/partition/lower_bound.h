// A lower bound on the bottleneck of any split in any device order, so that
// every answer can show its gap to the best possible.
//
// Water-filling relaxation: units may be cut into fractions and devices taken
// in any order; device d then takes work up to level T (floor(T / slowness_d)
// FLOPs, as a real split gives it a whole number of FLOPs) but no more FLOPs
// than fit its memory (a fractional knapsack by FLOPs per byte). The bound is the lowest level T at which the
// devices absorb all the FLOPs. A second bound: the costliest unit must sit whole on some device that can
// hold it. The maximum of the two is reported. Links only add load, so the bound holds with communication
// too. Thread-safety: pure.
#pragma once

#include "partition/instance.h"
#include "partition/load.h"

namespace skyrun::partition {

struct LowerBound {
  bool feasible = true;   // false: even the relaxation cannot hold the model in memory
  Load value = 0;         // max(fluid, largest_unit)
  Load fluid = 0;         // water-filling level
  Load largest_unit = 0;  // max over units of its least load on a device that can hold it
};

LowerBound ComputeLowerBound(const Instance& instance);

}  // namespace skyrun::partition
