// TempDir: a fresh directory for one test, removed with everything in it when
// the object goes. Part of the test-support library (tests/support/), which
// only tests link. Thread-safety: a TempDir is used by one test at a time;
// creating several at once from different threads is safe (mkdtemp).
#pragma once

#include <string>
#include <string_view>

namespace skyrun::test_support {

class TempDir {
 public:
  // Under $TMPDIR (or /tmp), named PREFIX-XXXXXX so that a leftover one says
  // which test made it. Stops the test binary if the directory cannot be made.
  // With SKYRUN_KEEP_TEST_STATE set, the directory is kept (and named on
  // stderr) for a look after a failure.
  explicit TempDir(std::string_view prefix = "skyrun-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name (name may hold slashes; nothing is created).
  std::string Sub(std::string_view name) const;
  // Writes `text` to path()/name, creating the parent folders; returns the file's path.
  std::string Write(std::string_view name, std::string_view text) const;

 private:
  std::string path_;
};

}  // namespace skyrun::test_support
