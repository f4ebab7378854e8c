// Checks on text that comes from outside (specs, uploaded files, query
// strings) before it is used: is it UTF-8 (so that it can go into JSON), and
// is a number in range before it is narrowed. Callers: the spec parser, the
// partitioner's CSV reader, the API server. Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace skyrun {

// The offset of the first byte of `s` that is not part of well-formed UTF-8
// (overlong forms, surrogates and code points above U+10FFFF included), or
// nullopt when all of `s` is UTF-8.
std::optional<size_t> FindInvalidUtf8(std::string_view s);

// A whole number (ParseInt64: no blanks, no trailing junk, no overflow) in
// [min, max], so that narrowing it cannot wrap: "4294967296" is not rank 0.
std::optional<int64_t> ParseInt64InRange(std::string_view s, int64_t min, int64_t max);

}  // namespace skyrun
