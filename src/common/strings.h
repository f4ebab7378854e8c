// Small string utilities shared by parsers and printers.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace skyrun {

std::string Trim(std::string_view s);
std::vector<std::string> Split(std::string_view s, char sep);
std::string ToLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);

// Levenshtein distance, for "did you mean" suggestions.
size_t EditDistance(std::string_view a, std::string_view b);
// The candidate closest to `word` if it is close enough to be a likely typo.
std::optional<std::string> NearestName(std::string_view word, const std::vector<std::string>& candidates);

// Parses an integer; rejects trailing junk and overflow.
std::optional<int64_t> ParseInt64(std::string_view s);

// A memory size in MiB from "64" (GiB by default), "64GiB", "64G", "512MiB",
// "512M", "1TiB", "1.5GiB". Returns InvalidArgument with what was expected.
Result<int64_t> ParseMemoryMiB(std::string_view s);

// A decimal quantity in milli-units: "8" -> 8000, "0.5" -> 500, "500m" -> 500.
Result<int64_t> ParseMilli(std::string_view s);

// A duration in seconds from "90", "90s", "30m", "6h", "2d", "1h30m".
Result<int64_t> ParseDurationSeconds(std::string_view s);

// A run time limit in seconds, as sbatch --time reads it and with units:
// "90m", "2h", "1d", "1h30m", "1:30:00" (h:mm:ss), "30:00" (mm:ss),
// "2-12" (days-hours), "2-12:30" and "2-12:30:00". A bare number is refused:
// sbatch reads it as minutes and ParseDurationSeconds as seconds, so the
// reader must say which ("90m").
Result<int64_t> ParseTimeLimitSeconds(std::string_view s);

// Hex encoding, for token hashes.
std::string HexEncode(std::string_view bytes);

}  // namespace skyrun
