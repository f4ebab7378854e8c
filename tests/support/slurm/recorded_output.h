// Test helper: the text of a recorded Slurm command output under
// tests/slurm/recorded/ (made by tests/slurm/record_outputs.sh and
// record_shared_outputs.sh against a real cluster). The unit tests of the
// parsers read them; a missing file fails the calling test.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace skyrun {

inline std::string Recorded(const std::string& name) {
  std::string path = std::string(SKYRUN_SLURM_TESTDATA) + "/recorded/" + name;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "missing recorded output " << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace skyrun
