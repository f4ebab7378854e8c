// Load: the integer currency of the partitioner.
//
// A load is slowness (in milli-units, 1000 = the fastest device) times FLOPs. A
// stage's compute load, a link's transfer load and every bound are expressed
// in it, so that every decision (bisection, dynamic programming, comparisons)
// is exact integer arithmetic. Products of 64-bit FLOP counts and slowness can
// pass 2^63, so loads are 128-bit. Only printing converts to floating point.
// Thread-safety: pure functions on plain values.
#pragma once

#include <cstdint>
#include <string>

namespace skyrun::partition {

using Load = __int128;

// Larger than any real load (sums of 2^63 x 2^63 values stay below 2^127).
inline constexpr Load kInfiniteLoad = static_cast<Load>(1) << 125;

// One slowness unit is 1/1000 of the fastest device's time per FLOP.
inline constexpr int64_t kSlownessScale = 1000;

// Decimal digits of a load ("-" sign if negative).
std::string LoadToString(Load value);

// The load in slowness x FLOPs (that is, divided by kSlownessScale) as a double.
double LoadToDouble(Load value);

// Seconds that a load takes on a device that computes `ref_flops_per_second`
// at slowness 1.
double LoadToSeconds(Load value, int64_t ref_flops_per_second);

// a / b rounded up, for b > 0 and a >= 0.
inline Load CeilDiv(Load a, Load b) {
  return (a + b - 1) / b;
}

}  // namespace skyrun::partition
