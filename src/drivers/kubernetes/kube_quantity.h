// Kubernetes resource quantities and timestamps as kubectl prints them, turned
// into skyrun's integers (milli-units, MiB, microseconds) and back.
//
// A quantity is a decimal number with an optional suffix: binary (Ki Mi Gi Ti
// Pi Ei), decimal (n u m k M G T P E) or an exponent (e3, E-2). Parsing is
// exact (integer arithmetic on the digits); results that are not whole in the
// wanted unit are rounded down, which is what "allocatable" needs (never
// promise more than the node has).
//
// Called by the inventory parser, the status mapping and the renderer.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace skyrun {

// "3920m" -> 3920, "4" -> 4000, "0.5" -> 500: the quantity x 1000, rounded down.
Result<int64_t> ParseKubeQuantityMilli(std::string_view q);
// "16Gi" -> 16384, "8174332Ki" -> 7982, "1G" -> 953: the quantity in MiB, rounded down.
Result<int64_t> ParseKubeQuantityMiB(std::string_view q);
// "8" -> 8: a whole count (GPUs); fractions are rounded down.
Result<int64_t> ParseKubeQuantityCount(std::string_view q);

// 8000 -> "8", 500 -> "500m": a CPU quantity.
std::string FormatKubeCpu(int64_t milli);
// 16384 -> "16384Mi".
std::string FormatKubeMemoryMiB(int64_t mib);

// "2026-01-10T12:00:05Z" or with fractional seconds and an offset
// ("2026-01-10T13:00:05.25+01:00") -> microseconds since the Unix epoch.
Result<Micros> ParseRfc3339(std::string_view s);

}  // namespace skyrun
