#include "drivers/kubernetes/kubectl_runner.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

TEST(ProcessKubectlRunnerTest, CapturesBothOutputsAndTheExitCode) {
  ProcessKubectlRunner runner;
  auto r = runner.Run({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->stdout_text, "out\n");
  EXPECT_EQ(r->stderr_text, "err\n");
}

TEST(ProcessKubectlRunnerTest, PassesArgumentsWithoutAShell) {
  ProcessKubectlRunner runner;
  auto r = runner.Run({"printf", "%s|", "a b", "$(x)", "'q'"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->stdout_text, "a b|$(x)|'q'|");
}

TEST(ProcessKubectlRunnerTest, LargeOutputOnBothStreamsDoesNotDeadlock) {
  ProcessKubectlRunner runner;
  // 1 MiB on each stream: more than a pipe buffer, so both must be drained together.
  auto r = runner.Run({"/bin/sh", "-c", "head -c 1048576 /dev/zero; head -c 1048576 /dev/zero >&2"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->stdout_text.size(), 1048576u);
  EXPECT_EQ(r->stderr_text.size(), 1048576u);
}

TEST(ProcessKubectlRunnerTest, SignalsAndMissingPrograms) {
  ProcessKubectlRunner runner;
  auto killed = runner.Run({"/bin/sh", "-c", "kill -9 $$"});
  ASSERT_TRUE(killed.ok());
  EXPECT_EQ(killed->exit_code, 137);
  auto missing = runner.Run({"skyrun-no-such-kubectl"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("skyrun-no-such-kubectl"), std::string::npos);
  EXPECT_FALSE(runner.Run({}).ok());
}

TEST(ProcessKubectlRunnerTest, StdinIsEmpty) {
  ProcessKubectlRunner runner;
  auto r = runner.Run({"/bin/sh", "-c", "cat; echo done"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stdout_text, "done\n");
}

}  // namespace
}  // namespace skyrun
