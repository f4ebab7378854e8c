// Golden files and the source tree, for data-driven tests: the expected
// output of a case is kept as a text file beside its input, and
// SKYRUN_UPDATE_GOLDEN=1 rewrites the golden files from the current output
// (review the diff before committing it). Part of the test-support library.
// Thread-safety: the functions keep no state; two tests must not update the
// same golden file at once.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace skyrun::test_support {

// The repository root: $SKYRUN_SOURCE_DIR (ctest sets it), else the source
// directory this library was configured from.
std::filesystem::path SourceDir();

// The file's bytes, or "" when it cannot be read.
std::string ReadFileOrEmpty(const std::filesystem::path& path);

// Whether SKYRUN_UPDATE_GOLDEN=1.
bool UpdatingGoldens();

// Compares `actual` with the golden file and adds a gtest failure naming the
// file, the first line that differs (both versions) and how to update it; a
// missing golden file is a failure too. With SKYRUN_UPDATE_GOLDEN=1 it writes
// `actual` to the file instead and passes. Returns whether they matched (or
// the file was written).
bool ExpectMatchesGolden(const std::filesystem::path& golden, std::string_view actual);

// The first line where `want` and `got` differ, as "LINE: want 'A', got 'B'"
// ("" when equal); a missing line reads "<end of file>".
std::string FirstDifference(std::string_view want, std::string_view got);

}  // namespace skyrun::test_support
