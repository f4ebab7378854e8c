#include "support/golden.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace skyrun::test_support {
namespace {

// The line starting at `*at`, without its '\n'; advances past it. False at the end.
bool NextLine(std::string_view text, size_t* at, std::string_view* line) {
  if (*at >= text.size()) return false;
  const size_t end = text.find('\n', *at);
  const size_t stop = end == std::string_view::npos ? text.size() : end;
  *line = text.substr(*at, stop - *at);
  *at = end == std::string_view::npos ? text.size() : end + 1;
  return true;
}

}  // namespace

std::filesystem::path SourceDir() {
  const char* env = std::getenv("SKYRUN_SOURCE_DIR");
  if (env != nullptr && *env != '\0') return env;
  return SKYRUN_TEST_SUPPORT_SOURCE_DIR;
}

std::string ReadFileOrEmpty(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool UpdatingGoldens() {
  const char* update = std::getenv("SKYRUN_UPDATE_GOLDEN");
  return update != nullptr && std::string_view(update) == "1";
}

std::string FirstDifference(std::string_view want, std::string_view got) {
  size_t at_want = 0, at_got = 0;
  for (int line = 1;; ++line) {
    std::string_view w, g;
    const bool more_want = NextLine(want, &at_want, &w);
    const bool more_got = NextLine(got, &at_got, &g);
    if (!more_want && !more_got) {
      // Same lines; they can still differ in the final newline.
      return want == got ? "" : std::to_string(line - 1) + ": one ends with a newline, the other does not";
    }
    if (more_want != more_got || w != g) {
      auto show = [](bool more, std::string_view s) {
        return more ? "'" + std::string(s) + "'" : "<end of file>";
      };
      return std::to_string(line) + ": want " + show(more_want, w) + ", got " + show(more_got, g);
    }
  }
}

bool ExpectMatchesGolden(const std::filesystem::path& golden, std::string_view actual) {
  if (UpdatingGoldens()) {
    std::ofstream out(golden, std::ios::binary | std::ios::trunc);
    out.write(actual.data(), static_cast<std::streamsize>(actual.size()));
    EXPECT_TRUE(out.good()) << "cannot write the golden file " << golden;
    return out.good();
  }
  if (!std::filesystem::exists(golden)) {
    ADD_FAILURE() << "golden file " << golden.string()
                  << " is missing; run the test with SKYRUN_UPDATE_GOLDEN=1 to write it, and review it";
    return false;
  }
  const std::string want = ReadFileOrEmpty(golden);
  const std::string difference = FirstDifference(want, actual);
  if (difference.empty()) return true;
  ADD_FAILURE() << "output differs from the golden file " << golden.string() << ":" << difference
                << "\n(if the change is intended, rerun with SKYRUN_UPDATE_GOLDEN=1 and review the diff)\n"
                << "got:\n"
                << actual;
  return false;
}

}  // namespace skyrun::test_support
